"""The hands-free voice session: the driver protocol of ``events.py`` over audio.

Speech out is synthesised per sentence and played through an interruptible
stream; while an interruptible Say plays, the barge-in detector watches the
microphone against the expected echo. Speech in is recognised with the step's
expected phrases as a grammar unless an open answer is welcome.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, TextIO

from assistant import events as ev
from assistant.asr import Recognizer, Result, block_rms, recognise_stream
from assistant.audio import AudioDeviceError, Mic, Player
from assistant.bargein import BargeIn
from assistant.tts import Tts
from assistant.voice_config import VoiceConfig

BARGE_PHRASES: tuple[str, ...] = (
    "stop", "pause", "wait", "quiet", "be quiet", "go on", "continue", "slower",
    "faster", "repeat that", "go back", "skip", "next section", "where are we",
    "what can i say", "let's take a break", "i need a break", "take a break",
    "goodbye", "yes", "no", "resume", "i'm back", "i'm not sure", "help",
)
"""What a user may say over the assistant (grammar for the barge-in utterance)."""

SPHINX_MAX_EXPECT = 40
"""Step phrases kept in a pocketsphinx grammar (accuracy falls with size)."""

ECHO_TAIL = 0.15
"""Seconds after playback ends before we listen (the last syllable's echo)."""


@dataclass(frozen=True)
class Barged:
    """The user talked over a Say; ``result`` is what they said (None: not understood)."""

    result: Optional[Result]


class Captions:
    """What is said and heard, shown in the terminal."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._partial = False

    def _line(self, text: str) -> None:
        if self._partial:
            self.out.write("\r\033[K")
            self._partial = False
        self.out.write(text + "\n")
        self.out.flush()

    def said(self, text: str) -> None:
        self._line(f"Reflect: {text}")

    def partial(self, text: str) -> None:
        if self.out.isatty():
            self.out.write(f"\r\033[K  … {text}")
            self._partial = True
            self.out.flush()

    def heard(self, text: str) -> None:
        self._line(f"You: {text}" if text else "You: (nothing understood)")

    def note(self, text: str) -> None:
        self._line(f"[{text}]")


@dataclass
class VoiceIO:
    """Audio side of the session: speak with barge-in, listen with endpointing."""

    cfg: VoiceConfig
    tts: Tts
    player: Player
    mic: Mic
    rec: Recognizer
    captions: Captions
    barge: BargeIn = field(default_factory=BargeIn)
    last_expect: tuple[str, ...] = ()
    extra_phrases: tuple[str, ...] = ()
    """Always-valid requests (e.g. sections by name) added to every grammar."""
    trace: Optional[Callable[[str, float], None]] = None
    """Timing hook for benchmarks: (event name, monotonic time)."""

    def _mark(self, name: str) -> None:
        if self.trace:
            self.trace(name, time.monotonic())

    def say(self, text: str, interruptible: bool) -> Optional[Barged]:
        """Speak ``text``; None if it played to the end, else what the user said over it."""
        self.captions.said(text)
        speech = self.tts.synth(text)
        self.mic.drain()
        self.barge.reset()
        ring: deque[bytes] = deque(maxlen=50)  # 1 s: the start of the user's words
        self.player.play(speech.pcm, speech.samplerate)
        self._mark("play")
        onset = 0
        while self.player.playing:
            block = self.mic.read(timeout=0.1)
            if block is None:
                continue
            ring.append(block)
            if not interruptible:
                continue
            was_building = self.barge.building
            if self.barge.push(block_rms(block), self.player.recent_level()):
                self.player.stop()
                self._mark("barge")
                # Decode from just before the onset: earlier blocks hold only our
                # own voice, which the grammar would turn into words.
                return Barged(self._barge_utterance(list(ring)[-onset - 8:]))
            onset = onset + 1 if was_building or self.barge.building else 0
        self.player.wait(2.0)
        return None

    def _barge_utterance(self, preroll: list[bytes]) -> Optional[Result]:
        # Commands only: the step's own answers are short words our voice resembles.
        expect = tuple(dict.fromkeys(BARGE_PHRASES + self.extra_phrases))
        res = recognise_stream(lambda: self.mic.read(0.5), self.rec, expect,
                               silence=min(self.cfg.silence, 0.6), timeout=3.0,
                               preroll=preroll, started=True,
                               on_partial=self.captions.partial)
        self.captions.heard(res.text if res else "")
        return res if res and res.text else None

    def listen(self, expect: Sequence[str], open_: bool, timeout: bool) -> Optional[Result]:
        """Wait for an answer; None after the listen timeout with no speech."""
        self.last_expect = tuple(expect)
        time.sleep(ECHO_TAIL)
        self.mic.drain()
        self._mark("listen")
        if open_ and self.rec.name == "vosk":
            grammar = None  # an open answer: recognise freely
        else:
            # The embedded model decodes free speech poorly: always a grammar there,
            # and a small one (with 600 phrases it missed even "goodbye").
            limit = SPHINX_MAX_EXPECT if self.rec.name == "sphinx" else len(expect)
            grammar = tuple(dict.fromkeys(BARGE_PHRASES + tuple(expect)[:limit]
                                          + self.extra_phrases))
        res = recognise_stream(lambda: self.mic.read(0.5), self.rec, grammar,
                               silence=self.cfg.silence,
                               timeout=self.cfg.listen_timeout if timeout else None,
                               on_partial=self.captions.partial)
        self._mark("heard")
        if res is None:
            return None
        self.captions.heard(res.text)
        return res


class VoiceSession:
    """Feeds engine events and carries out its actions by voice."""

    def __init__(self, engine: Any, store: Any, io: VoiceIO) -> None:
        self.engine, self.store, self.io = engine, store, io

    def run(self, first: Optional[ev.Event] = None) -> int:
        pending: list[ev.Event] = [first or ev.Started()]
        try:
            while pending:
                event = pending.pop(0)
                actions = self.engine.handle(event)
                if isinstance(event, ev.Interrupted) and not actions:
                    continue  # the Heard/Silence that follows carries the turn
                pending += self.execute(actions)
        except AudioDeviceError as exc:
            self.io.player.stop()
            self.io.captions.note(str(exc))
            self._lost(str(exc))
            return 3
        except KeyboardInterrupt:
            self.io.player.stop()
            return 130
        return 0

    def _lost(self, detail: str) -> None:
        """Device gone: let the engine save, carry out only the silent actions."""
        for action in self.engine.handle(ev.DeviceLost(detail)):
            if isinstance(action, ev.Save):
                self.store.save(action.progress, action.entry)
            elif isinstance(action, ev.Say):
                self.io.captions.said(action.text)

    def execute(self, actions: list) -> list[ev.Event]:
        listen: Optional[ev.Listen] = None
        for action in actions:
            if isinstance(action, ev.Say):
                barged = self.io.say(action.text, action.interruptible)
                if barged is not None:  # drop the remaining actions (protocol)
                    res = barged.result
                    return [ev.Interrupted()] + (
                        [ev.Heard(res.text, res.confidence)] if res else [ev.Silence()])
            elif isinstance(action, ev.Save):
                self.store.save(action.progress, action.entry)
            elif isinstance(action, ev.AdjustRate):
                self.io.tts.adjust_rate(action.delta)
            elif isinstance(action, ev.DeleteJournal):
                delete = getattr(self.store, "delete_journal", None)
                if delete:
                    delete()
            elif isinstance(action, ev.Listen):
                listen = action
            elif isinstance(action, ev.Quit):
                return []
        if listen is None:
            return [ev.PlaybackFinished()] if actions else []
        res = self.io.listen(listen.expect, listen.open, listen.timeout)
        return [ev.Heard(res.text, res.confidence)] if res and res.text else [ev.Silence()]
