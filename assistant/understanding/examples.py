"""Example phrases scored against an utterance, and section names found in it."""

from __future__ import annotations

import re
from typing import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from assistant.content.words import alternation
from assistant.understanding.match import SLOT_TOKEN
from assistant.understanding.normalise import SPACES


def sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


class Strings:
    """A list of strings compared as a whole and word-order-free; each
    distinct string (and its sorted words) is compared once."""

    def __init__(self, texts: Sequence[str]) -> None:
        unique = list(dict.fromkeys(texts))
        where = {t: i for i, t in enumerate(unique)}
        self.unique = unique
        self.sorted = [sorted_words(t) for t in unique]
        self.back = np.array([where[t] for t in texts], dtype=np.int64)

    def ratios(self, query: str, cutoff: float = 40) -> np.ndarray:
        """Best of plain and word-order-free similarity, 0..100, per text."""
        if not self.unique:
            return np.zeros(len(self.back), dtype=np.float32)
        a = process.cdist([query], self.unique, scorer=fuzz.ratio, score_cutoff=cutoff)[0]
        if " " in query:
            b = process.cdist([sorted_words(query)], self.sorted, scorer=fuzz.ratio,
                              score_cutoff=cutoff)[0]
            np.maximum(a, b, out=a)
        return a[self.back]


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def same_word(a: str, b: str) -> bool:
    """The same word, inflected or slightly misheard ("talking"/"talk")."""
    if len(a) >= 4 and len(b) >= 4:
        n = min(len(a), len(b))
        if a[:n - 1] == b[:n - 1] and (n >= 5 or a[:n] == b[:n]):
            return True
        return fuzz.ratio(a, b) >= 80
    return False


# Points off per content word of the utterance that the example does not
# account for ("i keep going back to that night" is not "keep going"), and
# more for words that tell a story rather than give a command ("he", "she").
UNEXPLAINED = 5.0
NARRATIVE = 12.0
# A negation the intent's examples never hold turns the command round ("i
# can't go on" is no request to go on): off enough to fall below CONFIRM.
NEGATED = 25.0
# An example found inside a longer utterance is never quite a whole match.
INSIDE_WEIGHT = 0.95
TIE_BREAK = 0.001
TOP_K = 8

# Comparisons with light words removed lose a little information: a tie with
# a whole-utterance match goes to the whole utterance.
LIGHT_WEIGHT = 0.97


class ExampleIndex:
    """Example phrases grouped by intent; best score per intent.

    ``phrases`` are the examples as written (for recogniser grammars);
    ``keys`` their canonical forms, which are what is compared.
    """

    def __init__(self, examples: dict[str, list[str]],
                 strip: Callable[[str], str] | None = None,
                 keys: dict[str, list[str]] | None = None) -> None:
        self.intents = list(examples)
        self.phrases: list[str] = []
        self.keys: list[str] = []
        owners: list[int] = []
        for i, name in enumerate(self.intents):
            for j, phrase in enumerate(examples[name]):
                self.phrases.append(phrase)
                self.keys.append(keys[name][j] if keys else phrase)
                owners.append(i)
        self._owners = np.array(owners, dtype=np.int64)
        self._strip = strip
        self._full = Strings(self.keys)
        self._stripped = [strip(p) for p in self.keys] if strip else []
        self._light = Strings(self._stripped)
        self._empty = np.array([not p for p in self._stripped], dtype=bool)
        self._lengths = np.array([max(1, len(p.split())) for p in self._stripped])
        self.word_counts = np.array([max(1, len(p.split())) for p in self.keys])
        # Bag of words of the stripped examples: which examples could lie
        # inside a longer utterance (token-set similarity only for those).
        vocab: dict[str, int] = {}
        for p in self._stripped:
            for w in p.split():
                vocab.setdefault(w, len(vocab))
        self._vocab = vocab
        self._bag = np.zeros((len(self.keys), max(1, len(vocab))), dtype=np.float32)
        for r, p in enumerate(self._stripped):
            for w in set(p.split()):
                self._bag[r, vocab[w]] = 1.0
        self._bag_len = self._bag.sum(axis=1)

    def scores(self, query: str) -> np.ndarray:
        """Whole-utterance similarity to every example; also compared with
        light words removed on both sides (when anything is left)."""
        scores = self._full.ratios(query)
        if self._strip is not None:
            q = self._strip(query)
            if q:
                light = self._light.ratios(q) * LIGHT_WEIGHT
                light[self._empty] = 0
                np.maximum(scores, light, out=scores)
                # An example's words inside a longer utterance count, less
                # the more the utterance says beyond them.
                words = q.split()
                cols = [self._vocab[w] for w in set(words) if w in self._vocab]
                if cols:
                    overlap = self._bag[:, cols].sum(axis=1)
                    cand = np.nonzero((overlap > 0) & (overlap * 2 >= self._bag_len))[0]
                    if len(cand):
                        inside = process.cdist([q], [self._stripped[i] for i in cand],
                                               scorer=fuzz.token_set_ratio)[0]
                        inside = inside * np.minimum(1.0, self._lengths[cand] / len(words)) ** 0.25 * 0.9
                        # ... and only as much as the utterance holds of the
                        # example: "my answer is here" is not "i don't want
                        # to answer that" (a subset scores 100 on token sets).
                        inside = inside * np.sqrt(overlap[cand] / self._bag_len[cand])
                        scores[cand] = np.maximum(scores[cand], inside)
        return scores

    def ranked(self, query: str, scores: np.ndarray | None = None) -> list[tuple[str, float]]:
        if not self.keys or not query:
            return []
        if scores is None:
            scores = self.scores(query)
        best = np.zeros(len(self.intents))
        np.maximum.at(best, self._owners, scores)
        order = np.argsort(-best, kind="stable")
        return [(self.intents[i], float(best[i])) for i in order]


class SectionFinder:
    """Finds a section named in an utterance ("the part about forgiveness").

    Aliases and utterances are compared in canonical form (``normalise``).
    """

    def __init__(self, aliases: dict[str, list[str]],
                 normalise: Callable[[str], str] | None = None) -> None:
        norm = normalise or (lambda t: t)
        pairs = {(norm(a), sid) for sid, names in aliases.items() for a in names}
        self._aliases = [(a, sid) for a, sid in pairs if a]
        # Longer names first: "going forward" before "forward".
        self._aliases.sort(key=lambda x: (-len(x[0]), x[0], x[1]))
        self._raw = [(a.lower(), sid) for sid, names in aliases.items() for a in names]
        self._names = [a for a, _ in self._aliases]
        self._stems: dict[str, list[tuple[str, str]]] = {}
        for a, sid in self._aliases:
            if " " not in a and len(a) >= 6:
                self._stems.setdefault(a[:6], []).append((a, sid))

    def find(self, text: str, cutoff: float = 86.0) -> tuple[str | None, str]:
        """Return (section id, text with the name replaced by the slot)."""
        best: tuple[float, int, int, str] | None = None
        if self._aliases:
            # One vectorised pass says which names can be in the text at all.
            near = process.cdist([text], self._names, scorer=fuzz.partial_ratio,
                                 score_cutoff=cutoff)[0]
            for i in np.nonzero(near)[0]:
                alias, sid = self._aliases[i]
                if len(alias) < 4:
                    continue
                if alias in text:
                    start = text.index(alias)
                    cand = (100.0 + len(alias) / 100, start, start + len(alias), sid)
                else:
                    if len(alias) < 6:
                        continue
                    al = fuzz.partial_ratio_alignment(alias, text, score_cutoff=cutoff)
                    if al is None or al.src_end - al.src_start < 0.8 * len(alias):
                        continue  # a word of the name ("the", "i") is not the name
                    cand = (al.score + len(alias) / 100, al.dest_start, al.dest_end, sid)
                if best is None or cand[0] > best[0]:
                    best = cand
        if best is None:
            best = self._find_split(text)
        if best is None:
            return None, text
        _, start, end, sid = best
        # Extend to whole words so the remaining template stays clean.
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum():
            end += 1
        templated = (text[:start] + SLOT_TOKEN + text[end:]).strip()
        # "the apology session", "the motives action": a misheard "section".
        templated = _MISHEARD_SECTION.sub(SLOT_TOKEN + " section", templated)
        return sid, SPACES.sub(" ", templated)

    def _find_split(self, text: str) -> tuple[float, int, int, str] | None:
        """A one-word name said in another form ("apologizing", "communicating")
        or split by the recogniser ("for giving"): same stem, same section."""
        spans: list[tuple[str, int, int]] = []
        pos = []
        start = 0
        for w in text.split(" "):
            pos.append((w, start, start + len(w)))
            start += len(w) + 1
        for k, (w, a, b) in enumerate(pos):
            spans.append((w, a, b))
            if k + 1 < len(pos):
                spans.append((w + pos[k + 1][0], a, pos[k + 1][2]))
        best = None
        for word, a, b in spans:
            if len(word) < 6:
                continue
            for name, sid in self._stems.get(word[:6], ()):
                n = common_prefix(word, name)
                if n >= 6 and n >= 0.6 * min(len(word), len(name)):
                    cand = (90.0 + n / 100, a, b, sid)
                    if best is None or cand[0] > best[0]:
                        best = cand
        return best

    def best_section(self, text: str) -> str | None:
        """Fuzzy lookup of a bare section name (for `reflect read NAME`)."""
        choices = [a for a, _ in self._raw]
        hit = process.extractOne(text.lower().strip(), choices, scorer=fuzz.WRatio, score_cutoff=70)
        return self._raw[hit[2]][1] if hit else None


_MISHEARD_SECTION = re.compile(SLOT_TOKEN + rf" (?:{alternation('sections', 'misheard_section')})\b")
