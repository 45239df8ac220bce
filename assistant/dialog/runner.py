"""Carrying out the engine's actions: the driver protocol of events.py, once.

Text mode, voice mode and the tests each give a `Port`, the few things a
driver does (show or speak, save, change the speaking rate, delete the
journal, listen, end); `carry_out` walks a list of actions over it and returns
the events to send the engine next. It knows nothing of audio, files or
clocks: a port that speaks may be cut off (barge-in), and then the remaining
actions are dropped and the events the port gives back are sent instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Optional, Protocol, Sequence

from assistant.dialog.events import (
    Action,
    AdjustRate,
    DeleteJournal,
    Event,
    Listen,
    PlaybackFinished,
    Quit,
    Save,
    Say,
)


class Port(Protocol):
    """What a driver does with each kind of action."""

    def say(self, action: Say, listen: Optional[Listen], answered: bool) -> Optional[list[Event]]:
        """Show or speak ``action``: None when it came out whole, else the
        events to send instead of the rest of the actions (the person talked
        over it). ``listen``: the Listen that follows, if any (what the person
        may say); ``answered``: these actions reply to an open answer."""

    def save(self, action: Save) -> None:
        """Keep the place and the journal entry, if any."""

    def adjust_rate(self, delta: int) -> None:
        """Speak slower (-1) or faster (+1)."""

    def delete_journal(self) -> None:
        """Delete the journal (the person confirmed it)."""

    def listen(self, action: Listen) -> list[Event]:
        """Wait for the answer: the events it makes (none: no more turns here)."""

    def quit(self) -> None:
        """The session ends."""


def carry_out(actions: Sequence[Action], port: Port, answered: bool = False) -> list[Event]:
    """Carry out ``actions`` in order over ``port``; the events to send next.

    A Say the person talks over drops the remaining actions; Quit ends at once
    with no events; the Listen among the actions is carried out after all the
    others. Without one, a non-empty list ends in PlaybackFinished (the engine
    reads on) and an empty one in no events.
    """
    listen = next((a for a in actions if isinstance(a, Listen)), None)
    for i, action in enumerate(actions):
        if isinstance(action, Say):
            # What follows is this Say's ``then``: the next Say of the list, if
            # any. A voice prepares it while this one plays; made only when this
            # one ends, its first words would come after a silence that sounds
            # like the end of the turn.
            following = next((a.text for a in actions[i + 1:] if isinstance(a, Say)), action.then)
            instead = port.say(replace(action, then=following), listen, answered)
            if instead is not None:
                return instead
        elif isinstance(action, Save):
            port.save(action)
        elif isinstance(action, AdjustRate):
            port.adjust_rate(action.delta)
        elif isinstance(action, DeleteJournal):
            port.delete_journal()
        elif isinstance(action, Quit):
            port.quit()
            return []
    if listen is None:
        return [PlaybackFinished()] if actions else []
    return port.listen(listen)


class Handler(Protocol):
    """What takes the events: the engine."""

    def handle(self, event: Event) -> list[Action]: ...


def drive(engine: Handler, port: Port, event: Event) -> None:
    """Send ``event``, carry out what the engine returns, and send the events
    that come back, until none do: the port quit, or its listen left the next
    turn to the caller. For ports that are never talked over (text, tests)."""
    pending = [event]
    while pending:
        actions = engine.handle(pending.pop(0))
        pending += carry_out(actions, port)
