"""Speaking a text while it is still being synthesised.

The first piece (a clause or sentence, ``speech.tts.pieces``) starts playing
as soon as it is ready; a thread synthesises the rest and queues each piece
behind what is playing, then prepares the text most likely said next. A stop
(barge-in) cancels the feed: pieces made after it are never queued.

On a busy machine the next piece may take longer to make than the first
takes to play, and a pause of a second in the middle of a reply sounds like
its end (a person starts to answer into it). So playback starts only once
what is ready covers the expected time to make the next piece, measured from
how long the pieces so far took.
"""

from __future__ import annotations

import threading
import time
from itertools import chain
from typing import Iterator, Optional

import numpy as np

from assistant.speech.audio import Speech, TtsError
from assistant.speech.tts import Tts
from assistant.voice.devices import Player

MARGIN = 0.3
"""Seconds of speech kept in hand beyond the expected time to make the next piece."""
MAX_HOLD = 1.0
"""Seconds at most spent making speech ahead before playing starts (the
microphone is not read meanwhile)."""
STREAM_WORDS = 5
"""A first piece of at least this many words (about 1.5 s) starts as
its first stretch is made, when the voice can (``Tts.streams``)."""
RTF_FLOOR = 0.2
"""Synthesis is assumed to take at least this share of the speech's length: the
first piece is made before the load (Whisper loading, say) is known."""


def enough_in_hand(in_hand: float, per_word: float, plan: list[tuple[str, float]],
                   rtf: float, tts: Tts) -> bool:
    """Whether playing the ``in_hand`` seconds made so far now never runs dry:
    each later piece (``per_word`` seconds a word, as spoken so far), made at
    ``rtf`` (at least RTF_FLOOR), is expected ready before the speech before
    it has played, with MARGIN to spare."""
    rtf = max(rtf, RTF_FLOOR)
    making = 0.0
    for piece, pause in plan:
        seconds = len(piece.split()) * per_word + pause
        if not tts.cached(piece, pause):
            making += seconds * rtf
            if making + MARGIN > in_hand:
                return False
        in_hand += seconds
    return True


def _made_ahead(tts: Tts, plan: list[tuple[str, float]]) -> list[Speech]:
    """Pieces taken from the front of ``plan`` and made before speech starts:
    until they cover the making of the rest (``enough_in_hand``) or MAX_HOLD."""
    ready: list[Speech] = []
    made_in = made = 0.0  # seconds spent synthesising, and of speech so made
    words, spoken = 0, 0.0  # ... and the words and seconds of them without added pauses
    started = time.monotonic()
    while plan:
        piece, pause = plan.pop(0)
        fresh = not tts.cached(piece, pause)
        t0 = time.monotonic()
        ready.append(tts.piece(piece, pause))
        if fresh:
            made_in, made = made_in + time.monotonic() - t0, made + ready[-1].seconds
        words += len(piece.split())
        spoken += ready[-1].seconds - pause
        in_hand = sum(s.seconds for s in ready)
        if not plan or enough_in_hand(in_hand, spoken / max(1, words), plan,
                                      made_in / max(made, 1e-3), tts):
            break
        if time.monotonic() - started >= MAX_HOLD:
            break  # nothing said for too long is worse than a pause within it
    return ready


class SpeechFeed:
    """Plays ``text``'s speech on ``player`` piece by piece."""

    def __init__(self, tts: Tts, player: Player, text: str, then: str = "") -> None:
        self._tts, self._player = tts, player
        plan = tts.plan(text)
        self._cancel = threading.Event()
        self._fed = threading.Event()
        self.error: Optional[TtsError] = None
        stretches: Iterator[Speech] = iter(())
        if plan and tts.streams and len(plan[0][0].split()) >= STREAM_WORDS \
                and not tts.cached(*plan[0]):
            # Heard as it is made: the first stretch plays while the rest of
            # the piece is decoded, and the piece is long enough to cover the
            # making of the next.
            stretches = tts.piece_stream(*plan.pop(0))
            ready = [s for s in (next(stretches, None),) if s is not None]
        else:
            ready = _made_ahead(tts, plan)
        first = Speech(np.concatenate([s.pcm for s in ready]), ready[0].samplerate) if ready \
            else Speech(np.zeros(0, dtype=np.int16), player.samplerate)
        self.token = player.play(first.pcm, first.samplerate)
        threading.Thread(target=self._feed, args=(plan, then, stretches), name="speech-feed",
                         daemon=True).start()

    def _feed(self, plan: list[tuple[str, float]], then: str,
              stretches: Iterator[Speech] = iter(())) -> None:
        try:
            made = chain(stretches, (self._tts.piece(piece, pause) for piece, pause in plan))
            for speech in made:
                if self._cancel.is_set() or not self._player.append(
                        speech.pcm, speech.samplerate, self.token):
                    return
        except TtsError as exc:  # the rest is lost; the caller can tell
            self.error = exc
            return
        finally:
            self._fed.set()
        # espeak-ng makes a sentence in about 12 ms, and pyttsx3 is not to be
        # driven from two threads: only the neural voice prepares ahead.
        if then and self._tts.engine == "piper" and not self._cancel.is_set():
            try:
                for _ in self._tts.stream(then):
                    if self._cancel.is_set():
                        break
            except TtsError:
                pass  # synthesised again, and the error shown, when it is said

    @property
    def pending(self) -> bool:
        """Pieces are still being made for this text."""
        return not self._fed.is_set()

    def cancel(self) -> None:
        self._cancel.set()
