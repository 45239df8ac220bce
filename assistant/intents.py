"""Intent matching on recogniser-style text, built on rapidfuzz.

Global commands are matched on the *whole* utterance (ratio-based scorers),
so an answer that merely contains a command word ("i can't stop thinking
about it") scores low and stays an answer. Section names are found first
and replaced by a placeholder, so "read me the part about forgiveness"
matches the template "read me the part about {section}".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from assistant.content_files import ContentError, content_dir, load_toml

NONE = "none"
SLOT = "{section}"
_SLOT_TOKEN = "xsectionx"  # a token that cannot occur in speech
COMMANDS = (
    "pause", "resume", "repeat", "next", "back", "read_section", "goto_section",
    "stop_reading", "slower", "faster", "help", "where_am_i", "list_sections",
    "quit", "yes", "no", "unsure",
)
SECTION_INTENTS = ("read_section", "goto_section")

# Whole-utterance command matching: at or above ACCEPT is taken, between
# CONFIRM and ACCEPT is asked back ("did you mean ...?").
ACCEPT = 75.0
CONFIRM = 65.0
# Step intents (content answers) may be embedded in a longer answer.
STEP_ACCEPT = 78.0


@dataclass
class Match:
    intent: str
    score: float
    section: str | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    @property
    def runner_up(self) -> tuple[str, float] | None:
        return self.alternatives[0] if self.alternatives else None

    def as_dict(self) -> dict:
        return {
            "intent": self.intent,
            "score": round(self.score, 1),
            "section": self.section,
            "alternatives": [{"intent": i, "score": round(s, 1)} for i, s in self.alternatives],
        }


_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")


class Normaliser:
    """Lowercase, drop punctuation and fillers ("um", "please", "could you")."""

    def __init__(self, fillers: Iterable[str]) -> None:
        words = sorted({f.strip().lower() for f in fillers if f.strip()}, key=len, reverse=True)
        self._fillers = re.compile(
            r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b" if words else r"(?!x)x"
        )

    def __call__(self, text: str) -> str:
        text = text.lower().replace("’", "'")
        text = _PUNCT.sub(" ", text)
        text = self._fillers.sub(" ", text)
        return _SPACES.sub(" ", text).strip()


def _ratio_scores(query: str, choices: Sequence[str]) -> np.ndarray:
    """Best of plain and word-order-free similarity, 0..100, per choice."""
    a = process.cdist([query], choices, scorer=fuzz.ratio)[0]
    b = process.cdist([query], choices, scorer=fuzz.token_sort_ratio)[0]
    return np.maximum(a, b)


class ExampleIndex:
    """Example phrases grouped by intent; best score per intent."""

    def __init__(self, examples: dict[str, list[str]],
                 strip: Callable[[str], str] | None = None) -> None:
        self.intents = list(examples)
        self.phrases: list[str] = []
        owners: list[int] = []
        for i, name in enumerate(self.intents):
            for phrase in examples[name]:
                self.phrases.append(phrase)
                owners.append(i)
        self._owners = np.array(owners, dtype=np.int64)
        self._strip = strip
        self._stripped = [strip(p) for p in self.phrases] if strip else []
        self._lengths = np.array([max(1, len(p.split())) for p in self._stripped])
        self.word_counts = np.array([max(1, len(p.split())) for p in self.phrases])

    def scores(self, query: str) -> np.ndarray:
        """Whole-utterance similarity to every phrase; also compared with
        light words removed on both sides (when anything is left)."""
        scores = _ratio_scores(query, self.phrases)
        if self._strip is not None:
            q = self._strip(query)
            if q:
                empty = np.array([not p for p in self._stripped])
                light = _ratio_scores(q, self._stripped)
                # An example's words inside a longer utterance count, less
                # the more the utterance says beyond them.
                inside = process.cdist([q], self._stripped, scorer=fuzz.token_set_ratio)[0]
                inside = inside * np.minimum(1.0, self._lengths / len(q.split())) ** 0.25 * 0.9
                scores = np.maximum(scores, np.where(empty, 0, np.maximum(light, inside)))
        return scores

    def ranked(self, query: str, scores: np.ndarray | None = None) -> list[tuple[str, float]]:
        if not self.phrases or not query:
            return []
        if scores is None:
            scores = self.scores(query)
        best = np.zeros(len(self.intents))
        np.maximum.at(best, self._owners, scores)
        order = np.argsort(-best, kind="stable")
        return [(self.intents[i], float(best[i])) for i in order]


class SectionFinder:
    """Finds a section named in an utterance ("the part about forgiveness")."""

    def __init__(self, aliases: dict[str, list[str]]) -> None:
        self._aliases = [(a, sid) for sid, names in aliases.items() for a in names]
        # Longer names first: "going forward" before "forward".
        self._aliases.sort(key=lambda x: len(x[0]), reverse=True)

    def find(self, text: str, cutoff: float = 86.0) -> tuple[str | None, str]:
        """Return (section id, text with the name replaced by the slot)."""
        best: tuple[float, int, int, str] | None = None
        for alias, sid in self._aliases:
            if len(alias) < 4:
                continue
            if alias in text:
                start = text.index(alias)
                cand = (100.0 + len(alias) / 100, start, start + len(alias), sid)
            else:
                al = fuzz.partial_ratio_alignment(alias, text, score_cutoff=cutoff)
                if al is None or len(alias) < 6:
                    continue
                cand = (al.score + len(alias) / 100, al.dest_start, al.dest_end, sid)
            if best is None or cand[0] > best[0]:
                best = cand
        if best is None:
            return None, text
        _, start, end, sid = best
        # Extend to whole words so the remaining template stays clean.
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        templated = (text[:start] + _SLOT_TOKEN + text[end:]).strip()
        return sid, _SPACES.sub(" ", templated)

    def best_section(self, text: str) -> str | None:
        """Fuzzy lookup of a bare section name (for `reflect read NAME`)."""
        choices = [a for a, _ in self._aliases]
        hit = process.extractOne(text.lower().strip(), choices, scorer=fuzz.WRatio, score_cutoff=70)
        return self._aliases[hit[2]][1] if hit else None


class IntentMatcher:
    """Global commands plus per-step intents, one matcher for all."""

    def __init__(self, commands: dict[str, list[str]], fillers: Iterable[str],
                 section_aliases: dict[str, list[str]], stopwords: Iterable[str] = ()) -> None:
        self.normalise = Normaliser(fillers)
        light = {w.lower() for w in stopwords}
        self.strip = lambda text: " ".join(w for w in text.split() if w not in light)
        self.sections = SectionFinder(section_aliases)
        plain: dict[str, list[str]] = {}
        slotted: dict[str, list[str]] = {}
        for name, phrases in commands.items():
            for p in phrases:
                p = self.normalise(p.replace(SLOT, _SLOT_TOKEN))
                (slotted if _SLOT_TOKEN in p else plain).setdefault(name, []).append(p)
        self.commands = ExampleIndex(plain, self.strip)
        self.slotted = ExampleIndex(slotted, self.strip)
        self.generic = {k: plain.get(k, []) for k in ("yes", "no", "unsure")}
        self._step_cache: dict[int, ExampleIndex] = {}

    # -------------------------------------------------------------- commands
    def match(self, text: str) -> Match:
        """Match an utterance against the global commands."""
        q = self.normalise(text)
        if not q:
            return Match(NONE, 0.0)
        ranked = self.commands.ranked(q)
        section, templated = self.sections.find(q)
        if section is not None:
            for name, score in self.slotted.ranked(templated):
                ranked.append((name, score))
            ranked.sort(key=lambda x: -x[1])
        # Keep each intent once (its best score).
        seen: dict[str, float] = {}
        for name, score in ranked:
            seen.setdefault(name, score)
        ordered = list(seen.items())
        best, score = ordered[0]
        alternatives = ordered[1:3]
        if score < CONFIRM:
            return Match(NONE, score, None, ordered[:2])
        sec = section if best in SECTION_INTENTS else None
        return Match(best, score, sec, alternatives)

    # ----------------------------------------------------------- step intents
    def match_step(self, text: str, intents: dict[str, list[str]]) -> Match:
        """Match an answer against one step's intents (content + yes/no/unsure).

        Answers are often longer than the examples ("yes i think it was a
        misunderstanding"), so partial and token-set similarity count here.
        """
        q = self.normalise(text)
        if not q or not intents:
            return Match(NONE, 0.0)
        key = id(intents)
        index = self._step_cache.get(key)
        if index is None:
            full = {n: [self.normalise(e) for e in (ex or self.generic.get(n, []))]
                    for n, ex in intents.items()}
            index = self._step_cache[key] = ExampleIndex(full, self.strip)
        if not index.phrases:
            return Match(NONE, 0.0)
        whole = index.scores(q)
        # Containment counts when the answer holds the example ("yes i think
        # it was a misunderstanding"), not when the example holds a short
        # answer (a bare "no" inside "no one in particular").
        loose = process.cdist([q], index.phrases, scorer=fuzz.token_set_ratio)[0]
        cover = np.minimum(1.0, len(q.split()) / index.word_counts)
        scores = np.maximum(whole, loose * cover * 0.95)
        ranked = index.ranked(q, scores)
        best, score = ranked[0]
        if score < STEP_ACCEPT:
            return Match(NONE, score, None, ranked[:2])
        return Match(best, score, None, ranked[1:3])


def load_matcher(section_aliases: dict[str, list[str]], path: Path | None = None) -> IntentMatcher:
    path = path or content_dir() / "commands.toml"
    data = load_toml(path)
    intents = data.get("intents")
    if not isinstance(intents, dict):
        raise ContentError(f"{path}: key 'intents' is missing")
    commands: dict[str, list[str]] = {}
    for name, table in intents.items():
        ex = table.get("examples") if isinstance(table, dict) else None
        if not isinstance(ex, list) or not ex or not all(isinstance(e, str) for e in ex):
            raise ContentError(f"{path}: key 'intents.{name}.examples' must be a list of strings")
        commands[name] = ex
    missing = [c for c in COMMANDS if c not in commands]
    if missing:
        raise ContentError(f"{path}: key 'intents': missing {', '.join(missing)}")
    norm = data.get("normalise", {})
    for key in ("fillers", "stopwords"):
        if not isinstance(norm.get(key, []), list):
            raise ContentError(f"{path}: key 'normalise.{key}' must be a list of strings")
    return IntentMatcher(commands, norm.get("fillers", []), section_aliases, norm.get("stopwords", []))
