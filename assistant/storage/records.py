"""What is kept between sessions: where the person is, and what they said.

The dialog engine fills these in (it has no clock or files); the store
writes them to disk.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Progress:
    """Where the user is; saved after every turn."""

    section: str = ""
    """Section id ("" before the first section starts)."""
    step: str = ""
    """Step id within the section's reflection script."""
    sentence: int = 0
    """Next sentence to read when reading the section aloud."""
    reading: bool = False
    """True while (or when stopped in the middle of) reading the section."""
    perspective: str = ""
    """"hurt", "hurter", "reflect" or "" when not yet chosen."""
    paused: bool = False
    """True when the user took a break."""
    finished: bool = False
    """True once the last section is done."""


@dataclass
class JournalEntry:
    """One free answer the user gave."""

    section: str
    prompt: str
    answer: str
    intent: str
    step: str = ""
    time: str = ""
    """ISO 8601; filled in by the store when empty (the engine has no clock)."""
    amends: bool = False
    """The person went on speaking after the reply to this answer began: this
    entry holds the whole answer and takes the place of the one before it."""


