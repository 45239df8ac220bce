"""Speech out: one interface over two voices, with a cache and streaming.

The neural voice (Piper) is the default wherever it is installed; espeak-ng
through pyttsx3 is the light fallback and can be asked for (``voice =
"espeak"``). Both hand over int16 PCM (``audio.Speech``). Long text is spoken
as it is synthesised: ``stream`` yields the first clause or sentence as soon
as it is ready, so a reply or a section starts at once while the rest is
still being made.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Union

import numpy as np

from assistant.content.article import split_sentences
from assistant.speech.audio import Speech, TtsError, join, resample, scale, trim, write_wav
from assistant.speech.espeak import EspeakBackend
from assistant.speech.piper import FETCH_HINT, PiperBackend, piper_voice_files, voice_id

__all__ = ["MAX_RATE", "MIN_RATE", "Speech", "Tts", "TtsError", "VoiceInfo", "resample",
           "trim", "write_wav"]

MIN_RATE, MAX_RATE, RATE_STEP = 90, 300, 25
"""Words per minute: bounds and the step of one "slower"/"faster"."""

FIRST_CLAUSE_WORDS = 8
"""A first sentence longer than this is started at its first comma: the
neural voice needs about 25 ms a word, and the reply should start within
about 150 ms."""
LONG_SENTENCE_WORDS = 16
"""A sentence longer than this is synthesised clause by clause: the neural
voice's working memory grows with the longest piece it is given (and stays
with its arena), and the next clause is made while one plays."""
PAUSE_SENTENCE, PAUSE_CLAUSE = 0.2, 0.05
"""Quiet added after a streamed sentence / clause (on top of the voice's own)."""

PREFETCH_NICE = 10
"""Speech prepared ahead runs at this niceness: what is being heard or said
now comes first."""

_CLAUSE = re.compile(r"(?<=[,;:])\s+")

Backend = Union[PiperBackend, EspeakBackend]


@dataclass(frozen=True)
class VoiceInfo:
    engine: str
    """"piper" or "espeak"."""
    id: str
    name: str
    in_use: bool = False


def _clauses(sentence: str, most: int) -> list[str]:
    """``sentence`` cut at commas, semicolons and colons into parts of at most
    about ``most`` words (a part is never under three words)."""
    parts: list[str] = []
    for clause in _CLAUSE.split(sentence):
        if parts and (len(parts[-1].split()) < 3 or len(clause.split()) < 3
                      or len(parts[-1].split()) + len(clause.split()) <= most):
            parts[-1] = f"{parts[-1]} {clause}"
        else:
            parts.append(clause)
    return parts


def pieces(text: str, stream: bool = True) -> list[tuple[str, float]]:
    """(text, pause after) in the order they are spoken. A first sentence over
    FIRST_CLAUSE_WORDS starts with its first clause, so that speech can start
    early; any sentence over LONG_SENTENCE_WORDS goes clause by clause."""
    if not stream:
        return [(text, 0.0)]
    out: list[tuple[str, float]] = []
    for i, sentence in enumerate(split_sentences(text) or [text]):
        n = len(sentence.split())
        if i == 0 and n > FIRST_CLAUSE_WORDS:
            head, *rest = _CLAUSE.split(sentence, maxsplit=1)
            if rest and len(head.split()) >= 3 and len(rest[0].split()) >= 2:
                out.append((head, PAUSE_CLAUSE))
                sentence, n = rest[0], len(rest[0].split())
        parts = _clauses(sentence, LONG_SENTENCE_WORDS) if n > LONG_SENTENCE_WORDS else [sentence]
        out += [(p, PAUSE_CLAUSE) for p in parts[:-1]] + [(parts[-1], PAUSE_SENTENCE)]
    if out:
        out[-1] = (out[-1][0], 0.0)
    return out


def open_backend(voice: str, note: Optional[Callable[[str], None]] = None) -> Backend:
    """The backend for a voice setting.

    ``""``, ``"auto"``, ``"piper"``: the neural voice, else espeak-ng with one
    note why; ``"espeak"``: espeak-ng's default voice; ``"espeak:ID"``: that
    espeak-ng voice; any other name: an installed Piper voice of that name
    ("joe"), else an espeak-ng voice ("en-gb").
    """
    spec = voice.strip()
    low = spec.lower()
    if low in ("", "auto", "piper"):
        try:
            return PiperBackend()
        except TtsError as exc:
            if note:
                note(f"speaking with the light voice (espeak-ng): {exc}")
            return EspeakBackend()
    if low == "espeak":
        return EspeakBackend()
    if low.startswith("espeak:"):
        return EspeakBackend(spec.split(":", 1)[1])
    name = spec.split(":", 1)[1] if low.startswith("piper:") else spec
    for path in piper_voice_files():
        if name.lower() in (voice_id(path).lower(), path.stem.lower()):
            return PiperBackend(path)
    if low.startswith("piper:"):
        raise TtsError(f"no neural voice called {name!r}; see `reflect voices` ({FETCH_HINT})")
    return EspeakBackend(spec)


class Tts:
    """Synthesises text with the chosen backend; thread-safe, with a small cache."""

    def __init__(self, voice: str = "", rate: int = 165, volume: float = 1.0,
                 cache_size: int = 128, cache_bytes: int = 6_000_000,
                 note: Optional[Callable[[str], None]] = None) -> None:
        self.backend: Backend = open_backend(voice, note)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, Speech] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        """Also capped by size (6 MB: over two minutes of speech: the short
        phrases that recur): a cache of long sentences grew a long session."""
        self._cached = 0
        self._wanted: list[tuple[str, bool]] = []
        self._wake = threading.Event()
        self._worker: Optional[threading.Thread] = None
        self.volume = min(1.0, max(0.0, float(volume)))
        self.rate = rate

    # ------------------------------------------------------------ settings

    @property
    def engine(self) -> str:
        return self.backend.engine

    @property
    def voice(self) -> str:
        return self.backend.voice_name

    def describe(self) -> str:
        if self.engine == "piper":
            return f"Piper neural voice {self.voice!r}"
        return f"espeak-ng voice {self.voice!r}"

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

    def set_voice(self, wanted: str) -> str:
        """Another voice of the same engine (espeak-ng) or any voice by setting."""
        if isinstance(self.backend, EspeakBackend) and wanted.lower() not in ("piper", "auto"):
            return self.backend.set_voice(wanted)
        self.backend = open_backend(wanted)
        return self.voice

    def voices(self) -> list[VoiceInfo]:
        """Every installed voice, neural first; the one in use marked."""
        out = [VoiceInfo("piper", voice_id(p), p.stem,
                         self.engine == "piper" and voice_id(p) == self.voice)
               for p in piper_voice_files()]
        espeak = self.backend if isinstance(self.backend, EspeakBackend) else EspeakBackend()
        for vid, name in espeak.voices():
            out.append(VoiceInfo("espeak", vid, name,
                                 self.engine == "espeak" and vid == self.backend.voice_name))
        return out

    # ------------------------------------------------------------ synthesis

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cached = 0

    def piece(self, text: str, pause: float) -> Speech:
        """One piece of ``plan``: synthesised (or from the cache), with its pause."""
        hit = self._hit(text, pause)
        if hit is not None:
            return hit
        speech = self.backend.render(text, self._rate)
        pcm = scale(speech.pcm, self.volume)
        if pause > 0:
            pcm = np.concatenate([pcm, np.zeros(int(pause * speech.samplerate), dtype=np.int16)])
        return self._keep(text, pause, Speech(pcm, speech.samplerate))

    @property
    def streams(self) -> bool:
        """The voice can be heard while a sentence is still being made."""
        return isinstance(self.backend, PiperBackend) and self.backend.streams

    def piece_stream(self, text: str, pause: float) -> Iterator[Speech]:
        """``piece`` in stretches as they are made (the neural voice's first
        sentence comes in two); kept in the cache whole once all is made."""
        hit = self._hit(text, pause)
        if hit is not None or not self.streams:
            yield hit if hit is not None else self.piece(text, pause)
            return
        rate = self.backend.samplerate
        parts: list[np.ndarray] = []
        for pcm in self.backend.render_stream(text, self._rate):
            parts.append(scale(pcm, self.volume))
            yield Speech(parts[-1], rate)
        if pause > 0:
            parts.append(np.zeros(int(pause * rate), dtype=np.int16))
            yield Speech(parts[-1], rate)
        self._keep(text, pause, Speech(np.concatenate(parts) if parts else
                                       np.zeros(0, dtype=np.int16), rate))

    def _key(self, text: str, pause: float) -> tuple:
        """What a piece's speech depends on."""
        return (text, pause, self.engine, self.voice, self._rate, self.volume)

    def _hit(self, text: str, pause: float) -> Optional[Speech]:
        key = self._key(text, pause)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _keep(self, text: str, pause: float, speech: Speech) -> Speech:
        key = self._key(text, pause)
        with self._lock:
            self._cache[key] = speech
            self._cached += speech.pcm.nbytes
            while len(self._cache) > 1 and (len(self._cache) > self._cache_size
                                            or self._cached > self._cache_bytes):
                _, old = self._cache.popitem(last=False)
                self._cached -= old.pcm.nbytes
        return speech

    def plan(self, text: str) -> list[tuple[str, float]]:
        """The pieces ``text`` is spoken in (one for espeak-ng, which is fast)."""
        return pieces(text, self.engine == "piper")

    def cached(self, text: str, pause: float) -> bool:
        with self._lock:
            return self._key(text, pause) in self._cache

    def stream(self, text: str) -> Iterator[Speech]:
        """The speech for ``text`` piece by piece, each as soon as it is made."""
        for piece, pause in self.plan(text):
            yield self.piece(piece, pause)

    def synth(self, text: str) -> Speech:
        """PCM for all of ``text`` at the current voice, rate and volume."""
        parts = list(self.stream(text))
        if len(parts) == 1:
            return parts[0]
        return join(parts, 0.0)

    def prefetch(self, texts: Sequence[str], first_only: bool = False) -> None:
        """Synthesise ``texts`` in the background, at low priority, so that they
        are ready when said (the next sentence of a reading; with
        ``first_only``, the first piece of each likely reply while listening).
        Replaces whatever earlier wishes have not been started. Only for the
        neural voice: espeak-ng is fast, and pyttsx3 is not for two threads."""
        if self.engine != "piper":
            return
        with self._lock:
            self._wanted = [(t, first_only) for t in texts if t]
            if self._worker is None:
                self._worker = threading.Thread(target=self._prefetcher, name="tts-prefetch",
                                                daemon=True)
                self._worker.start()
        self._wake.set()

    def _prefetcher(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # below what must be heard now
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PREFETCH_NICE)
        while True:
            self._wake.wait()
            with self._lock:
                if not self._wanted:
                    self._wake.clear()
                    continue
                text, first_only = self._wanted.pop(0)
            try:
                for i, (piece, pause) in enumerate(self.plan(text)):
                    if i and first_only:
                        break
                    self.piece(piece, pause)
            except TtsError:
                pass  # synthesised again, and the error shown, when it is said
