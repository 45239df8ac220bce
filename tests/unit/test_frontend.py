"""The audio front end: dither against exact digital silence, WAV files of any
rate, width and channel count."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.hearing.frontend import AudioFileError, dither, read_wav, resample


def _wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> Path:
    a = np.repeat(samples[:, None], channels, axis=1).ravel()
    if width == 2:
        raw = (a * 32767).astype("<i2").tobytes()
    elif width == 1:
        raw = (a * 127 + 128).astype(np.uint8).tobytes()
    else:  # 24-bit little endian
        v = (a * (2 ** 23 - 1)).astype(np.int32)
        raw = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], axis=1).astype(np.uint8).tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)
    return path


def test_dither_turns_exact_zeros_into_a_faint_floor():
    out = np.frombuffer(dither(b"\0" * 640), dtype=np.int16).astype(float)
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(out ** 2)) / 32768)
    assert out.any() and -75 < rms_dbfs < -60


def test_dither_leaves_speech_as_it_was():
    tone = (np.sin(np.arange(320) / 5) * 8000).astype(np.int16)
    out = np.frombuffer(dither(tone.tobytes()), dtype=np.int16)
    assert np.abs(out.astype(int) - tone).max() < 100
    assert dither(b"") == b""


@pytest.mark.parametrize("rate,channels,width", [(44100, 2, 2), (48000, 1, 3), (8000, 1, 1),
                                                 (16000, 1, 2), (22050, 6, 2)])
def test_any_wav_becomes_16k_mono(tmp_path, rate, channels, width):
    t = np.arange(int(rate * 0.5)) / rate
    path = _wav(tmp_path / "x.wav", 0.5 * np.sin(2 * np.pi * 440 * t), rate, channels, width)
    pcm = np.frombuffer(read_wav(path), dtype=np.int16) / 32768
    assert abs(len(pcm) - 8000) <= 1
    spectrum = np.abs(np.fft.rfft(pcm))
    assert abs(np.argmax(spectrum) * 16000 / len(pcm) - 440) < 5  # the same tone
    assert 0.3 < np.abs(pcm).max() < 0.6


def test_resample_keeps_length_ratio():
    assert len(resample(np.zeros(44100), 44100)) == 16000
    assert len(resample(np.zeros(100), 16000)) == 100


@pytest.mark.parametrize("make,words", [
    (lambda p: p, "no such file"),
    (lambda p: (p.mkdir(), p)[1], "is a directory"),
    (lambda p: (p.write_bytes(b"RIFF not really a wave"), p)[1], "not a readable WAV"),
    (lambda p: _wav(p, np.zeros(0), 16000), "holds no audio"),
])
def test_bad_files_say_what_is_wrong(tmp_path, make, words):
    path = make(tmp_path / "bad.wav")
    with pytest.raises(AudioFileError) as e:
        read_wav(path)
    assert str(path) in str(e.value) and words in str(e.value)
