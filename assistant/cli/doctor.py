"""`reflect doctor`: check each part of the voice stack and say what to fix."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

from assistant.cli.options import EXIT_ERROR, EXIT_NO_AUDIO, EXIT_OK, data_dir, voice_config
from assistant.models import vosk as models
from assistant.voice.config import CONFIG_NAME, VoiceConfig


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check each part of the voice stack and say what to do about failures."""
    rc = EXIT_OK
    lines: list[str] = []

    def check(name: str, fn: Callable[[], str], code: int = EXIT_ERROR) -> None:
        nonlocal rc
        try:
            lines.append(f"  ok    {name}: {fn()}")
        except Exception as exc:
            lines.append(f"  FAIL  {name}: {exc}")
            rc = max(rc, code)
        print(lines[-1], flush=True)

    print("Reflect doctor")
    cfg_holder: dict[str, VoiceConfig] = {}

    def config() -> str:
        cfg_holder["cfg"] = voice_config(args)
        path = getattr(args, "config", None) or data_dir(args) / CONFIG_NAME
        return f"{path} ({'found' if Path(path).is_file() else 'defaults'})"

    check("config", config)
    cfg = cfg_holder.get("cfg", VoiceConfig())

    def tts() -> str:
        from assistant.speech.piper import FETCH_HINT
        from assistant.speech.tts import Tts

        notes: list[str] = []
        t = Tts(cfg.voice, cfg.rate, cfg.volume, note=notes.append)
        t0 = time.perf_counter()
        s = t.synth("Hello, this is a test.")
        took = f"{s.seconds:.1f} s of speech in {(time.perf_counter() - t0) * 1000:.0f} ms"
        if t.engine == "piper":
            how = ("heard as it is made" if t.streams else "each sentence made before it is "
                   "heard; split it to start sooner: .venv/bin/python scripts/fetch_models.py "
                   "piper --force")
            return f"{t.describe()} ({how}), {took}"
        why = "the neural voice is not installed" if notes else "as asked in the settings"
        return f"{t.describe()} ({why}; to get the neural voice back, {FETCH_HINT}), {took}"

    check("speech out", tts)

    def devices() -> str:
        from assistant.voice.devices import list_devices

        devs = list_devices()
        return f"{len(devs)} device(s): " + ", ".join(d.name for d in devs)

    check("audio devices", devices, EXIT_NO_AUDIO)

    def speaker() -> str:
        from assistant.voice.devices import Player

        p = Player(cfg.output_device or None)
        try:
            return f"device #{p.device}, latency {p.latency * 1000:.0f} ms"
        finally:
            p.close()

    check("speaker", speaker, EXIT_NO_AUDIO)

    def mic() -> str:
        from assistant.hearing.frontend import block_rms
        from assistant.voice.devices import Mic

        m = Mic(cfg.input_device or None)
        try:
            blocks = [b for b in (m.read(1.0) for _ in range(25)) if b]
        finally:
            m.close()
        if not blocks:
            raise RuntimeError("the microphone delivers no audio")
        level = max(block_rms(b) for b in blocks)
        return f"device #{m.device}, {len(blocks)} blocks, peak level {level:.3f}"

    check("microphone", mic, EXIT_NO_AUDIO)

    def model() -> str:
        found = models.resolve_model(cfg.model or None, data_dir(args))
        if found is None:
            from assistant.hearing.whisper import find_model

            if find_model() is not None:
                return ("no Vosk model; the embedded pocketsphinx streams (barge-in, the "
                        "first second), Whisper writes down what is said")
            return "no Vosk model; using embedded pocketsphinx. " + models.FETCH_HINT
        return f"Vosk model {found}"

    check("Vosk model", model)

    def recogniser() -> str:
        from assistant.hearing.recognisers import make_recognizer

        t0 = time.perf_counter()
        rec = make_recognizer(cfg.engine, cfg.model or None)
        rec.start(["stop", "go on"])
        rec.feed(b"\0" * 3200)
        rec.finish()
        return f"{rec.name} ready in {time.perf_counter() - t0:.1f} s"

    check("recogniser", recogniser)

    def whisper() -> str:
        from assistant.hearing.whisper import Whisper, WhisperUnavailable

        t0 = time.perf_counter()
        try:
            w = Whisper()
        except WhisperUnavailable as exc:
            raise RuntimeError(f"{exc}; until then the embedded recogniser hears alone, and "
                               "open answers may be written down poorly") from None
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        w.transcribe(b"\0\1" * 16000)
        return (f"{w.model_dir.name} ready in {loaded:.1f} s, a decoding in "
                f"{(time.perf_counter() - t0) * 1000:.0f} ms")

    check("Whisper", whisper)

    def safety_model() -> str:
        from assistant.safety.model import SafetyModelError, load_safety_model

        try:
            m = load_safety_model()
        except SafetyModelError as exc:
            raise RuntimeError(f"{exc}; until then the safety net listens with its rules alone") from None
        t0 = time.perf_counter()
        m.prob("i have been thinking about what happened between us")
        return f"{m.encoder.dim}-d sentence model ready, a check in {(time.perf_counter() - t0) * 1000:.0f} ms"

    check("safety model", safety_model)
    print("All good." if rc == EXIT_OK else
          "Some checks failed; `reflect --text` works without audio.")
    return rc
