"""Text to speech: pyttsx3 (espeak-ng) synthesised to PCM in memory.

pyttsx3's own ``say()`` plays through ``aplay`` in a blocking call that can be
neither interrupted nor routed to a chosen device, so we only let it write a
WAV file and play the samples ourselves (see ``audio.Player``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import threading
import wave
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

MIN_RATE, MAX_RATE, RATE_STEP = 90, 300, 25
"""Words per minute: bounds and the step of one "slower"/"faster"."""


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


_ENGINE = None
_DEFAULT_VOICE = ""
_CURRENT_VOICE = ""
_ENGINE_LOCK = threading.Lock()
"""pyttsx3 keeps one driver per process (a weak cache); share it explicitly so
that several Tts objects never fight over it or lose it to the collector."""


def _engine():
    global _ENGINE, _DEFAULT_VOICE
    if _ENGINE is None:
        try:
            import pyttsx3

            _ENGINE = pyttsx3.init()
            _DEFAULT_VOICE = _ENGINE.getProperty("voice") or ""
        except Exception as exc:  # pyttsx3 raises bare errors when espeak is missing
            raise TtsError(f"speech synthesis is unavailable ({exc}); "
                           "install espeak-ng (apt-get install espeak-ng)") from exc
    return _ENGINE


class Tts:
    """Synthesise sentences with pyttsx3; thread-safe, with a small LRU cache."""

    def __init__(self, voice: str = "", rate: int = 165, volume: float = 1.0,
                 cache_size: int = 64, cache_bytes: int = 2_000_000) -> None:
        with _ENGINE_LOCK:
            self._engine = _engine()
        self._lock = _ENGINE_LOCK
        self._driver_is_espeak = "espeak" in type(self._engine.proxy._driver).__module__
        self._cache: OrderedDict[tuple, Speech] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        """Also capped by size (2 MB: ~45 s of speech, the short phrases that
        recur): a full cache of long sentences held 15 MB, most of a long
        session's memory growth, to save ~40 ms on a repeat."""
        self._cached = 0
        self._tmpdir = tempfile.mkdtemp(prefix="reflect-tts-")
        # Removed when this object goes or the program exits (nothing left in /tmp).
        weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        weakref.finalize(self, shutil.rmtree, self._tmpdir, True)  # at exit too, not left in /tmp
        self.volume = min(1.0, max(0.0, float(volume)))
        self.rate = rate
        self.voice = ""
        if voice:
            self.set_voice(voice)

    # ------------------------------------------------------------ settings

    @property
    def rate(self) -> int:
        return self._rate

    @rate.setter
    def rate(self, wpm: int) -> None:
        self._rate = int(min(MAX_RATE, max(MIN_RATE, wpm)))

    def adjust_rate(self, delta: int) -> int:
        """One step slower (delta < 0) or faster (delta > 0); returns the new rate."""
        self.rate = self._rate + RATE_STEP * delta
        return self._rate

    def voices(self) -> list[tuple[str, str]]:
        """(id, name) of the installed voices."""
        with self._lock:
            return [(v.id, v.name) for v in self._engine.getProperty("voices")]

    def set_voice(self, wanted: str) -> str:
        """Select a voice by id or (partial, case-insensitive) name; returns its id."""
        low = wanted.lower()
        found = [v for v, n in self.voices() if low in (v.lower(), n.lower())]
        found = found or [v for v, n in self.voices() if low in v.lower() or low in n.lower()]
        if not found:
            raise TtsError(f"no voice called {wanted!r}; see `espeak-ng --voices`")
        self.voice = found[0]
        return self.voice

    # ------------------------------------------------------------ synthesis

    def synth(self, text: str) -> Speech:
        """PCM for ``text`` at the current voice, rate and volume."""
        key = (text, self.voice, self._rate, self.volume)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            speech = self._synth_locked(text)
            self._cache[key] = speech
            self._cached += speech.pcm.nbytes
            while len(self._cache) > 1 and (len(self._cache) > self._cache_size
                                            or self._cached > self._cache_bytes):
                _, old = self._cache.popitem(last=False)
                self._cached -= old.pcm.nbytes
            return speech

    def _synth_locked(self, text: str) -> Speech:
        path = os.path.join(self._tmpdir, "say.wav")
        eng = self._engine
        global _CURRENT_VOICE
        voice = self.voice or _DEFAULT_VOICE
        if voice != _CURRENT_VOICE:  # the engine is shared between Tts objects
            eng.setProperty("voice", voice)
            with contextlib.redirect_stdout(io.StringIO()):
                eng.runAndWait()
            _CURRENT_VOICE = voice
        # The rate goes in as an espeak-ng embedded command (ctrl-A, value, "S"):
        # pyttsx3's setProperty("rate") races with espeak-ng's synthesis thread
        # and was silently ignored now and then. Volume is applied to the samples.
        text = text.replace("\x01", " ")
        if self._driver_is_espeak:
            text = f"\x01{self._rate}S {text}"
        else:
            eng.setProperty("rate", self._rate)
        with contextlib.redirect_stdout(io.StringIO()):
            eng.save_to_file(text, path)
            eng.runAndWait()
            if not os.path.exists(path):  # pyttsx3 occasionally ends its loop early
                eng.save_to_file(text, path)
                eng.runAndWait()
        try:
            with wave.open(path, "rb") as w:
                rate, width, chans = w.getframerate(), w.getsampwidth(), w.getnchannels()
                data = w.readframes(w.getnframes())
        except (OSError, EOFError, wave.Error) as exc:
            raise TtsError(f"speech synthesis produced no audio ({exc})") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if width != 2:
            raise TtsError(f"unexpected sample width {width} from the synthesiser")
        pcm = np.frombuffer(data, dtype=np.int16)
        if chans > 1:
            pcm = pcm.reshape(-1, chans)[:, 0]
        pcm = trim(pcm, rate)
        if self.volume < 1.0:
            pcm = (pcm.astype(np.float32) * self.volume).astype(np.int16)
        return Speech(pcm=pcm, samplerate=rate)


LEAD, TAIL = 0.005, 0.2
"""Seconds of quiet kept before and after the speech: espeak-ng adds up to
50 ms before (delaying every reply) and ~340 ms after."""


def trim(pcm: np.ndarray, rate: int, level: int = 300) -> np.ndarray:
    """Cut the synthesiser's leading and trailing quiet down to LEAD / TAIL."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > level)
    if len(loud) == 0:
        return pcm
    start = max(0, int(loud[0]) - int(LEAD * rate))
    end = min(len(pcm), int(loud[-1]) + 1 + int(TAIL * rate))
    return pcm[start:end]


def write_wav(path: str, parts: list[Speech], gap: float = 0.35) -> float:
    """Write speech parts to one mono WAV with short pauses between; returns seconds."""
    if not parts:
        raise TtsError("nothing to write")
    rate = parts[0].samplerate
    pause = np.zeros(int(gap * rate), dtype=np.int16)
    chunks: list[np.ndarray] = []
    for p in parts:
        chunks += [resample(p.pcm, p.samplerate, rate), pause]
    pcm = np.concatenate(chunks)
    tmp = f"{path}.part"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)
    return len(pcm) / rate


def resample(pcm: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear-interpolation resampling of int16 mono (plenty for speech)."""
    if src == dst or len(pcm) == 0:
        return pcm
    n = int(round(len(pcm) * dst / src))
    x = np.linspace(0, len(pcm) - 1, n)
    return np.interp(x, np.arange(len(pcm)), pcm.astype(np.float32)).astype(np.int16)
