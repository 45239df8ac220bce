"""Text mode: the same dialog, typed in and printed out."""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from assistant.dialog.engine import Engine
from assistant.dialog.events import Event, Heard, Listen, Save, Say, Started
from assistant.dialog.runner import drive
from assistant.storage.store import Store

# A typed answer is kept whole up to this size; a longer one is refused with a
# message (never cut): understanding compares it with every example.
MAX_ANSWER = 20_000


def clean_line(line: str) -> str:
    """Drop control characters; keep every script and emoji as typed."""
    line = "".join(ch if ch.isprintable() or ch == " " else " " for ch in line)
    return " ".join(line.split())


class TextPort:
    """The runner's port in text mode: what is said is printed, answers are typed."""

    def __init__(self, store: Store, stdin: TextIO, stdout: TextIO) -> None:
        self.store, self.stdin, self.stdout = store, stdin, stdout
        self.interactive = stdin.isatty()

    def _out(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def say(self, action: Say, listen: Optional[Listen], answered: bool) -> None:
        self._out(action.text)

    def save(self, action: Save) -> None:
        self.store.save(action.progress, action.entry)

    def adjust_rate(self, delta: int) -> None:
        pass  # no voice to speed up in text mode

    def delete_journal(self) -> None:
        self.store.delete_journal()

    def listen(self, action: Listen) -> list[Event]:
        while True:
            if self.interactive:
                print("> ", end="", file=self.stdout, flush=True)
            line = self.stdin.readline()
            if not line:
                # End of input (Ctrl-D): the place is already saved after every turn.
                if self.interactive:
                    self._out("")
                self._out("Your place and answers are saved. Run `reflect --text` to carry on where you left off.")
                return []
            text = clean_line(line)
            if len(text) <= MAX_ANSWER:
                return [Heard(text)]
            self._out(f"That is {len(text):,} characters, more than I can take in one go ({MAX_ANSWER:,}). "
                      "Nothing of it was saved: please send it in parts.")

    def quit(self) -> None:
        pass


def run_text(engine: Engine, store: Store, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    port = TextPort(store, stdin, stdout)
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 must not end the session
    drive(engine, port, Started())
    return 0
