"""Speech parts of the command line: `reflect read` and `reflect voices`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional

from assistant.cli.options import EXIT_ERROR, EXIT_NO_AUDIO, EXIT_OK, add_voice_options, voice_config
from assistant.voice.config import ConfigError

PAUSE_AFTER_HEADING, PAUSE_SENTENCE, PAUSE_PARAGRAPH = 0.7, 0.3, 0.8
"""Seconds of quiet in a reading, beyond the voice's own short tail."""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("read", parents=[common], help="read a section aloud (or into a WAV file)")
    r.add_argument("section", nargs="+", help="section name, e.g. forgiveness")
    r.add_argument("--to", metavar="FILE.wav", type=Path, help="write the reading to a file")
    add_voice_options(r)
    r.set_defaults(func=cmd_read)
    v = sub.add_parser("voices", parents=[common], help="list the speaking voices installed")
    add_voice_options(v)
    v.set_defaults(func=cmd_voices)


def _err(msg: str) -> None:
    print(f"reflect: {msg}", file=sys.stderr)


def _find_section(content: Any, name: str) -> Optional[Any]:
    best = getattr(content.matcher, "best_section", None)
    sec_id = best(name) if best else None
    if sec_id:
        return content.script.by_id(sec_id)
    from rapidfuzz import fuzz, process

    titles = {s.id: f"{s.title} {' '.join(s.aliases)}" for s in content.script.sections}
    hit = process.extractOne(name, titles, scorer=fuzz.WRatio, score_cutoff=60)
    return content.script.by_id(hit[2]) if hit else None


def reading(title: str) -> tuple[list[str], list[float]]:
    """A section's heading and sentences as spoken, and the pause after each:
    longer after the heading and at the end of a paragraph."""
    from assistant.content.article import heading_sentence, load_article, speakable

    texts, pauses = [heading_sentence(title)], [PAUSE_AFTER_HEADING]
    for paragraph in load_article().section(title).paragraphs:
        for sentence in paragraph:
            texts.append(speakable(sentence))
            pauses.append(PAUSE_SENTENCE)
        pauses[-1] = PAUSE_PARAGRAPH
    return texts, pauses


def cmd_read(args: argparse.Namespace) -> int:
    import time

    from assistant.dialog.session import load_content
    from assistant.speech.tts import Tts, TtsError, write_wav

    content = load_content(meaning=False)
    name = " ".join(args.section)
    sec = _find_section(content, name)
    if sec is None:
        titles = ", ".join(s.title for s in content.script.sections)
        _err(f"no section like {name!r}. Sections: {titles}.")
        return EXIT_ERROR
    try:
        cfg = voice_config(args)
        tts = Tts(cfg.voice, cfg.rate, cfg.volume, note=_err)
    except (TtsError, ConfigError) as exc:
        _err(str(exc))
        return EXIT_ERROR
    texts, pauses = reading(sec.title)
    if args.to:
        if not args.to.parent.is_dir():
            _err(f"cannot write {args.to}: the folder {args.to.parent} does not exist.")
            return EXIT_ERROR
        try:
            parts = []
            show = sys.stderr.isatty()
            for i, text in enumerate(texts, 1):
                if show:
                    print(f"\rsynthesising sentence {i} of {len(texts)}", end="", file=sys.stderr, flush=True)
                parts.append(tts.synth(text))
            if show:
                print(file=sys.stderr)
            secs = write_wav(str(args.to), parts, pauses)
        except OSError as e:
            _err(f"cannot write {args.to}: {e.strerror or e}.")
            return EXIT_ERROR
        except TtsError as e:
            _err(str(e))
            return EXIT_ERROR
        print(f"Wrote {sec.title} ({secs:.0f} s, {tts.describe()}) to {args.to}")
        return EXIT_OK
    from assistant.voice.devices import AudioDeviceError, Player

    try:
        player = Player(cfg.output_device or None)
    except AudioDeviceError as exc:
        _err(str(exc))
        return EXIT_NO_AUDIO
    try:
        for i, (text, pause) in enumerate(zip(texts, pauses)):
            print(f"Reflect: {text}", flush=True)
            speech = tts.synth(text)
            if i + 1 < len(texts):
                tts.prefetch([texts[i + 1]])  # ready when this one ends
            player.play(speech.pcm, speech.samplerate)
            player.wait()
            time.sleep(pause)
    except KeyboardInterrupt:
        player.stop()
        return 130
    except TtsError as exc:
        _err(str(exc))
        return EXIT_ERROR
    finally:
        player.close()
    return EXIT_OK


def cmd_voices(args: argparse.Namespace) -> int:
    from assistant.speech.piper import FETCH_HINT
    from assistant.speech.tts import Tts, TtsError

    try:
        cfg = voice_config(args)
        tts = Tts(cfg.voice, cfg.rate, cfg.volume)
    except (TtsError, ConfigError) as exc:
        _err(str(exc))
        return EXIT_ERROR
    voices = tts.voices()
    neural = [v for v in voices if v.engine == "piper"]
    print("Neural voices (Piper):")
    for v in neural:
        print(f"  {'*' if v.in_use else ' '} {v.id:<12} {v.name}")
    if not neural:
        print(f"    none installed; {FETCH_HINT}")
    print("Light voices (espeak-ng; choose one with --voice espeak:ID):")
    for v in voices:
        if v.engine == "espeak":
            print(f"  {'*' if v.in_use else ' '} {v.id:<12} {v.name}")
    print(f"In use: {tts.describe()} (* above). Set `voice` in voice.toml or use --voice.")
    return EXIT_OK
