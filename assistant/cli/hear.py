"""`reflect hear FILE.wav...`: recorded utterances through the live hearing path.

Each file goes through what a live session uses at the chosen step: the front
end, the streaming recogniser with the step's grammar, Whisper where it
decides, the turn-taking of the step, then the engine's understanding. One
process for many files; a bad file gets one line and exit code 2 at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any, Optional

from assistant.understanding.evaluation import says_command

from assistant.cli.options import EXIT_BAD_FILE, EXIT_ERROR, EXIT_OK, add_voice_options
BLOCK = 640
"""20 ms of 16 kHz int16, as the microphone delivers."""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    h = sub.add_parser("hear", parents=[common],
                       help="recognise recorded utterances (WAV files) as a live session would")
    h.add_argument("files", nargs="+", metavar="FILE.wav", type=Path)
    h.add_argument("--step", metavar="SECTION.STEP", default=None,
                   help="hear as at this step (default: an open reflection question, where "
                        "answers and every spoken command are expected)")
    h.add_argument("--json", action="store_true", help="one JSON object per file")
    add_voice_options(h)
    h.set_defaults(func=cmd_hear)


def default_step(content: Any) -> str:
    """The first open reflection question that distinguishes no answers."""
    prompts = [(sec.id, st.id, len(st.intents)) for sec in content.script.sections
               for st in sec.steps.values() if st.kind == "prompt"]
    sec, step, _ = min(prompts, key=lambda p: (p[2] > 0, p[0] == "introduction"))
    return f"{sec}.{step}"


def expectation(content: Any, step: str) -> tuple[tuple[str, ...], bool]:
    """Phrases the step's grammar holds and whether a free answer is welcome."""
    from assistant.dialog.session import new_engine

    engine = new_engine(content)
    section, _, step_id = step.partition(".")
    try:
        sec = content.script.by_id(section)
        sec.steps[step_id]
    except KeyError:
        raise ValueError(f"no step {step!r}; steps look like what_is_trust.trust_choice "
                         "(`reflect sections --json` lists the sections)") from None
    listen = engine.listen_at(sec.id, step_id)
    expect = listen.expect
    if listen.open:  # every global command is welcome at an open question
        expect = tuple(dict.fromkeys(expect + tuple(p for ps in engine.grammar.values() for p in ps)))
    return expect, listen.open


def hear_file(hearing: Any, pcm: bytes, expect: tuple[str, ...], open_: bool,
              silence: float) -> Any:
    """One recorded utterance, framed by quiet as a microphone would deliver it."""
    from assistant.hearing.recognisers import RATE, recognise_stream

    quiet = b"\0" * (int(0.3 * RATE) * 2)
    tail = b"\0" * (int(5.0 * RATE) * 2)  # room for the longest end-of-turn wait
    data = quiet + pcm + tail
    blocks = iter([data[i:i + BLOCK] for i in range(0, len(data), BLOCK)])
    return recognise_stream(lambda: next(blocks, None), hearing, expect, silence=silence,
                            timeout=None, max_seconds=600.0, open_=open_)


def cmd_hear(args: argparse.Namespace) -> int:
    from assistant.cli.options import voice_config
    from assistant.dialog.session import load_content
    from assistant.hearing.frontend import AudioFileError, read_wav
    from assistant.hearing.recognisers import AsrError
    from assistant.hearing.turns import make_hearing
    from assistant.understanding.evaluation import predict

    content = load_content()
    step = args.step or default_step(content)
    try:
        cfg = voice_config(args)
        expect, open_ = expectation(content, step)
        notes: list[str] = []
        hearing = make_hearing(cfg.engine, cfg.model or None, notes.append)
    except (AsrError, ValueError) as exc:
        print(f"reflect: {exc}", file=sys.stderr)
        return EXIT_ERROR
    hearing.is_command = partial(says_command, content.matcher)
    hearing.wait_for_whisper()
    for note in notes:
        print(f"reflect: {note}", file=sys.stderr)
    bad = 0
    for path in args.files:
        try:
            pcm = read_wav(path)
        except AudioFileError as exc:
            print(f"reflect: {exc}", file=sys.stderr)
            bad += 1
            continue
        res: Optional[Any] = hear_file(hearing, pcm, expect, open_, cfg.silence)
        text = res.text if res else ""
        intent, section = predict(content, text, step) if text else ("none", "")
        row = {"file": str(path), "text": text, "intent": intent, "section": section or None,
               "engine": (res.engine if res and text else None)}
        if args.json:
            print(json.dumps(row, ensure_ascii=False), flush=True)
        else:
            where = f" ({section})" if section else ""
            print(f"{path}: {text or '(nothing heard)'} -> {intent}{where}"
                  f" [{row['engine'] or '-'}]", flush=True)
    return EXIT_BAD_FILE if bad else EXIT_OK
