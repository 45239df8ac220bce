"""The basic normal form of text, the one every normaliser starts from.

Lower case; apostrophe look-alikes (the curly ’ by default) as "'"; every
other mark of punctuation a space; runs of space one space, none at the ends:
"Don’t — STOP!" is "don't stop". Understanding (understanding/normalise.py),
hearing (recognisers' grammars) and the safety net add their own steps on top.
"""

from __future__ import annotations

import re

PUNCTUATION = re.compile(r"[^\w\s']+")
SPACES = re.compile(r"\s+")
CURLY = "\u2019"


def lower_words(text: str, apostrophes: str = CURLY) -> str:
    """``text`` in the basic normal form; each character of ``apostrophes``
    counts as an apostrophe (the others are punctuation)."""
    text = text.lower()
    for a in apostrophes:
        text = text.replace(a, "'")
    return SPACES.sub(" ", PUNCTUATION.sub(" ", text)).strip()


def plain_words(text: str) -> str:
    """The basic normal form without apostrophes ("let's" and "lets" alike)."""
    return SPACES.sub(" ", lower_words(text).replace("'", "")).strip()
