"""Keywords of a step's answers, with negation and word gaps (a step's answers
worded unlike any example: "he was sleeping with someone from work").

The word lists (negators, clause breaks, ...) are content/words.toml's [keywords]."""

from __future__ import annotations

from typing import Callable, Iterable

from assistant.content.words import ANSWERS, words

GENERIC_ANSWERS = ANSWERS
# Yes, no and unsure scores this close count as a tie (_pick_answer).
TIE_SCORE = 1.0
# A keyword hit scores KEYWORD_BASE plus KEYWORD_STEP per keyword word
# matched (up to KEYWORD_WORDS words): longer phrases are surer.
KEYWORD_BASE = 86.0
KEYWORD_STEP = 3.0
KEYWORD_WORDS = 4
# Keywords that account for every content word of the answer.
KEYWORD_WHOLE = 97.0
# Ways of saying unsure that read as content words ("i go back and forth").
GENERIC_KEYWORDS: dict[str, tuple[str, ...]] = {"unsure": words("keywords", "unsure")}
# How people say yes or no at a yes/no question beyond the global examples
# ("all the time honestly"); any content keyword beats them.
WEAK_GENERIC: dict[str, tuple[str, ...]] = {
    "yes": words("keywords", "weak_yes"), "no": words("keywords", "weak_no")}
WEAK_KEYWORDS = frozenset(k for v in WEAK_GENERIC.values() for k in v)
# Words that negate a keyword said within NEGATION_WINDOW words (light words
# not counted) before it
# ("not worth it" is not "worth it"); a keyword that starts with one of them
# is itself negative. "no" negates only right before ("no secrets"), as an
# answer opening ("no we keep avoiding it") it does not.
NEGATORS = frozenset(words("keywords", "negators"))
NEGATED_VERBS = frozenset(words("keywords", "negated_verbs"))
NEGATION_WINDOW = 3
# Said right after a keyword, these negate it too.
NEGATED_AFTER = frozenset(words("keywords", "negated_after"))
CLAUSE_BREAKS = frozenset(words("keywords", "clause_breaks"))
# Between two words of a keyword phrase up to this many other words may
# stand ("broke promises" in "broke all his promises").
KEYWORD_GAP = 2
# ... except after these: a possessive or article binds to the next word.
NO_GAP_AFTER = frozenset(words("keywords", "no_gap_after"))
# "told her to protect her": "to" after an object starts a new clause, out
# of reach of a negation before it.
OBJECTS = frozenset(words("keywords", "objects"))


def turned_round(words: list[str], own: frozenset[str], light: frozenset[str] = frozenset()) -> bool:
    """Whether a command said in ``words`` is negated: a negator that is not
    one of the command's ``own`` words comes before the last of them ("please
    don't stop", "i can't go on"); with none of them said, anywhere. A
    negator after them gives a reason, not a reversal ("hurry it along, i
    haven't got all night"). ``light`` words of ``own`` mark no place."""
    places = [i for i, w in enumerate(words) if w in own and w not in light]
    end = places[-1] if places else len(words)
    return any(w in NEGATORS and w not in own for w in words[:end])


class Lexicon:
    """Per-intent keywords: word stems and short phrases.

    A keyword word of four letters or more matches any word it begins
    ("cheat" matches cheated, cheating); a shorter one matches exactly
    unless written with a trailing * ("lie*"). Keywords are normalised like
    utterances, so "can't" and "cannot" are both "cant".
    """

    def __init__(self, keywords: dict[str, Iterable[str]], normalise: Callable[[str], str],
                 command_words: frozenset[str] = frozenset(),
                 light: frozenset[str] = frozenset(), exact: frozenset[str] = frozenset(),
                 weak: frozenset[str] = frozenset()) -> None:
        self.entries: list[tuple[str, tuple[tuple[str, bool | None], ...], bool, bool]] = []
        self._light = light
        # Weak keywords ("all the time" for yes) lose to any content keyword.
        self.weak: set[int] = set()
        for name, kws in keywords.items():
            for kw in kws:
                parts = []
                for raw in kw.split():
                    star = raw.endswith("*")
                    w = normalise(raw.rstrip("*"))
                    for piece in w.split():
                        parts.append((piece, star or len(piece) >= 4))
                if len(parts) < len(kw.split()) and all(
                        p in NEGATORS or p == "no" or p in light for p, _ in parts):
                    continue  # "not well" is "not" once "well" is dropped as a filler
                if len(parts) > 1 and kw not in exact:
                    # ("dont know" is unsure, "didnt know" is not.) In a phrase any negated verb stands for any other: "wont
                    # accept" is also said "wouldnt accept", "didnt accept".
                    parts = [(p, None if p in NEGATED_VERBS else pre) for p, pre in parts]
                if parts:
                    negative = parts[0][0] in NEGATORS or parts[0][0] == "no"
                    command = all(p in command_words for p, _ in parts)
                    if kw in weak:
                        self.weak.add(len(self.entries))
                    self.entries.append((name, tuple(parts), negative, command))
        # Entries by their first word, so an answer is searched only for the
        # phrases that can start at one of its words (an opening meets
        # thousands of keywords; most share no word with it).
        self._by_word: dict[str, list[int]] = {}
        self._by_stem: dict[str, list[int]] = {}
        self._by_negated_verb: list[int] = []
        for k, (_, parts, _, _) in enumerate(self.entries):
            first, prefix = parts[0]
            if prefix is None:
                self._by_negated_verb.append(k)
            else:
                (self._by_stem if prefix else self._by_word).setdefault(first, []).append(k)

    @staticmethod
    def _is(u: str, word: str, prefix: bool) -> bool:
        if prefix is None:
            return u in NEGATED_VERBS
        if not prefix:
            return u == word
        # "rage" also in "raging", "excuse" in "excusing".
        return u.startswith(word) or (word[-1] == "e" and u.startswith(word[:-1] + "ing"))

    @classmethod
    def _find(cls, words: list[str], parts, light: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
        """(first, last) word positions where the phrase is said (gaps allowed,
        but none after a possessive or article: "my trust" is not "my
        girlfriends trust"; after a negated verb only light words: "not
        enough" is not "didnt feel like enough")."""
        spans = []
        first, prefix = parts[0]
        for i, w in enumerate(words):
            if not cls._is(w, first, prefix):
                continue
            pos, ok = i, True
            prev, prev_pre = first, prefix
            for word, pre in parts[1:]:
                gap = 0 if prev in NO_GAP_AFTER else KEYWORD_GAP
                for j in range(pos + 1, min(len(words), pos + 2 + gap)):
                    if cls._is(words[j], word, pre):
                        pos = j
                        break
                    if words[j] in NEGATORS:
                        ok = False  # "i cant trust him" is not "i trust him"
                        break
                    if prev_pre is None and words[j] not in light:
                        ok = False
                        break
                else:
                    ok = False
                if not ok:
                    break
                prev, prev_pre = word, pre
            if ok:
                spans.append((i, pos))
        return spans

    def _negated(self, words: list[str], start: int, end: int) -> bool:
        if start > 0 and words[start - 1] == "no":
            return True
        if end + 1 < len(words) and words[end + 1] in NEGATED_AFTER:
            return True  # "counselling isnt for me", "therapy doesnt work"
        seen = 0  # light words ("at", "it") do not count toward the window
        for j in range(start - 1, -1, -1):
            w = words[j]
            if w in CLAUSE_BREAKS or (w == "to" and j > 0 and words[j - 1] in OBJECTS):
                return False
            if w in NEGATORS or (w == "no" and words[j + 1] == "way"):
                return True
            if w not in self._light:
                seen += 1
                if seen >= NEGATION_WINDOW:
                    return False
        return False

    def _candidates(self, words: list[str]) -> list[int]:
        """The entries whose first word ``_is`` one of ``words``, in order."""
        found: set[int] = set()
        for u in set(words):
            found.update(self._by_word.get(u, ()))
            if u in NEGATED_VERBS:
                found.update(self._by_negated_verb)
            for end in range(1, len(u) + 1):
                head = u[:end]
                found.update(self._by_stem.get(head, ()))
                if head.endswith("ing"):  # "excusing" is said of the stem "excuse"
                    found.update(self._by_stem.get(head[:-3] + "e", ()))
        return sorted(found)

    def scores(self, words: list[str], content: set[int]) -> tuple[dict[str, float], set[str]]:
        """Keyword score per intent, and the intents whose keywords account
        for every content word of the answer (``content``: their positions)
        without being how a global command is said ("patience", "letting it
        go"; not "slow down")."""
        best: dict[str, float] = {}
        self.strong = strong = {}
        covered: dict[str, set[int]] = {}
        for k in self._candidates(words):
            name, parts, negative, command = self.entries[k]
            for start, end in self._find(words, parts, self._light):
                if not negative and self._negated(words, start, end):
                    continue
                if k in self.weak and len(content - set(range(start, end + 1))) > 2:
                    break  # "he says hes sorry all the time" is no yes
                score = KEYWORD_BASE + KEYWORD_STEP * min(KEYWORD_WORDS, len(parts))
                if score > best.get(name, 0.0):
                    best[name] = score
                if k not in self.weak and score > strong.get(name, 0.0):
                    strong[name] = score
                if not command:
                    covered.setdefault(name, set()).update(range(start, end + 1))
                break
        whole = {n for n, c in covered.items() if content and content <= c}
        return best, whole
