"""Understanding by meaning: commands and section topics in words no example has.

The fuzzy matcher (intents.py) knows the words of its examples; people say
"whoa, ease up, you're talking too fast" or "read me the bit about checking
up on your partner". Here every command example, a list of answers people
gave that are not commands, and each section's names are points in the
sentence encoder's space (all-MiniLM-L6-v2 as published, not the safety
net's tuning), and an utterance goes to its nearest neighbours.

A command is only taken when its nearest example is close and clearly
closer than the nearest not-command; anything less stays an answer, so a
person's words are never taken away from them on a guess. The vectors of
the packaged texts are stored (content/meaning_index.npz, built by
scripts/build_meaning_index.py); a text added since is encoded at load.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from assistant.content.files import content_dir
from assistant.content.words import alternation, words
from assistant.understanding.reader import TextReader

INDEX_FILE = "meaning_index.npz"
NOT_COMMANDS_FILE = "not_commands.txt"
SLOT_WORDS = words("sections", "slot_words")[0]  # how a "{section}" slot is said in the examples' vectors

# Cosine similarity of the nearest command example, and how much closer it must
# be than the nearest answer that is not a command (chosen on the development
# sets; docs/understanding.md has the figures).
COMMAND_MIN = 0.60
COMMAND_MARGIN = 0.05
# A section topic ("the bit about checking their phone"): the nearest section
# name, and its lead over the next section's nearest name.
TOPIC_MIN = 0.45
TOPIC_MARGIN = 0.03

# Where a section is named by its topic: "the bit about X", "the X part",
# "what it says about X", "to where it X".
# (The words are content/words.toml's [sections].)
_TOPIC = re.compile(
    rf"\b(?:{alternation('sections', 'topic_nouns')})\s+"
    rf"(?:{alternation('sections', 'topic_links')})\s+(?P<a>.+)$"
    rf"|\b(?:{alternation('sections', 'topic_leads')})\s+(?P<b>.+)$"
    rf"|\bthe\s+(?P<c>\w+(?:\s+\w+){{0,3}}?)\s+(?:{alternation('sections', 'topic_after_the')})\b"
    rf"|\b(?:{alternation('sections', 'topic_to')})\s+(?P<d>(?:{alternation('sections', 'topic_wh')})\s.+)$")
# Words that say a part of the article is meant: without one, a section's name
# inside an answer ("i want to forgive myself first") is not a request to go there.
_NAMES_A_PART = re.compile(rf"\b(?:{alternation('sections', 'names_a_part')})\b")

_NOT_A_TOPIC = frozenset(words("sections", "not_a_topic"))
Encode = Callable[[str], np.ndarray]


def load_not_commands(path: Path | None = None) -> list[str]:
    path = path or content_dir() / NOT_COMMANDS_FILE
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def read_stored(path: Path | None = None) -> dict[str, np.ndarray]:
    """The packaged texts' vectors; empty if the file is absent or unreadable
    (every text is then encoded at load, about 8 ms each)."""
    path = path or content_dir() / INDEX_FILE
    try:
        with np.load(path, allow_pickle=False) as z:
            texts, vectors = z["texts"], z["vectors"]  # half precision until stacked
    except (OSError, KeyError, ValueError):
        return {}
    if len(texts) != len(vectors):
        return {}
    return {str(t): v for t, v in zip(texts, vectors)}


def write_stored(path: Path, vectors: dict[str, np.ndarray]) -> None:
    texts = sorted(vectors)
    np.savez_compressed(path, texts=np.array(texts),
                        vectors=np.stack([vectors[t] for t in texts]).astype(np.float16))


def names_a_part(text: str) -> bool:
    return _NAMES_A_PART.search(text) is not None


class MeaningIndex:
    """Nearest examples by meaning: command intents and section topics."""

    def __init__(self, encode: Encode, commands: dict[str, list[str]],
                 not_commands: Iterable[str], topics: dict[str, list[str]],
                 stored: dict[str, np.ndarray] | None = None, slot: str = "{section}",
                 readers: dict[str, TextReader] | None = None) -> None:
        self._encode_text = encode
        self._readers = readers or {}
        self._recent: dict[str, np.ndarray] = {}
        stored = stored or {}
        self._texts: list[str] = []

        def embed(texts: list[str]) -> np.ndarray:
            self._texts += texts
            rows = [stored[t] if t in stored else encode(t) for t in texts]  # encode: added since the build
            return np.stack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)

        said = [(name, ex.replace(slot, SLOT_WORDS)) for name, exs in commands.items() for ex in exs]
        self._command_names = np.array([n for n, _ in said])
        self._commands = embed([t for _, t in said])
        self._not_commands = embed(list(dict.fromkeys(not_commands)))
        named = [(sid, name.lower()) for sid, names in topics.items() for name in names]
        self._topic_ids = np.array([sid for sid, _ in named])
        self._topics = embed([n for _, n in named])

    @property
    def vectors(self) -> dict[str, np.ndarray]:
        """Every text compared with, and its vector (for storing them)."""
        rows = np.concatenate([self._commands, self._not_commands, self._topics])
        return dict(zip(self._texts, rows))

    def _encode(self, text: str) -> np.ndarray:
        """The same words are often asked about twice in one turn (a section's
        topic, then the command around it), and again as the turn is re-heard."""
        v = self._recent.get(text)
        if v is None:
            if len(self._recent) >= 64:
                self._recent.clear()
            v = self._recent[text] = self._encode_text(text)
        return v

    def forget(self) -> None:
        """Drop the vectors of recent utterances (to time understanding anew)."""
        self._recent.clear()

    def read(self, what: str, text: str, words: list[str]) -> tuple[str, float] | None:
        """(label, probability) by the reader of ``what`` ("perspective",
        "gist"; ``words``: ``text`` normalised), or None without that reader."""
        reader = self._readers.get(what)
        if reader is None:
            return None
        return reader.read(self._encode(text), words)

    def command(self, text: str) -> tuple[str, float, float] | None:
        """(intent, similarity, lead over the nearest not-command) of the
        nearest command example, or None when it is not close and clear."""
        if not len(self._commands):
            return None
        v = self._encode(text)
        sims = self._commands @ v
        best = int(np.argmax(sims))
        near = float(sims[best])
        against = float((self._not_commands @ v).max()) if len(self._not_commands) else -1.0
        if near < COMMAND_MIN or near - against < COMMAND_MARGIN:
            return None
        return str(self._command_names[best]), near, near - against

    def topic(self, text: str, slot_token: str) -> tuple[str, str] | None:
        """(section id, ``text`` with the topic replaced by ``slot_token``)
        when ``text`` names a section by what it is about, else None."""
        m = _TOPIC.search(text)
        if m is None or not len(self._topics):
            return None
        group = next(g for g in ("a", "b", "c", "d") if m.group(g))
        words = m.group(group)
        if words.split()[0] in _NOT_A_TOPIC:
            return None  # "sorry about that, go ahead": no section is named
        sims = self._topics @ self._encode(words)
        order = np.argsort(-sims)
        best_id = self._topic_ids[order[0]]
        second = next((float(sims[i]) for i in order if self._topic_ids[i] != best_id), -1.0)
        if sims[order[0]] < TOPIC_MIN or sims[order[0]] - second < TOPIC_MARGIN:
            return None
        start, end = m.span(group)
        return str(best_id), f"{text[:start]}{slot_token}{text[end:]}".strip()
