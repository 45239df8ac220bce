"""Events into the dialog engine and actions out of it.

The engine is a pure state machine: a driver (text mode, voice mode, tests)
feeds it events and carries out the actions it returns, in order, with the
runner of runner.py over its own port.

Driver protocol:
  * Execute the returned actions in order.
  * ``Say``: speak/print the text. If the user barges in while an
    ``interruptible`` Say plays, stop at once, drop the remaining actions,
    send ``Interrupted()`` and then the recognised utterance as ``Heard``
    (or ``Silence()`` if nothing was understood).
  * ``Save``: persist ``progress`` and append ``entry`` to the journal.
  * ``Listen``: after the other actions, wait for the user's answer and send
    ``Heard`` (or ``Silence`` when ``timeout`` is set and nothing came).
  * ``Quit``: stop the session.
  * When the actions hold neither ``Listen`` nor ``Quit`` (the engine is
    reading a section sentence by sentence), send ``PlaybackFinished()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from assistant.storage.records import JournalEntry, Progress

# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Started:
    """The session begins (fresh or resumed from saved progress)."""


@dataclass(frozen=True)
class Heard:
    """The user said (or typed) something."""

    text: str
    confidence: float = 1.0
    """Recogniser confidence in [0, 1]; 1.0 for typed input."""
    continues: bool = False
    """Said over the reply to the answer just given, and not a command: the
    rest of that answer (the person had paused, not finished)."""


@dataclass(frozen=True)
class Silence:
    """Nothing was said within the listening timeout."""


@dataclass(frozen=True)
class Interrupted:
    """The user barged in while the last interruptible Say was playing."""


@dataclass(frozen=True)
class PlaybackFinished:
    """All actions were carried out and none asked to listen."""


@dataclass(frozen=True)
class DeviceLost:
    """The microphone or speaker went away; the engine pauses and saves."""

    detail: str = ""


Event = Union[Started, Heard, Silence, Interrupted, PlaybackFinished, DeviceLost]


# ---------------------------------------------------------------- actions


@dataclass(frozen=True)
class Say:
    """Speak (voice) or print (text) one short piece of text."""

    text: str
    kind: str = "prompt"
    """prompt | ack | reading | info | safety | error."""
    interruptible: bool = True
    """Barge-in may cut it off."""
    then: str = ""
    """What is most likely said next (the next sentence of a reading): a voice
    may prepare it while this plays."""


@dataclass(frozen=True)
class Listen:
    """Wait for the user's answer."""

    expect: tuple[str, ...] = ()
    """Phrases likely at this step (for recogniser bias / grammars)."""
    open: bool = True
    """True when a free answer is welcome (recognise freely)."""
    timeout: bool = True
    """False while paused: wait without silence re-prompts."""
    replies: tuple[str, ...] = ()
    """What is likely said first once an answer is heard here (the step's
    acknowledgements): a voice may prepare them while it listens."""


@dataclass(frozen=True)
class Save:
    progress: Progress
    entry: Optional[JournalEntry] = None


@dataclass(frozen=True)
class AdjustRate:
    """Speak slower (-1) or faster (+1)."""

    delta: int


@dataclass(frozen=True)
class DeleteJournal:
    """The user confirmed that the journal should be deleted."""


@dataclass(frozen=True)
class Quit:
    """End the session (progress was saved by a preceding Save)."""


Action = Union[Say, Listen, Save, AdjustRate, DeleteJournal, Quit]
