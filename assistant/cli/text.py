"""Text mode: the same dialog, typed in and printed out."""

from __future__ import annotations

import sys
from typing import TextIO

from assistant.dialog.engine import Engine
from assistant.dialog.events import (
    AdjustRate,
    DeleteJournal,
    Heard,
    Listen,
    PlaybackFinished,
    Quit,
    Save,
    Say,
    Started,
)
from assistant.storage.store import Store

# A typed answer is kept whole up to this size; a longer one is refused with a
# message (never cut): understanding compares it with every example.
MAX_ANSWER = 20_000


def clean_line(line: str) -> str:
    """Drop control characters; keep every script and emoji as typed."""
    line = "".join(ch if ch.isprintable() or ch == " " else " " for ch in line)
    return " ".join(line.split())


def run_text(engine: Engine, store: Store, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    interactive = stdin.isatty()
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # bytes that are not UTF-8 must not end the session

    def out(text: str) -> None:
        print(text, file=stdout, flush=True)

    actions = engine.handle(Started())
    while True:
        listening = False
        for action in actions:
            if isinstance(action, Say):
                out(action.text)
            elif isinstance(action, Save):
                store.save(action.progress, action.entry)
            elif isinstance(action, DeleteJournal):
                store.delete_journal()
            elif isinstance(action, AdjustRate):
                pass  # no voice to speed up in text mode
            elif isinstance(action, Listen):
                listening = True
            elif isinstance(action, Quit):
                return 0
        if not listening:
            actions = engine.handle(PlaybackFinished())
            continue
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            # End of input (Ctrl-D): the place is already saved after every turn.
            if interactive:
                out("")
            out("Your place and answers are saved. Run `reflect --text` to carry on where you left off.")
            return 0
        text = clean_line(line)
        if len(text) > MAX_ANSWER:
            out(f"That is {len(text):,} characters, more than I can take in one go ({MAX_ANSWER:,}). "
                "Nothing of it was saved: please send it in parts.")
            actions = [Listen()]
            continue
        actions = engine.handle(Heard(text))
