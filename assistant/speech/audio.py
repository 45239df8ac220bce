"""Synthesised speech as PCM: the one format every speech backend hands over,
and what is done to it afterwards (trimming, resampling, writing a WAV)."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from assistant.storage.atomic import write_atomic

WAV_MODE = 0o644
"""A section read to a file is the article's text, not the person's words."""


class TtsError(RuntimeError):
    """Speech synthesis is unavailable or failed."""


@dataclass(frozen=True)
class Speech:
    """Synthesised audio for one piece of text."""

    pcm: np.ndarray
    """Mono int16 samples."""
    samplerate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.samplerate


LEAD, TAIL = 0.005, 0.2
"""Seconds of quiet kept before and after the speech: espeak-ng adds up to
50 ms before (delaying every reply) and ~340 ms after."""


def trim(pcm: np.ndarray, rate: int, level: int = 300, lead: bool = True,
         tail: bool = True) -> np.ndarray:
    """Cut the synthesiser's leading and trailing quiet down to LEAD / TAIL
    (only one end of a stretch of a sentence: ``lead`` / ``tail`` False)."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > level)
    if len(loud) == 0:
        return pcm
    start = max(0, int(loud[0]) - int(LEAD * rate)) if lead else 0
    end = min(len(pcm), int(loud[-1]) + 1 + int(TAIL * rate)) if tail else len(pcm)
    return pcm[start:end]


def scale(pcm: np.ndarray, volume: float) -> np.ndarray:
    """Samples at ``volume`` (0..1) of their level."""
    if volume >= 1.0:
        return pcm
    return (pcm.astype(np.float32) * volume).astype(np.int16)


def join(parts: Sequence[Speech], gaps: Union[float, Sequence[float]] = 0.35) -> Speech:
    """One Speech from parts, with ``gaps`` seconds of quiet after each but the
    last (one figure for all, or one per part)."""
    if not parts:
        raise TtsError("nothing to join")
    rate = parts[0].samplerate
    pauses = [gaps] * len(parts) if isinstance(gaps, (int, float)) else list(gaps)
    chunks: list[np.ndarray] = []
    for i, (p, gap) in enumerate(zip(parts, pauses)):
        chunks.append(resample(p.pcm, p.samplerate, rate))
        if i < len(parts) - 1:
            chunks.append(np.zeros(int(gap * rate), dtype=np.int16))
    return Speech(np.concatenate(chunks), rate)


def write_wav(path: str, parts: Sequence[Speech], gaps: Union[float, Sequence[float]] = 0.35) -> float:
    """Write speech parts to one mono WAV with pauses between; returns seconds.
    Written whole or not at all (storage.atomic)."""
    speech = join(parts, gaps)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(speech.samplerate)
        w.writeframes(speech.pcm.tobytes())
    write_atomic(Path(path), buf.getvalue(), WAV_MODE)
    return speech.seconds


def resample(pcm: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear-interpolation resampling of int16 mono (plenty for speech)."""
    if src == dst or len(pcm) == 0:
        return pcm
    n = int(round(len(pcm) * dst / src))
    x = np.linspace(0, len(pcm) - 1, n)
    return np.interp(x, np.arange(len(pcm)), pcm.astype(np.float32)).astype(np.int16)
