"""Speaking a text while it is still being synthesised.

The first piece (a clause or sentence, ``speech.tts.pieces``) starts playing
as soon as it is ready; a thread synthesises the rest and queues each piece
behind what is playing, then prepares the text most likely said next. A stop
(barge-in) cancels the feed: pieces made after it are never queued.
"""

from __future__ import annotations

import threading
from typing import Iterator, Optional

import numpy as np

from assistant.speech.audio import Speech, TtsError
from assistant.speech.tts import Tts
from assistant.voice.devices import Player


class SpeechFeed:
    """Plays ``text``'s speech on ``player`` piece by piece."""

    def __init__(self, tts: Tts, player: Player, text: str, then: str = "") -> None:
        self._tts, self._player = tts, player
        pieces = tts.stream(text)
        first: Optional[Speech] = next(pieces, None)
        if first is None:
            first = Speech(np.zeros(0, dtype=np.int16), player.samplerate)
        self._cancel = threading.Event()
        self._fed = threading.Event()
        self.error: Optional[TtsError] = None
        self.token = player.play(first.pcm, first.samplerate)
        threading.Thread(target=self._feed, args=(pieces, then), name="speech-feed",
                         daemon=True).start()

    def _feed(self, pieces: Iterator[Speech], then: str) -> None:
        try:
            for piece in pieces:
                if self._cancel.is_set() or not self._player.append(
                        piece.pcm, piece.samplerate, self.token):
                    return
        except TtsError as exc:  # the rest is lost; said in the captions by the caller
            self.error = exc
            return
        finally:
            self._fed.set()
        if then and not self._cancel.is_set():
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
