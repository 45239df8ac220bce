#!/usr/bin/env python3
"""Speech out: is what Reflect says heard as it was written?

Every section of the article is read into a WAV file exactly as
`reflect read NAME --to FILE.wav` does (the chosen voice, its pauses), the
file is resampled to 16 kHz and written down by the project's own Whisper
model, and the words are compared with the article's: word error rate per
section and over all. Also prints the synthesis time per sentence (median,
p90) and the real-time factor.

Usage: python scripts/bench_speech.py [--voice NAME] [--sections N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.cli.speech import reading  # noqa: E402
from assistant.content.article import load_article  # noqa: E402
from assistant.speech.audio import resample, write_wav  # noqa: E402
from assistant.speech.tts import Tts  # noqa: E402
from reflectkit.scoring import wer  # noqa: E402


def transcribe(model, path: Path) -> str:
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    audio = resample(pcm, rate, 16000).astype(np.float32) / 32768.0
    segments, _ = model.transcribe(audio, language="en", beam_size=5, temperature=0.0,
                                   condition_on_previous_text=False)
    return " ".join(s.text.strip() for s in segments)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voice", default="", help="as reflect --voice (default: the neural voice)")
    ap.add_argument("--sections", type=int, default=0, help="only the first N sections")
    args = ap.parse_args(argv)
    from assistant.hearing.whisper import Whisper, WhisperUnavailable

    try:
        model = Whisper()._model
    except WhisperUnavailable as exc:
        print(f"bench_speech: {exc}", file=sys.stderr)
        return 1
    tts = Tts(args.voice, note=lambda m: print(m, file=sys.stderr))
    print(f"voice: {tts.describe()}; recogniser: Whisper ({Whisper().model_dir.name})")
    sections = [s for s in load_article().sections if s.paragraphs]
    if args.sections:
        sections = sections[:args.sections]
    errors = total = 0
    synth_times: list[float] = []
    audio_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        for sec in sections:
            texts, pauses = reading(sec.title)
            parts = []
            for text in texts:
                t0 = time.perf_counter()
                parts.append(tts.synth(text))
                synth_times.append(time.perf_counter() - t0)
            path = Path(tmp) / "section.wav"
            audio_seconds += write_wav(str(path), parts, pauses)
            heard = transcribe(model, path)
            e, n = wer(" ".join(texts), heard)
            errors, total = errors + e, total + n
            print(f"  {sec.title:<40} {100 * e / max(1, n):5.1f} % of {n} words", flush=True)
    med = statistics.median(synth_times)
    p90 = sorted(synth_times)[int(0.9 * (len(synth_times) - 1))]
    print(f"word error rate, {len(sections)} sections read and written back: "
          f"{100 * errors / max(1, total):.1f} % ({errors} of {total} words)")
    print(f"synthesis per sentence: median {med * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms; "
          f"real-time factor {sum(synth_times) / audio_seconds:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
