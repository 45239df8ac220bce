"""Understanding's normaliser: text as the matchers compare it (see commands.toml
[normalise]), on top of the basic normal form (content/text.py)."""

from __future__ import annotations

import re
from typing import Iterable

from assistant.content.text import SPACES, lower_words, plain_words

# "wait wait", "hold on hold on", "bye bye": a repeated word or pair once.
_REPEATS = re.compile(r"\b(\w+(?: \w+)?)(?: \1\b)+")


def plain_form(text: str) -> str:
    """Lowercase, no punctuation, no apostrophes ("let's" and "lets" alike)."""
    return plain_words(text)


def alternation(words: Iterable[str]) -> re.Pattern:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return re.compile(r"(?!x)x")
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


class Normaliser:
    """Recogniser text to a canonical form for matching.

    Lowercase, no punctuation or apostrophes; spelled-out and spoken
    variants rewritten to one form (``replace``: "let us" -> "lets",
    "quicker" -> "faster"); fillers dropped ("um", "please", "could you");
    a stuttered word or pair kept once ("wait wait"); the assistant's name
    dropped where it addresses it, at the start ("reflect pause"), and kept
    where it is a word of the answer ("i just want to reflect").
    """

    def __init__(self, fillers: Iterable[str], replace: dict[str, str] | None = None,
                 wake_words: Iterable[str] = ()) -> None:
        self._map = {plain_form(k): plain_form(v) for k, v in (replace or {}).items() if plain_form(k)}
        self._replace_re = alternation(self._map)
        self._fillers = alternation(self._rewrite(plain_form(f)) for f in fillers)
        wake = sorted({self._rewrite(plain_form(w)) for w in wake_words} - {""}, key=len, reverse=True)
        self._wake = re.compile(r"^(?:(?:%s)\b\s*)+" % "|".join(map(re.escape, wake))) if wake else None

    def _rewrite(self, text: str) -> str:
        if not self._map:
            return text
        return self._replace_re.sub(lambda m: self._map[m.group(0)], text)

    def light(self, text: str) -> str:
        """Only lowercase and no punctuation: for display and recogniser grammars."""
        return lower_words(text)

    def __call__(self, text: str) -> str:
        text = self._rewrite(plain_form(text))
        text = self._fillers.sub(" ", text)
        text = SPACES.sub(" ", text).strip()
        if self._wake is not None:
            # (the name alone is kept: "reflect" answers "which fits you?")
            text = self._wake.sub("", text) or text
        return _REPEATS.sub(r"\1", text)
