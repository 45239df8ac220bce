"""Hearing: a streaming recogniser and Whisper, and whose words count.

The streaming recogniser (Vosk or pocketsphinx, restricted to the phrases the
step expects) decodes while the person speaks; the barge-in detector cuts
playback on the voice's level at once. Whisper writes down freely, after the
utterance, and far better (scripts/bench_hearing.py has the figures). Whose
words count, once Whisper has loaded:

* Whisper's. It starts decoding at the first short pause, in the background,
  so its words are usually ready when the turn ends.
* Never the grammar's alone: a grammar forces speech into the nearest
  phrase ("hang on a second" became "continue", "bye for today" "go to going
  forward", "that's enough for today, bye" "let's continue") and its decoder
  reports near-certainty either way (every misheard natural command in the
  benchmark had confidence 1.0), so it cannot tell a sure command from a
  forced one, not even at a step that expects a few phrases.

Until Whisper has loaded (a second or so after start-up), or when it is not
installed, the streaming recogniser hears everything, as it always has.

Turn-taking for open answers: people pause mid-thought. A command ("can you
read the bit on saying sorry") ends the turn at the ordinary pause; anything
else, even "no", waits for a longer silence ("no | I mean, I did look
once"), and longer still when the words so far trail off ("and the thing
is"). When the turn ends, the background decoding is usually the answer.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from typing import Callable, Optional, Sequence

import numpy as np

from assistant import models_loaded, trim_heap
from assistant.content.words import alternation, words
from assistant.hearing.recognisers import RATE, AsrError, Recognizer, Result, make_recognizer, normalise

WHISPER_FLOOR = -1.3
"""Whisper average log-probability mapped to confidence 0.5, below which the
engine confirms a command before acting on it."""

OPEN_SILENCE = 2.4
"""Quiet that ends an open answer: longer than the 1-2 s pauses of someone
thinking mid-answer."""
TRAILING_SILENCE = 3.6
"""... when the words so far do not end a thought."""
SPECULATE_AFTER = 0.25
"""Quiet after which the words so far are decoded in the background. A
decoding takes 0.4-0.55 s whatever the utterance's length (Whisper's encoder
reads a 30 s window), so it starts early enough to be ready when a command's
0.8 s pause ends."""
TRAIL = int(SPECULATE_AFTER * RATE) * 2
"""Bytes of quiet kept after the last speech for Whisper (a word's fading
end): as long as the pause that starts a decoding, so that every later block
of the same pause asks for the same audio, decoded once."""

PROMPT = ", ".join(words("hearing", "whisper_prompt")) + "."
"""Words given to Whisper as if said just before a short utterance: how the
commands are said and the article's section names (content/words.toml).
Whisper leans towards them, so a command said in an accent it hears poorly
is written as the command; docs/hearing.md has the figures."""
PROMPT_UP_TO = 4.0
"""Seconds of audio up to which an utterance is heard again with the prompt:
commands are short; a longer utterance is an answer."""

_TRAILING = re.compile(rf"(\b({alternation('hearing', 'trailing')})|,|\.\.\.|…)\s*$")  # content/words.toml


def trails_off(text: str) -> bool:
    """True when the words so far do not end a thought ("and the thing is")."""
    return bool(_TRAILING.search(text.lower().strip()))


def whisper_confidence(text: str, prob: float) -> float:
    """Whisper's ``exp(avg_logprob)`` rescaled so that 0.5 is WHISPER_FLOOR."""
    if not text:
        return 0.0
    logprob = float(np.log(max(prob, 1e-6)))
    return float(np.clip(0.5 + (logprob - WHISPER_FLOOR) / (2 * abs(WHISPER_FLOOR)), 0.0, 1.0))


class Hearing:
    """A Recognizer that runs a streaming recogniser and, when loaded, Whisper."""

    def __init__(self, stream: Recognizer, whisper: "Optional[Future]" = None) -> None:
        self.stream = stream
        self._whisper = whisper
        self._open = False
        self._expect: tuple[str, ...] = ()
        self._audio = bytearray()
        self._quiet = 0.0
        """Quiet so far in the current pause (from the endpointer)."""
        self._speech_end = 0
        """Bytes of audio up to the end of the last speech."""
        self._spec: Optional[tuple[int, Future]] = None
        """(audio length decoded, Whisper's words) of the latest decoding."""
        self._job: Optional[tuple[Future, bytes, object]] = None
        self._jobs = threading.Condition()
        self._worker: Optional[threading.Thread] = None
        self.last_stream = Result("", 0.0)
        """The streaming recogniser's result for the last utterance."""
        self.is_command: Optional[Callable[[str], bool]] = None
        """Does this text say a spoken command (the dialog's understanding)?
        Such an utterance at an open question ends at the ordinary pause."""

    def load_now(self) -> None:
        """Let a deferred Whisper load begin (nothing to do otherwise)."""

    # ---------------------------------------------------------------- parts

    @property
    def name(self) -> str:
        return f"{self.stream.name}+whisper" if self._whisper is not None else self.stream.name

    @property
    def has_whisper(self) -> bool:
        """Whisper is installed (it may still be loading)."""
        return self._whisper is not None

    @property
    def whisper(self):
        """The loaded Whisper, or None while it loads or when it is absent."""
        f = self._whisper
        if f is None or not f.done() or f.exception() is not None:
            return None
        return f.result()

    def wait_for_whisper(self, timeout: Optional[float] = None) -> bool:
        if self._whisper is None:
            return False
        try:
            self._whisper.result(timeout)
        except Exception:
            return False
        return True

    @property
    def adaptation(self) -> str:
        return getattr(self.stream, "adaptation", "")

    @adaptation.setter
    def adaptation(self, value: str) -> None:
        if hasattr(self.stream, "adaptation"):
            self.stream.adaptation = value

    # ---------------------------------------------------------------- protocol

    def start(self, expect: Optional[Sequence[str]], open_: bool = False) -> None:
        self._open = open_
        self._expect = tuple(normalise(p) for p in expect or ())
        self._audio = bytearray()
        self._quiet = 0.0
        self._speech_end = 0
        self._spec = None
        self.stream.start(expect, open_)

    def feed(self, pcm: bytes) -> str:
        if self._quiet == 0.0:  # speech, or an utterance cut at its longest
            self._speech_end = len(self._audio) + len(pcm)
        self._quiet = 0.0
        self._audio += pcm
        return self.stream.feed(pcm)

    def finish(self) -> Result:
        if self._audio and self._whisper is not None and not self._whisper.done():
            # Words said while Whisper loads (at the welcome): wait for it a
            # little rather than take the grammar's forced phrase ("could you
            # read me the part about saying sorry" became "read the bottom line").
            self.load_now()
            self.wait_for_whisper(FIRST_WORDS_WAIT)
        w = self.whisper
        if w is None or not self._audio:
            return self._stream_result()
        text, prob = self._words_so_far(w).result()
        self._cancel_stream()
        return Result(text, whisper_confidence(text, prob), len(self._audio) / 2 / RATE, "whisper")

    def _stream_result(self) -> Result:
        res = self.stream.finish()
        self.last_stream = Result(res.text, res.confidence, res.audio_seconds, self.stream.name)
        return self.last_stream

    def _cancel_stream(self) -> None:
        """Whisper's words count: skip the grammar decoder's last pass."""
        cancel = getattr(self.stream, "cancel", None)
        if cancel is not None:
            cancel()
            self.last_stream = Result("", 0.0, 0.0, self.stream.name)
        else:
            self._stream_result()

    # ---------------------------------------------------------------- turns

    def turn_over(self, quiet: float, silence: float) -> bool:
        """Called before each quiet block of an utterance is fed: has the
        person finished? ``quiet``: seconds of it so far, this block included;
        ``silence``: the ordinary pause that ends a command.

        From a short pause on, Whisper decodes the words so far in the
        background, so that they are usually ready when the turn ends."""
        self._quiet = quiet
        w = self.whisper
        if w is not None and quiet >= SPECULATE_AFTER:
            self._words_so_far(w)
        if quiet < silence:
            return False
        if not self._open or w is None:
            return True
        spec = self._spec[1] if self._spec else None
        if spec is None or not spec.done():
            return quiet >= OPEN_SILENCE
        text = spec.result()[0]
        words = normalise(text).split()
        if " ".join(words) in self._expect or (self.is_command and self.is_command(text)):
            return True
        return quiet >= (TRAILING_SILENCE if trails_off(text) else OPEN_SILENCE)

    def pending_words(self) -> Optional[Future]:
        """The latest background decoding (for benchmarks fed faster than
        real time, which give it the time it would have had)."""
        return self._spec[1] if self._spec else None

    def _words_so_far(self, w) -> Future:
        """Whisper's words for the audio up to the last speech (and a little
        quiet after it); one decoding per pause, on one worker thread. A
        request a newer one replaced before it began is answered with nothing."""
        end = min(len(self._audio), self._speech_end + TRAIL)
        if self._spec is not None and self._spec[0] == end:
            return self._spec[1]
        future: Future = Future()
        with self._jobs:
            if self._job is not None:
                self._job[0].set_result(("", 0.0))  # the person went on speaking
            self._job = (future, bytes(self._audio[:end]), w)
            self._jobs.notify()
            if self._worker is None:
                self._worker = threading.Thread(target=self._decode_jobs, daemon=True,
                                                name="whisper-decode")
                self._worker.start()
        self._spec = (end, future)
        return future

    def _transcribe(self, w, pcm: bytes) -> tuple[str, float]:
        """Whisper's words; for a short utterance heard as words that say no command, its
        words again with the commands in mind (PROMPT), which count only when
        they say one: "renew please" becomes "resume please", while an answer
        keeps the words it was heard as (prompted, short answers came out
        worse)."""
        text, prob = w.transcribe(pcm)
        said = self.is_command
        if not text or said is None or len(pcm) > PROMPT_UP_TO * RATE * 2 or said(text) or \
                " ".join(normalise(text).split()) in self._expect:
            return text, prob
        again = w.transcribe(pcm, PROMPT)
        return again if again[0] and said(again[0]) else (text, prob)

    def _decode_jobs(self) -> None:
        while True:
            with self._jobs:
                while self._job is None:
                    self._jobs.wait()
                future, pcm, w = self._job
                self._job = None
            try:
                future.set_result(self._transcribe(w, pcm))
            except Exception:  # a decoding failure is heard as nothing said
                future.set_result(("", 0.0))
            trim_heap()


WARM_UP = (np.sin(np.arange(RATE) / 3.0) * 3000).astype("<i2").tobytes()
"""One second of a tone: Whisper writes nothing for it."""


FIRST_WORDS_WAIT = 4.0
"""Seconds an utterance ended while Whisper loads waits for it at most."""
LOAD_AFTER = 5.0
"""Seconds a deferred load waits at most for its signal (``Hearing.load_now``)."""


def load_whisper_in_background(on_error: Callable[[str], None],
                               go: Optional[threading.Event] = None) -> Optional[Future]:
    """Start loading Whisper; None (and one message) when it is not installed.
    With ``go``, the load waits for that signal (at most LOAD_AFTER s): a
    spoken session gives it once the welcome is playing, so that the welcome
    is not made beside the load. Whisper's decoding threads are started by
    the load and keep its priority, so it runs at normal priority (at nice
    10 they lost to any other work, and a busy machine's turns waited)."""
    from assistant.hearing.whisper import Whisper, WhisperUnavailable, find_model

    if find_model() is None:
        models_loaded()  # no Whisper to wait for (see assistant/__init__.py)
        on_error("the Whisper model is not installed, so what you say is recognised by the "
                 "embedded recogniser alone, and open answers may be written down poorly "
                 "(install it: python scripts/fetch_models.py whisper)")
        return None
    future: Future = Future()

    def run() -> None:
        if go is not None:
            go.wait(LOAD_AFTER)
        try:
            w = Whisper()
            w.transcribe(WARM_UP)  # the first decoding sets up its buffers: ~1 s, not the user's
            models_loaded()
            future.set_result(w)
        except WhisperUnavailable as exc:
            on_error(f"{exc}; until then the embedded recogniser hears alone")
            future.set_exception(exc)
        except Exception as exc:  # reported, never fatal
            on_error(f"Whisper could not be loaded ({exc}); the embedded recogniser hears alone")
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="whisper-load").start()
    return future


ENGINES = ("auto", "whisper", "vosk", "sphinx")


def make_hearing(engine: str = "auto", model: Optional[str] = None,
                 on_error: Callable[[str], None] = lambda _m: None,
                 deferred: bool = False) -> Hearing:
    """``auto``: the best streaming recogniser installed (Vosk with a model, else
    pocketsphinx) with Whisper when installed; ``whisper``: the same, and an
    error when Whisper is missing; ``vosk`` / ``sphinx``: that one alone.
    ``deferred``: Whisper loads when ``Hearing.load_now()`` is called (or
    LOAD_AFTER s have passed)."""
    if engine not in ENGINES:
        raise AsrError(f"unknown recogniser {engine!r}; choose {', '.join(ENGINES)}")
    from assistant.hearing.whisper import find_model

    alone = engine in ("vosk", "sphinx") or find_model() is None  # no Whisper for free speech
    stream = make_recognizer("auto" if engine == "whisper" else engine, model, free=alone)
    if engine in ("vosk", "sphinx"):
        return Hearing(stream)
    if engine == "whisper" and find_model() is None:
        raise AsrError("the Whisper model is not installed "
                       "(run: python scripts/fetch_models.py whisper)")
    go = threading.Event() if deferred else None
    hearing = Hearing(stream, load_whisper_in_background(on_error, go))
    if go is not None:
        hearing.load_now = go.set
    return hearing
