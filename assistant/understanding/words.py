"""Intent matching on recogniser-style text, built on rapidfuzz.

Global commands are matched on the *whole* utterance (ratio-based scorers),
so an answer that merely contains a command word ("i can't stop thinking
about it") scores low and stays an answer. Section names are found first
and replaced by a placeholder, so "read me the part about forgiveness"
matches the template "read me the part about {section}".

Both examples and utterances are normalised the same way first (apostrophes
dropped, spoken variants and synonyms rewritten, fillers and stutters
removed; see commands.toml [normalise]). The best examples are then
rescored: content words of the utterance that neither the example nor the
intent's other examples account for cost points, more so for words that
tell a story ("he", "she", "last night").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from assistant.content.files import ContentError, content_dir, load_toml
from assistant.understanding.meaning import SLOT_WORDS, MeaningIndex, names_a_part

NONE = "none"
SLOT = "{section}"
_SLOT_TOKEN = "xsectionx"  # a token that cannot occur in speech
COMMANDS = (
    "pause", "resume", "repeat", "next", "back", "read_section", "goto_section",
    "stop_reading", "slower", "faster", "help", "where_am_i", "list_sections",
    "quit", "yes", "no", "unsure", "perspective", "delete_journal",
)
SECTION_INTENTS = ("read_section", "goto_section")

# Whole-utterance command matching: at or above ACCEPT is taken, between
# CONFIRM and ACCEPT is asked back ("did you mean ...?").
ACCEPT = 75.0
CONFIRM = 65.0
# Step intents (content answers) may be embedded in a longer answer.
STEP_ACCEPT = 78.0
# A step's own answer wins over a global command that scores up to this much
# higher: at a question, an answer is the likelier reading.
STEP_SLACK = 5.0


@dataclass
class Match:
    intent: str
    score: float
    section: str | None = None
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "intent": self.intent,
            "score": round(max(0.0, self.score), 1),
            "section": self.section,
            "alternatives": [{"intent": i, "score": round(s, 1)} for i, s in self.alternatives],
        }


_PUNCT = re.compile(r"[^\w\s']+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# "wait wait", "hold on hold on", "bye bye": a repeated word or pair once.
_REPEATS = re.compile(r"\b(\w+(?: \w+)?)(?: \1\b)+")


def _basic(text: str) -> str:
    """Lowercase, no punctuation, no apostrophes ("let's" and "lets" alike)."""
    text = text.lower().replace("\u2019", "'")
    text = _PUNCT.sub(" ", text).replace("'", "")
    return _SPACES.sub(" ", text).strip()


def _alternation(words: Iterable[str]) -> re.Pattern:
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
        self._map = {_basic(k): _basic(v) for k, v in (replace or {}).items() if _basic(k)}
        self._replace_re = _alternation(self._map)
        self._fillers = _alternation(self._rewrite(_basic(f)) for f in fillers)
        wake = sorted({self._rewrite(_basic(w)) for w in wake_words} - {""}, key=len, reverse=True)
        self._wake = re.compile(r"^(?:(?:%s)\b\s*)+" % "|".join(map(re.escape, wake))) if wake else None

    def _rewrite(self, text: str) -> str:
        if not self._map:
            return text
        return self._replace_re.sub(lambda m: self._map[m.group(0)], text)

    def light(self, text: str) -> str:
        """Only lowercase and no punctuation: for display and recogniser grammars."""
        text = text.lower().replace("\u2019", "'")
        text = _PUNCT.sub(" ", text)
        return _SPACES.sub(" ", text).strip()

    def __call__(self, text: str) -> str:
        text = self._rewrite(_basic(text))
        text = self._fillers.sub(" ", text)
        text = _SPACES.sub(" ", text).strip()
        if self._wake is not None:
            # (the name alone is kept: "reflect" answers "which fits you?")
            text = self._wake.sub("", text) or text
        return _REPEATS.sub(r"\1", text)


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


class _Strings:
    """A list of strings compared as a whole and word-order-free; each
    distinct string (and its sorted words) is compared once."""

    def __init__(self, texts: Sequence[str]) -> None:
        unique = list(dict.fromkeys(texts))
        where = {t: i for i, t in enumerate(unique)}
        self.unique = unique
        self.sorted = [_sorted_words(t) for t in unique]
        self.back = np.array([where[t] for t in texts], dtype=np.int64)

    def ratios(self, query: str, cutoff: float = 40) -> np.ndarray:
        """Best of plain and word-order-free similarity, 0..100, per text."""
        if not self.unique:
            return np.zeros(len(self.back), dtype=np.float32)
        a = process.cdist([query], self.unique, scorer=fuzz.ratio, score_cutoff=cutoff)[0]
        if " " in query:
            b = process.cdist([_sorted_words(query)], self.sorted, scorer=fuzz.ratio,
                              score_cutoff=cutoff)[0]
            np.maximum(a, b, out=a)
        return a[self.back]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _same_word(a: str, b: str) -> bool:
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
        self._full = _Strings(self.keys)
        self._stripped = [strip(p) for p in self.keys] if strip else []
        self._light = _Strings(self._stripped)
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
        templated = (text[:start] + _SLOT_TOKEN + text[end:]).strip()
        # "the apology session", "the motives action": a misheard "section".
        templated = _MISHEARD_SECTION.sub(_SLOT_TOKEN + " section", templated)
        return sid, _SPACES.sub(" ", templated)

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
                n = _common_prefix(word, name)
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


_MISHEARD_SECTION = re.compile(_SLOT_TOKEN + r" (?:session|action|selection|suction|sections)\b")


class IntentMatcher:
    """Global commands plus per-step intents, one matcher for all."""

    def __init__(self, commands: dict[str, list[str]], fillers: Iterable[str],
                 section_aliases: dict[str, list[str]], stopwords: Iterable[str] = (),
                 replace: dict[str, str] | None = None, narrative: Iterable[str] = (),
                 wake_words: Iterable[str] = (), statement_words: Iterable[str] = ()) -> None:
        self.normalise = Normaliser(fillers, replace, wake_words)
        self.examples = commands
        # Set by load_content when the sentence encoder is installed.
        self.meaning: MeaningIndex | None = None
        light = {self.normalise(w) for w in stopwords} | {_basic(w) for w in stopwords}
        self.light_words = frozenset(w for w in light if w)
        self.strip = lambda text: " ".join(w for w in text.split() if w not in self.light_words)
        self.sections = SectionFinder(section_aliases, self.normalise)
        self.narrative = frozenset(self.normalise(w) for w in narrative) - {""}
        # Words of a statement, not a request: no command is guessed by meaning.
        self.statement = frozenset(self.normalise(w) for w in statement_words) - {""}
        plain: dict[str, list[str]] = {}
        plain_keys: dict[str, list[str]] = {}
        slotted: dict[str, list[str]] = {}
        slotted_keys: dict[str, list[str]] = {}
        for name, phrases in commands.items():
            for p in phrases:
                key = self.normalise(p.replace(SLOT, _SLOT_TOKEN))
                if not key:
                    continue
                shown = self.normalise.light(p)
                if _SLOT_TOKEN in key:
                    slotted.setdefault(name, []).append(shown)
                    slotted_keys.setdefault(name, []).append(key)
                else:
                    plain.setdefault(name, []).append(shown)
                    plain_keys.setdefault(name, []).append(key)
        self.commands = ExampleIndex(plain, self.strip, plain_keys)
        # Each intent's words: a word another example of the intent uses is
        # part of how people say that command.
        self.vocab = {name: frozenset(w for k in plain_keys.get(name, []) + slotted_keys.get(name, [])
                                      for w in k.split() if w != _SLOT_TOKEN)
                      for name in commands}
        self._words = sorted({w for v in self.vocab.values() for w in v})
        self._by_prefix: dict[str, list[str]] = {}
        for w in self._words:
            if len(w) >= 4:
                self._by_prefix.setdefault(w[:4], []).append(w)
        self._similar_cache: dict[str, frozenset[str]] = {}
        self._example_words: dict[str, frozenset[str]] = {}
        self._last: tuple[str, Match] | None = None  # match() of the last text
        self.match("warm up the matcher")  # first calls into numpy/rapidfuzz are slow
        self.slotted = ExampleIndex(slotted, self.strip, slotted_keys)
        self.generic = {k: plain.get(k, []) for k in ("yes", "no", "unsure")}
        self._step_cache: dict[tuple, tuple] = {}
        self._answer_words: frozenset[str] | None = None
        self._commandish: frozenset[str] | None = None
        self._strong: dict[str, float] = {}

    # -------------------------------------------------------------- commands
    def match(self, text: str) -> Match:
        """Match an utterance against the global commands."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        m = self._match(text)
        self._last = (text, m)
        return m

    def _match(self, text: str) -> Match:
        q = self.normalise(text)
        if not q:
            return Match(NONE, 0.0)
        pools = [(self.commands, q, self.commands.scores(q))]
        # Meaning helps only with requests: "we keep ..." is a statement.
        meaning = self.meaning if self.statement.isdisjoint(q.split()) else None
        # A part named by its topic ("the part about talking things through")
        # is found by meaning first: spelling alone hears "stalking" in "talking".
        topic = meaning.topic(q, _SLOT_TOKEN) if meaning is not None and names_a_part(text) else None
        section, templated = topic or self.sections.find(q)
        if section is not None:
            pools.append((self.slotted, templated, self.slotted.scores(templated)))
        ranked = self._rerank(pools)
        if not ranked:
            return Match(NONE, 0.0)
        best, score = ranked[0]
        alternatives = ranked[1:3]
        if score < ACCEPT and meaning is not None:
            guess = self._by_meaning(text, q, (section, templated) if section is not None else None)
            if guess is not None:
                return Match(guess[0], ACCEPT, guess[1], ranked[:2])
        if score < CONFIRM:
            return Match(NONE, score, None, ranked[:2])
        sec = section if best in SECTION_INTENTS else None
        return Match(best, score, sec, alternatives)

    def _by_meaning(self, text: str, q: str,
                    named: tuple[str, str] | None) -> tuple[str, str | None] | None:
        """A command said in words none of its examples has, found by meaning
        (assistant/understanding/meaning.py): (intent, section) or None. ``q`` is ``text``
        normalised, ``named`` the section found (by topic or by name) and
        ``q`` with it replaced. Not where the words tell a story ("he came back late"):
        those are answers, whatever they resemble."""
        section, templated = None, ""
        if names_a_part(text) and named is not None:  # else a section's name in an answer is no request
            section, templated = named
        # Story words in the section's topic are the topic's ("the bit about
        # checking up on your partner").
        if any(w in self.narrative for w in (templated or q).split()):
            return None
        query = templated.replace(_SLOT_TOKEN, SLOT_WORDS) if templated else " ".join(text.lower().split())
        found = self.meaning.command(query)
        if found is None:
            return None
        intent = found[0]
        if intent not in COMMANDS or intent in ("yes", "no", "unsure", "perspective"):
            return None
        if (intent in SECTION_INTENTS) != bool(templated):
            return None  # a part of the article without its name, or a name without a part
        return intent, section if templated else None

    def _similar(self, word: str) -> frozenset[str]:
        """Example words that count as ``word`` (itself, inflected, misheard)."""
        hit = self._similar_cache.get(word)
        if hit is None:
            near = set()
            if len(word) >= 4:
                ratios = process.cdist([word], self._words, scorer=fuzz.ratio, score_cutoff=80)[0]
                near = {self._words[i] for i in np.nonzero(ratios)[0]}
                near |= {e for e in self._by_prefix.get(word[:4], ()) if _same_word(word, e)}
            near.add(word)
            hit = frozenset(near)
            if len(self._similar_cache) < 20000:
                self._similar_cache[word] = hit
        return hit

    def _unexplained(self, words: list[str], example: str, intent: str) -> tuple[int, float]:
        """The utterance's content words that neither the example nor another
        example of the same intent accounts for ("i need some time to collect
        myself can we pause" is all pause words), and the points off for
        them: more for words that tell a story ("he", "she")."""
        ex = self._example_words.get(example)
        if ex is None:
            ex = self._example_words[example] = frozenset(example.split())
        vocab = self.vocab.get(intent, frozenset())
        n, off = 0, 0.0
        for w in words:
            if w in ex or w in vocab:
                continue
            similar = self._similar(w)
            if not ex.isdisjoint(similar) or not vocab.isdisjoint(similar):
                continue
            n += 1
            off += UNEXPLAINED + NARRATIVE * (w in self.narrative)
        return n, off

    def _rerank(self, pools) -> list[tuple[str, float]]:
        """Best examples of each pool, rescored: an example inside a longer
        utterance counts less the more the utterance says beyond it that is
        not said in that intent's examples; each intent once, best first."""
        best: dict[str, tuple[float, float]] = {}
        for index, text, scores in pools:
            if not len(scores):
                continue
            words = [w for w in text.split() if w not in self.light_words and w != _SLOT_TOKEN]
            stripped = self.strip(text)
            k = min(TOP_K, len(scores))
            top = np.argpartition(-scores, k - 1)[:k]
            for i in top:
                name = index.intents[index._owners[i]]
                n, off = self._unexplained(words, index.keys[i], name)
                score = float(scores[i])
                light = index._stripped[i] if index._strip is not None else ""
                if n < len(words) and light and stripped:
                    size = len(light.split())
                    # The example inside the utterance, not the utterance
                    # inside the example: "answer" alone is not "i'd rather
                    # not answer" (token_set_ratio scores a subset 100).
                    inside = fuzz.token_set_ratio(stripped, light) * min(1.0, len(stripped.split()) / size)
                    score = max(score, inside * (size / (size + n)) ** 0.25 * INSIDE_WEIGHT)
                score = min(100.0, score - off)
                # Ties (often word-order-free ones: "back go" is "go back")
                # go to the example closest word for word; the score reported
                # stays 0..100.
                key = score + TIE_BREAK * fuzz.ratio(text, index.keys[i])
                if key > best.get(name, (-1e9, 0.0))[0]:
                    best[name] = (key, score)
        ordered = sorted(best.items(), key=lambda x: -x[1][0])
        return [(name, score) for name, (_, score) in ordered]

    # ----------------------------------------------------------- step intents
    def _step_index(self, intents: dict[str, list[str]]) -> tuple[ExampleIndex, "_Lexicon"]:
        # Keyed by the example lists themselves (they live as long as the
        # script); the cache keeps them, so their ids cannot be reused.
        key = tuple((n, id(ex)) for n, ex in intents.items())
        hit = self._step_cache.get(key)
        if hit is None:
            full = {n: list(ex or self.generic.get(n, [])) for n, ex in intents.items()}
            keys = {n: [self.normalise(e) for e in ex] for n, ex in full.items()}
            index = ExampleIndex(full, self.strip, keys)
            # A step's own keywords say what its yes, no and unsure mean
            # ("no idea" is no to "do you know why?"): a generic keyword the
            # step gives to another intent is that intent's alone.
            own = {n: tuple(getattr(ex, "keywords", ())) for n, ex in intents.items()}
            claimed = {k for kws in own.values() for k in kws}
            lexicon = _Lexicon({n: own[n] + tuple(k for k in GENERIC_KEYWORDS.get(n, ()) + WEAK_GENERIC.get(n, ())
                                                  if k not in claimed)
                                for n in intents},
                               self.normalise, self._command_words(), self.light_words,
                               exact=frozenset(k for v in GENERIC_KEYWORDS.values() for k in v),
                               weak=WEAK_KEYWORDS - claimed)
            hit = self._step_cache[key] = (index, lexicon, list(intents.values()))
        return hit[0], hit[1]

    def match_step(self, text: str, intents: dict[str, list[str]]) -> Match:
        """Match an answer against one step's intents (content + yes/no/unsure).

        Answers are often longer than the examples ("yes i think it was a
        misunderstanding"), so partial and token-set similarity count here.
        An intent's keywords (``_Lexicon``) catch answers worded unlike any
        example ("he was sleeping with someone from work"). An answer that
        carries content is a content intent before a bare yes, no or unsure
        ("yes i checked his phone"); "yes i think so" stays yes.
        """
        q = self.normalise(text)
        if not q or not intents:
            return Match(NONE, 0.0)
        index, lexicon = self._step_index(intents)
        if not index.keys and not lexicon.entries:
            return Match(NONE, 0.0)
        best_of: dict[str, float] = {}
        if index.keys:
            whole = index.scores(q)
            # Containment counts when the answer holds the example ("yes i
            # think it was a misunderstanding"), not when the example holds
            # a short answer (a bare "no" inside "no one in particular").
            loose = process.cdist([q], index.keys, scorer=fuzz.token_set_ratio)[0]
            cover = np.minimum(1.0, len(q.split()) / index.word_counts)
            scores = np.maximum(whole, loose * cover * 0.95)
            best_of = dict(index.ranked(q, scores))
        words = q.split()
        content = {i for i, w in enumerate(words) if w not in self.light_words}
        found, complete = lexicon.scores(words, content)
        for name, score in found.items():
            if name in complete:
                # The keywords say all the answer says ("patience").
                score = max(score, KEYWORD_WHOLE)
            best_of[name] = max(best_of.get(name, 0.0), score)
        ranked = sorted(best_of.items(), key=lambda x: -x[1])
        if not ranked:
            return Match(NONE, 0.0)
        best, score = ranked[0]
        strong = lexicon.strong
        self._strong = {n: strong[n] for n in GENERIC_ANSWERS if n in strong}
        generic_kw = max((strong[n] for n in GENERIC_ANSWERS if n in strong), default=0.0)
        if best not in GENERIC_ANSWERS and 0 < generic_kw >= score and best not in complete:
            # A yes, no or unsure keyword as strong as the content one ("not
            # sure it was a proper apology"; the step's own "consider it").
            best = max((n for n in GENERIC_ANSWERS if n in strong), key=lambda n: strong[n])
            score = best_of[best]
        if best in GENERIC_ANSWERS:
            # A content intent's keyword is evidence enough ("yes i'd be up
            # for that"), unless a yes, no or unsure keyword is as strong; an
            # example-like answer needs words beyond yes/no.
            specific = [(n, s) for n, s in ranked if n not in GENERIC_ANSWERS and s >= STEP_ACCEPT
                        and (n in found or self._carries_content(words))
                        and found.get(n, s) > generic_kw]
            if specific:
                best, score = specific[0]
            else:
                best, score = self._pick_answer(text, words, intents, ranked, found, complete)
            ranked = [(best, score)] + [r for r in ranked if r[0] != best]
        if score < STEP_ACCEPT:
            return Match(NONE, score, None, ranked[:2])
        return Match(best, score, None, [r for r in ranked if r[0] != best][:2])

    def _pick_answer(self, text, words, intents, ranked, found, complete) -> tuple[str, float]:
        """Which of yes, no and unsure. Near ties go to a keyword ("not sure
        it was a proper apology"), then to the word the answer opens with
        ("yes sometimes", "no idea at all" where no claims "no idea");
        otherwise the global matcher knows best."""
        generic = [(n, s) for n, s in ranked if n in GENERIC_ANSWERS]
        best, score = generic[0]
        tied = [n for n, s in generic if s >= score - TIE_SCORE]
        strong = self._strong_answers(found)
        if strong and best not in strong:
            # The step's own keyword ("no clue" is no to "do you know why?").
            best = max(strong, key=lambda n: strong[n])
            return best, max(score, found[best])
        if len(tied) > 1:
            with_kw = [n for n in tied if n in found]
            if with_kw:
                return max(with_kw, key=lambda n: found[n]), score
            if words[0] in tied and words[0] != "unsure":
                return words[0], score
        if best in found:
            return best, score
        m = self.match(text)
        if m.intent in intents and m.intent in GENERIC_ANSWERS and m.score >= CONFIRM \
                and m.intent != best and best not in complete:
            return m.intent, max(score, m.score)
        return best, score

    def _strong_answers(self, found) -> dict[str, float]:
        """Yes, no or unsure said with a step's own keyword or a sure way
        of saying unsure (not a weak one such as "all the time")."""
        return {n: s for n, s in self._strong.items() if n in found}

    def _command_words(self) -> frozenset[str]:
        """Words of how the global commands other than yes, no and unsure are said."""
        if self._commandish is None:
            self._commandish = frozenset().union(
                *(v for n, v in self.vocab.items() if n not in GENERIC_ANSWERS))
        return self._commandish

    def _carries_content(self, words: list[str]) -> bool:
        """Words beyond how people say yes, no or unsure ("yes i checked
        his phone", not "yes i think so")."""
        plain = self._answer_words
        if plain is None:
            plain = self._answer_words = frozenset().union(
                *(self.vocab.get(n, frozenset()) for n in GENERIC_ANSWERS)) | self.light_words
        return any(w not in plain for w in words)


GENERIC_ANSWERS = ("yes", "no", "unsure")
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
GENERIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "unsure": ("not sure", "unsure", "dont know", "no idea", "no clue", "torn", "back and forth",
               "mixed feelings", "two minds", "on the fence", "hard to say", "hard to tell",
               "cant tell", "cant say", "who knows", "undecided", "uncertain", "not certain",
               "figuring", "figure it out", "figure that out", "working it out", "working that out",
               "changing my mind", "change my mind", "cant decide", "havent decided",
               "not decided", "hard to know", "difficult to say", "difficult to tell", "it depends",
               "depends on", "cant be sure", "still thinking", "need to think", "no way of knowing",
               "havent worked out", "not worked out", "in between", "half and half"),
}
# How people say yes or no at a yes/no question beyond the global examples
# ("all the time honestly"); any content keyword beats them.
WEAK_GENERIC: dict[str, tuple[str, ...]] = {
    "yes": ("all the time", "constantly", "loads of times", "lots of times", "many times",
            "every day", "most days", "definitely", "absolutely", "of course", "for sure",
            "sometimes", "at times", "now and then", "now and again", "occasionally", "often",
            "plenty", "a lot", "very much", "certainly", "pretty much", "more or less yes"),
    "no": ("not at all", "not yet", "not really", "no way", "not once", "not ever", "nope",
           "not at the moment", "not right now", "not so far", "not much", "not since"),
}
WEAK_KEYWORDS = frozenset(k for v in WEAK_GENERIC.values() for k in v)
# Words that negate a keyword said within NEGATION_WINDOW words (light words
# not counted) before it
# ("not worth it" is not "worth it"); a keyword that starts with one of them
# is itself negative. "no" negates only right before ("no secrets"), as an
# answer opening ("no we keep avoiding it") it does not.
NEGATORS = frozenset("""not dont doesnt didnt cant couldnt wont wouldnt isnt wasnt arent werent
    havent hasnt hadnt shouldnt never hardly barely nothing nobody neither nor without""".split())
NEGATED_VERBS = frozenset("""not dont doesnt didnt cant couldnt wont wouldnt isnt wasnt arent
    werent havent hasnt hadnt shouldnt never""".split())
NEGATION_WINDOW = 3
# Said right after a keyword, these negate it too.
NEGATED_AFTER = frozenset("isnt wasnt arent werent doesnt didnt dont wont wouldnt".split())
CLAUSE_BREAKS = frozenset("but and so because though although or".split())
# Between two words of a keyword phrase up to this many other words may
# stand ("broke promises" in "broke all his promises").
KEYWORD_GAP = 2
# ... except after these: a possessive or article binds to the next word.
NO_GAP_AFTER = frozenset("my his her their our your its the a an".split())
# "told her to protect her": "to" after an object starts a new clause, out
# of reach of a negation before it.
OBJECTS = frozenset("him her them me it us".split())


class _Lexicon:
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

    def scores(self, words: list[str], content: set[int]) -> tuple[dict[str, float], set[str]]:
        """Keyword score per intent, and the intents whose keywords account
        for every content word of the answer (``content``: their positions)
        without being how a global command is said ("patience", "letting it
        go"; not "slow down")."""
        best: dict[str, float] = {}
        self.strong = strong = {}
        covered: dict[str, set[int]] = {}
        for k, (name, parts, negative, command) in enumerate(self.entries):
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
    for key in ("fillers", "stopwords", "narrative", "wake_words"):
        if not isinstance(norm.get(key, []), list):
            raise ContentError(f"{path}: key 'normalise.{key}' must be a list of strings")
    replace = norm.get("replace", {})
    if not isinstance(replace, dict) or not all(isinstance(v, str) for v in replace.values()):
        raise ContentError(f"{path}: key 'normalise.replace' must be a table of strings")
    statement = data.get("meaning", {}).get("statement_words", [])
    if not isinstance(statement, list) or not all(isinstance(w, str) for w in statement):
        raise ContentError(f"{path}: key 'meaning.statement_words' must be a list of strings")
    return IntentMatcher(commands, norm.get("fillers", []), section_aliases,
                         norm.get("stopwords", []), replace, norm.get("narrative", []),
                         norm.get("wake_words", []), statement)
