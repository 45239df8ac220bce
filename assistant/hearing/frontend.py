"""The audio front end: what every recogniser gets, from a microphone or a file.

Dither: exact digital zeros (a null sink, a noise-suppressing microphone)
derail pocketsphinx's grammar decoder, which then misses a clean command that
follows; a faint noise floor (about -66 dBFS RMS, far below any room) keeps
every recogniser on track and is inaudible in what it writes down.

Levels: a block's RMS and the energy endpointer every listen uses.

Files: any WAV rate and channel count is mixed down to mono and resampled to
the 16 kHz the recognisers take.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000
DITHER_RMS = 16.0
"""In int16 units: about -66 dBFS."""

_rng = np.random.default_rng(20261205)


def dither(block: bytes) -> bytes:
    """``block`` (int16 PCM) plus a faint noise floor."""
    if not block:
        return block
    a = np.frombuffer(block, dtype=np.int16).astype(np.int32)
    noise = np.rint(_rng.normal(0.0, DITHER_RMS, len(a))).astype(np.int32)
    return np.clip(a + noise, -32768, 32767).astype(np.int16).tobytes()


class AudioFileError(ValueError):
    """A file that is not readable WAV audio (message names the file)."""


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Band-limited resampling of a whole float signal (FFT; files are short)."""
    if rate == to or len(samples) == 0:
        return samples
    n_out = max(1, int(round(len(samples) * to / rate)))
    spectrum = np.fft.rfft(samples)
    keep = n_out // 2 + 1
    if keep <= len(spectrum):
        spectrum = spectrum[:keep]  # drops what the lower rate cannot hold
    else:
        spectrum = np.concatenate([spectrum, np.zeros(keep - len(spectrum), complex)])
    return np.fft.irfft(spectrum, n_out) * (n_out / len(samples))


def read_wav(path: Path) -> bytes:
    """16 kHz mono int16 PCM from a WAV file of any rate, width and channel count."""
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise AudioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFileError(f"{path}: is a directory, not a WAV file") from None
    except PermissionError:
        raise AudioFileError(f"{path}: not readable (permission denied)") from None
    except (wave.Error, EOFError, OSError) as exc:
        raise AudioFileError(f"{path}: not a readable WAV file ({exc})") from None
    if width == 1:
        a = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        a = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        a = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float32) / float(1 << 23)
    elif width == 4:
        a = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise AudioFileError(f"{path}: {8 * width}-bit samples are not supported")
    if channels > 1:
        a = a[: len(a) // channels * channels].reshape(-1, channels).mean(axis=1)
    if len(a) == 0:
        raise AudioFileError(f"{path}: holds no audio")
    a = resample(a, rate)
    return (np.clip(a, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


@dataclass
class Endpointer:
    """Energy-based speech start / end-of-utterance detection."""

    silence: float = 0.8
    """Seconds of quiet that end an utterance."""
    threshold: float = 0.01
    """RMS (0..1) above which a block counts as speech."""
    start_blocks: int = 3
    """Consecutive loud 20 ms blocks needed to call it speech."""

    def __post_init__(self) -> None:
        self.started = False
        self._loud = 0
        self.quiet = 0.0
        """Seconds of quiet since the last loud block."""

    def push(self, level: float, seconds: float, threshold: float = 0.0) -> bool:
        """Feed one block's level; True once the utterance has ended.

        ``threshold`` raises the bar for this block (e.g. the echo expected
        from what was just played)."""
        if level >= max(self.threshold, threshold):
            self._loud += 1
            self.quiet = 0.0
            if self._loud >= self.start_blocks:
                self.started = True
        else:
            self._loud = 0
            self.quiet += seconds
        return self.started and self.quiet >= self.silence


def block_rms(block: bytes) -> float:
    a = np.frombuffer(block, dtype=np.int16).astype(np.float32)
    return float(np.sqrt(np.mean(a * a))) / 32768.0 if len(a) else 0.0
