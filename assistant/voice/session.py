"""The hands-free voice session: the driver protocol of ``events.py`` over audio.

Speech out is synthesised per sentence and played through an interruptible
stream; while an interruptible Say plays, the barge-in detector watches the
microphone against the expected echo. Speech in is recognised with the
phrases the engine expects (``Listen.expect``) as a grammar, unless an open
answer is welcome and the recogniser can take free speech (Vosk).

Echo: the microphone hears the speaker. While we play, only a level well
above the echo expected from what we play counts as the user (``BargeIn``).
After we stop, the echo of the last syllables is still arriving for ~0.2 s;
listening compares each block with the echo expected from what was played
just before it was captured, so that tail never starts an utterance.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, TextIO

from assistant.content.words import words
from assistant.dialog import events as ev
from assistant.dialog.runner import carry_out
from assistant.hearing.frontend import block_rms
from assistant.hearing.recognisers import Recognizer, Result, normalise, recognise_stream
from assistant.speech.tts import Tts
from assistant.voice.bargein import BargeIn
from assistant.voice.config import VoiceConfig
from assistant.voice.devices import AudioDeviceError, Mic, Player, _pulse_names
from assistant.voice.speaking import SpeechFeed

BARGE_INTENTS: tuple[str, ...] = (
    "stop_reading", "pause", "resume", "repeat", "next", "back", "slower", "faster",
    "where_am_i", "help", "quit",
)
"""Grammar intents (content/grammar.toml) a user may say over a reading."""

BARGE_FALLBACK: tuple[str, ...] = words("voice", "barge_fallback")  # content/words.toml
"""The same, for an engine without a grammar."""

ECHO_LAG = 0.25
"""Seconds from a block leaving the player to its echo having died away at the
microphone (measured ~0.16 s through PulseAudio and a loopback, plus margin)."""

PREROLL = 10
"""20 ms blocks kept from before a barge-in's onset: the onset is the first
loud block, usually the vowel, and a word's soft start ("s" of "stop") comes
up to 200 ms before it; with 100 ms, Whisper heard "stop" as "up" or "top"."""

OPEN_MAX = 180.0
"""Seconds an open answer may run before it is taken as it stands."""
COMMAND_MAX = 30.0

DEVICE_GONE = 3.0
DEVICE_CHECK = 2.0
"""Seconds between looks for a device chosen by PulseAudio name."""
"""Seconds without a single microphone block before the device counts as lost."""


class Captions:
    """What is said and heard, shown in the terminal."""

    def __init__(self, out: Optional[TextIO] = None) -> None:
        self._out = out
        self._partial = False

    @property
    def out(self) -> TextIO:
        """The stream given, else the current sys.stdout (looked up each time)."""
        return self._out or sys.stdout

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
        self._line(f"You: {text}" if text else "You: (not understood)")

    def note(self, text: str) -> None:
        self._line(f"[{text}]")


@dataclass(frozen=True)
class Barged:
    """The user talked over a Say; ``result`` is what they said (empty text: not understood)."""

    result: Result


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
    """Keeps the learnt speaker-to-microphone ratio for the whole session."""
    barge_expect: tuple[str, ...] = BARGE_FALLBACK
    """Grammar for what is said over a reading (a prompt uses its Listen's)."""
    section_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Section title (lower case) -> shorter names a user says for it
    ("forgiveness" for "forgiveness and recovery"): phrases of the engine's
    grammar that end in a title are also accepted with these."""
    trace: Optional[Callable[[str, float], None]] = None
    """Timing hook for benchmarks: (event name, monotonic time)."""

    def grammar(self, expect: Sequence[str]) -> tuple[str, ...]:
        """The engine's expected phrases, with sections also by their short names."""
        out: list[str] = []
        for phrase in expect:
            out.append(phrase)
            low = normalise(phrase)
            for title, names in self.section_names.items():
                if low == title or low.endswith(" " + title):
                    out += [low[:len(low) - len(title)] + n for n in names]
        return tuple(dict.fromkeys(out))

    def _mark(self, name: str, t: Optional[float] = None) -> None:
        if self.trace:
            self.trace(name, time.monotonic() if t is None else t)

    # ------------------------------------------------------------ input

    def _check_named_devices(self) -> None:
        """A device chosen by PulseAudio name that is unloaded (a headset
        unplugged) does not fail our stream: PulseAudio moves it to the default
        device, and the session would go on there unannounced. Look for the
        name every few seconds while listening; gone means gone."""
        now = time.monotonic()
        if now < getattr(self, "_next_device_check", 0.0):
            return
        self._next_device_check = now + DEVICE_CHECK
        for kind, var, what in (("input", "PULSE_SOURCE", "microphone"),
                                ("output", "PULSE_SINK", "speaker")):
            name = os.environ.get(var)
            if name:
                present = _pulse_names(kind)
                if present and name not in present:  # (no list: cannot tell, carry on)
                    raise AudioDeviceError(f"the {what} went away")

    def _read(self, timeout: float = 0.5) -> Optional[bytes]:
        """One microphone block; AudioDeviceError when the device went away."""
        self._check_named_devices()
        block = self.mic.read(timeout)
        if block is not None:
            self._silent_since = None
            return block
        now = time.monotonic()
        since = getattr(self, "_silent_since", None)
        if since is None:
            self._silent_since = now
        elif now - since >= DEVICE_GONE:
            raise AudioDeviceError("the microphone went away")
        return None

    def _echo_threshold(self) -> float:
        """Level the last block must exceed to be the user rather than our echo."""
        t = self.mic.last_time
        played = self.player.recent_level(self.barge.window + ECHO_LAG, at=t)
        return self.barge.threshold(played) if played > 0 else 0.0

    # ------------------------------------------------------------ speaking

    def say(self, text: str, interruptible: bool,
            expect: Sequence[str] = (), open_: bool = False, then: str = "") -> Optional[Barged]:
        """Speak ``text``; None if it played to the end, else what the user said over it.

        ``expect``: what the user may answer (the Listen that follows), used as
        the grammar when they talk over this Say; a reading uses ``barge_expect``.
        ``open_``: what they say may be free words (the rest of an answer).
        ``then``: what is likely said next, prepared while this plays.
        """
        feed = SpeechFeed(self.tts, self.player, text, then)
        self.captions.said(text)  # shown as it is heard, not while it is being made
        self._mark("play")
        # Whisper loads once the welcome is playing and made (hearing/turns.py):
        # beside its load the rest of the welcome took twice as long to make.
        load_now = getattr(self.rec, "load_now", None)
        self.barge.reset()
        try:
            ring: deque[bytes] = deque(maxlen=50)  # 1 s: the start of the user's words
            onset = 0
            while self.player.playing or feed.pending:
                if load_now is not None and not feed.pending:
                    load_now()
                    load_now = None
                block = self._read(0.1)
                if block is None:
                    continue
                if not self.player.alive():
                    raise AudioDeviceError("the speaker went away")
                ring.append(block)
                if not interruptible:
                    continue
                played = self.player.recent_level(self.barge.window, at=self.mic.last_time)
                was_building = self.barge.building
                if self.barge.push(block_rms(block), played):
                    feed.cancel()
                    self.player.stop()
                    self._mark("barge")
                    # Decode from just before the onset: earlier blocks hold only our
                    # own voice, which the grammar would turn into words.
                    preroll = list(ring)[-(onset + 1) - PREROLL:]
                    return Barged(self._barge_utterance(
                        preroll, self.grammar(tuple(expect) or self.barge_expect), open_))
                onset = onset + 1 if was_building or self.barge.building else 0
        except BaseException:
            feed.cancel()  # nothing queued after an error or Ctrl-C
            raise
        finally:
            if load_now is not None:
                load_now()
        self.player.wait(2.0)
        if not self.player.alive():
            raise AudioDeviceError("the speaker went away")
        return None

    def _barge_utterance(self, preroll: list[bytes], expect: Sequence[str],
                         open_: bool = False) -> Result:
        res = recognise_stream(self._read, self.rec, expect,
                               silence=min(self.cfg.silence, 0.6), timeout=3.0,
                               max_seconds=OPEN_MAX if open_ else COMMAND_MAX,
                               preroll=preroll, started=True,
                               on_partial=self.captions.partial, open_=open_)
        res = res or Result("", 0.0)
        self._mark("heard")
        self.captions.heard(res.text)
        return res

    # ------------------------------------------------------------ listening

    def listen(self, expect: Sequence[str], open_: bool, timeout: bool,
               replies: Sequence[str] = ()) -> Optional[Result]:
        """Wait for an answer; None after the listen timeout with no speech.
        ``replies``: what is likely said first after it, prepared meanwhile."""
        self._mark("listen")
        if replies:
            self.tts.prefetch(replies, first_only=True)
        # Free speech for an open answer on Vosk; the embedded model decodes
        # free speech poorly, so it always gets the step's phrases (Whisper,
        # when loaded, writes open answers down freely whatever the grammar).
        grammar: Optional[tuple[str, ...]] = self.grammar(expect) or None
        if open_ and self.rec.name.startswith("vosk"):
            grammar = None
        elif grammar is None and not self.rec.name.startswith("vosk"):
            grammar = self.barge_expect
        res = recognise_stream(self._read, self.rec, grammar,
                               silence=self.cfg.silence,
                               timeout=self.cfg.listen_timeout if timeout else None,
                               max_seconds=OPEN_MAX if open_ else COMMAND_MAX,
                               on_partial=self.captions.partial,
                               gate=self._echo_threshold,
                               on_end=lambda: self._mark("endpoint"), open_=open_)
        self._mark("heard")
        if res is None:
            return None
        self.captions.heard(res.text)
        return res


class VoiceSession:
    """Feeds engine events and carries out its actions by voice."""

    def __init__(self, engine: Any, store: Any, io: VoiceIO) -> None:
        self.engine, self.store, self.io = engine, store, io
        self._heard_open = False
        """The last Heard was said at an open question (an answer)."""

    def run(self, first: Optional[ev.Event] = None, opening: Optional[list] = None) -> int:
        """Drive the engine from ``first`` (Started), or from ``opening``: the
        actions the engine already gave for Started."""
        pending: list[ev.Event] = [] if opening is not None else [first or ev.Started()]
        try:
            if opening is not None:
                pending += self.execute(opening)
            while pending:
                event = pending.pop(0)
                actions = self.engine.handle(event)
                # After Interrupted the Heard that follows carries the turn:
                # carry out what the engine returned, but no PlaybackFinished.
                answered = isinstance(event, ev.Heard) and self._heard_open
                events = self.execute(actions, answered)
                if isinstance(event, ev.Interrupted):
                    events = [e for e in events if not isinstance(e, ev.PlaybackFinished)]
                pending += events
        except AudioDeviceError as exc:
            self._stop_audio()
            self._lost(str(exc))
            return 3
        except KeyboardInterrupt:
            self._stop_audio()
            return 130
        return 0

    def _stop_audio(self) -> None:
        try:
            self.io.player.stop()
        except Exception:
            pass

    def _lost(self, detail: str) -> None:
        """Device gone: let the engine save, carry out only the silent actions."""
        for action in self.engine.handle(ev.DeviceLost(detail)):
            if isinstance(action, ev.Save):
                self.store.save(action.progress, action.entry)
        what = "microphone" if "microphone" in detail else "speaker"
        print(f"reflect: the {what} went away; your place is saved. Relaunch `reflect` "
              "when it is back, or use `reflect --text` to type.", file=sys.stderr, flush=True)

    def execute(self, actions: list, answered: bool = False) -> list[ev.Event]:
        """Carry out ``actions`` by voice (assistant/dialog/runner.py); ``answered``:
        they reply to an open answer, so words said over them that are not a
        command continue that answer."""
        return carry_out(actions, self, answered)

    # The runner's port (assistant/dialog/runner.py).

    def say(self, action: ev.Say, listen: Optional[ev.Listen], answered: bool) -> Optional[list[ev.Event]]:
        barged = self.io.say(action.text, action.interruptible,
                             listen.expect if listen else (), open_=answered,
                             then=action.then)
        if barged is None:
            return None
        res = barged.result
        is_command = getattr(self.io.rec, "is_command", None)
        continues = bool(answered and res.text and is_command is not None
                         and not is_command(res.text))
        self._heard_open = continues
        # Speech not understood is an empty Heard, not Silence.
        return [ev.Interrupted(), ev.Heard(res.text, res.confidence if res.text else 0.0,
                                           continues=continues)]

    def save(self, action: ev.Save) -> None:
        self.store.save(action.progress, action.entry)

    def adjust_rate(self, delta: int) -> None:
        self.io.tts.adjust_rate(delta)

    def delete_journal(self) -> None:
        delete = getattr(self.store, "delete_journal", None)
        if delete:
            delete()

    def listen(self, action: ev.Listen) -> list[ev.Event]:
        res = self.io.listen(action.expect, action.open, action.timeout, action.replies)
        self._heard_open = action.open
        if res is None:
            return [ev.Silence()]
        return [ev.Heard(res.text, res.confidence if res.text else 0.0)]

    def quit(self) -> None:
        pass
