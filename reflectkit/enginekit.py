"""Helpers to drive the real dialog engine with typed utterances (for the tests)."""

from __future__ import annotations

from assistant.dialog.events import Heard, Listen, Save, Say, Started
from assistant.dialog.runner import drive
from assistant.dialog.session import load_content, new_engine

_CONTENT = None


def content():
    global _CONTENT
    if _CONTENT is None:
        _CONTENT = load_content()
    return _CONTENT


class _Recorder:
    """The runner's port for a Driver: records what is said and saved, and
    leaves each answer to the test."""

    def __init__(self, driver: "Driver") -> None:
        self.driver = driver
        self.spoken: list[str] = []

    def say(self, action: Say, listen, answered) -> None:
        self.driver.said.append(action)
        self.spoken.append(action.text)

    def save(self, action: Save) -> None:
        self.driver.saves.append(action)

    def adjust_rate(self, delta: int) -> None:
        pass

    def delete_journal(self) -> None:
        pass

    def listen(self, action: Listen) -> list:
        self.driver.listen = action
        return []

    def quit(self) -> None:
        self.driver.quit = True


class Driver:
    """Runs the engine like text mode does, recording everything."""

    def __init__(self, progress=None, seed: int = 1, journal=()) -> None:
        self.engine = new_engine(content(), progress, seed=seed, journal=journal)
        self.said: list[Say] = []
        self.saves: list[Save] = []
        self.quit = False
        self.listen: Listen | None = None

    def event(self, event) -> str:
        """Send ``event`` and what follows until the engine listens or quits: what it said."""
        port = _Recorder(self)
        drive(self.engine, port, event)
        return " ".join(port.spoken)

    def start(self) -> str:
        return self.event(Started())

    def say(self, text: str, confidence: float = 1.0) -> str:
        return self.event(Heard(text, confidence))

    @property
    def progress(self):
        return self.engine.p

    @property
    def entries(self):
        return [s.entry for s in self.saves if s.entry is not None]
