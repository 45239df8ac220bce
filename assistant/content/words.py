"""The English word lists the program's logic relies on (content/words.toml).

Each is a tuple of lower-case words or phrases, read once at import:
``words("keywords", "negators")``. A list that becomes part of a regular
expression is joined with ``alternation`` (its entries are checked to be
words, spaces and apostrophes only, so nothing in them is a pattern).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.content.files import ContentError, content_dir, load_toml

WORDS_FILE = "words.toml"
_PLAIN = re.compile(r"^[a-z0-9' ]+$")


@lru_cache(maxsize=None)
def load_words(path: Path | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every section of words.toml: section -> key -> words."""
    path = path or content_dir() / WORDS_FILE
    data = load_toml(path)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ContentError(f"{path}: '{section}' must be a table of word lists")
        out[section] = {}
        for key, value in table.items():
            if (not isinstance(value, list) or not value
                    or not all(isinstance(w, str) and w.strip() for w in value)):
                raise ContentError(f"{path}: key '{section}.{key}' must be a list of words")
            out[section][key] = tuple(value)
    return out


def words(section: str, key: str, path: Path | None = None) -> tuple[str, ...]:
    """The list ``section.key`` of words.toml; ContentError naming it if missing."""
    try:
        return load_words(path)[section][key]
    except KeyError:
        raise ContentError(f"{path or content_dir() / WORDS_FILE}: key '{section}.{key}' is missing") from None


def alternation(section: str, key: str) -> str:
    """``a|b|c`` of the list, for a regular expression."""
    listed = words(section, key)
    for w in listed:
        if not _PLAIN.match(w):
            raise ContentError(f"{content_dir() / WORDS_FILE}: key '{section}.{key}': "
                               f"'{w}' must be lower-case words, spaces and apostrophes")
    return "|".join(listed)


ANSWERS: tuple[str, ...] = words("answers", "generic")
"""The answers every yes/no question takes ("yes", "no", "unsure")."""
if len(ANSWERS) != 3:
    raise ContentError(f"{content_dir() / WORDS_FILE}: key 'answers.generic' must name yes, no and unsure")
YES, NO, UNSURE = ANSWERS
DECLINES: tuple[str, ...] = (NO, UNSURE)
"""The answers that are not a yes: "no" and "unsure" both take the no path."""
