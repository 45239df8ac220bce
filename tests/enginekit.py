"""Helpers to drive the real engine with typed utterances in tests."""

from __future__ import annotations

from assistant.dialog.events import Heard, Listen, PlaybackFinished, Quit, Save, Say, Started
from assistant.dialog.session import load_content, new_engine

_CONTENT = None


def content():
    global _CONTENT
    if _CONTENT is None:
        _CONTENT = load_content()
    return _CONTENT


class Driver:
    """Runs the engine like text mode does, recording everything."""

    def __init__(self, progress=None, seed: int = 1) -> None:
        self.engine = new_engine(content(), progress, seed=seed)
        self.said: list[Say] = []
        self.saves: list[Save] = []
        self.quit = False
        self.listen: Listen | None = None

    def _run(self, actions) -> list[str]:
        spoken: list[str] = []
        while True:
            listening = False
            for a in actions:
                if isinstance(a, Say):
                    self.said.append(a)
                    spoken.append(a.text)
                elif isinstance(a, Save):
                    self.saves.append(a)
                elif isinstance(a, Listen):
                    listening, self.listen = True, a
                elif isinstance(a, Quit):
                    self.quit = True
                    return spoken
            if listening:
                return spoken
            actions = self.engine.handle(PlaybackFinished())

    def start(self) -> str:
        return " ".join(self._run(self.engine.handle(Started())))

    def say(self, text: str, confidence: float = 1.0) -> str:
        return " ".join(self._run(self.engine.handle(Heard(text, confidence))))

    def event(self, event) -> str:
        return " ".join(self._run(self.engine.handle(event)))

    @property
    def progress(self):
        return self.engine.p

    @property
    def entries(self):
        return [s.entry for s in self.saves if s.entry is not None]
