"""A synthesised speaking user (espeak-ng voices) in a room with a noise floor."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

RATE = 16000

VOICES: tuple[tuple[str, int], ...] = (
    ("en-us", 150), ("en-us+f3", 170), ("en-gb", 160), ("en-gb-scotland", 165),
    ("en-gb-x-rp+f2", 145), ("en-us+m5", 180), ("en-029", 155), ("en-us-nyc+f4", 140),
)
"""Eight speakers: accents, female variants, rates 140-180 words a minute."""


def speak(text: str, voice: str = "en-us", wpm: int = 160) -> np.ndarray:
    """``text`` said by an espeak-ng voice: float samples at 16 kHz."""
    from assistant.hearing.frontend import read_wav

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "u.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(wav), text],
                       check=True, capture_output=True)
        pcm = read_wav(wav)
    a = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    nz = np.flatnonzero(np.abs(a) > 1e-3)  # espeak's own lead and tail of silence
    return a[nz[0]:nz[-1] + 1] if len(nz) else a


def speak_with_pauses(parts: list[str], pauses: list[float], voice: str, wpm: int) -> tuple[np.ndarray, float]:
    """Parts said with the given pauses between them (a person thinking).
    Returns the audio and the time the last part starts."""
    chunks: list[np.ndarray] = []
    last_start = 0.0
    for i, part in enumerate(parts):
        if i:
            chunks.append(np.zeros(int(pauses[i - 1] * RATE), np.float32))
        last_start = sum(len(c) for c in chunks) / RATE
        chunks.append(speak(part, voice, wpm))
    return np.concatenate(chunks), last_start


def pink_noise(n: int, dbfs: float, seed: int = 0) -> np.ndarray:
    """Pink (1/f) noise of ``n`` samples at ``dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(size=n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(f), n)
    noise /= np.sqrt(np.mean(noise ** 2)) or 1.0
    return (noise * 10 ** (dbfs / 20)).astype(np.float32)


def in_room(speech: np.ndarray, dbfs: float | None, lead: float = 0.3, tail: float = 0.0,
            seed: int = 0) -> bytes:
    """Speech with quiet before (and after), over the room's noise floor
    (None: exact digital silence), as 16 kHz int16 PCM."""
    pad = np.zeros(int(lead * RATE), np.float32)
    a = np.concatenate([pad, speech, np.zeros(int(tail * RATE), np.float32)])
    if dbfs is not None:
        a = a + pink_noise(len(a), dbfs, seed)
    return (np.clip(a, -1, 1) * 32767).astype("<i2").tobytes()


def write_wav(path: Path, pcm: bytes) -> Path:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return path
