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

from typing import Iterable

import numpy as np
from rapidfuzz import fuzz, process

from assistant.understanding.decide import weigh_command
from assistant.understanding.examples import (
    INSIDE_WEIGHT,
    NARRATIVE,
    NEGATED,
    TIE_BREAK,
    TOP_K,
    UNEXPLAINED,
    ExampleIndex,
    SectionFinder,
    same_word,
)
from assistant.understanding.keywords import (
    GENERIC_ANSWERS,
    GENERIC_KEYWORDS,
    KEYWORD_WHOLE,
    NEGATION_WINDOW,
    NEGATORS,
    TIE_SCORE,
    WEAK_GENERIC,
    WEAK_KEYWORDS,
    Lexicon,
    turned_round,
)
from assistant.understanding.match import (ACCEPT, COMMANDS, CONFIRM, NONE, SECTION_INTENTS, SLOT, SLOT_TOKEN,
                                           STEP_ACCEPT, Match)
from assistant.understanding.meaning import SLOT_WORDS, MeaningIndex, names_a_part
from assistant.understanding.normalise import Normaliser, plain_form


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
        light = {self.normalise(w) for w in stopwords} | {plain_form(w) for w in stopwords}
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
                key = self.normalise(p.replace(SLOT, SLOT_TOKEN))
                if not key:
                    continue
                shown = self.normalise.light(p)
                if SLOT_TOKEN in key:
                    slotted.setdefault(name, []).append(shown)
                    slotted_keys.setdefault(name, []).append(key)
                else:
                    plain.setdefault(name, []).append(shown)
                    plain_keys.setdefault(name, []).append(key)
        self.commands = ExampleIndex(plain, self.strip, plain_keys)
        # Each intent's words: a word another example of the intent uses is
        # part of how people say that command.
        self.vocab = {name: frozenset(w for k in plain_keys.get(name, []) + slotted_keys.get(name, [])
                                      for w in k.split() if w != SLOT_TOKEN)
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
        self.generic = {k: plain.get(k, []) for k in GENERIC_ANSWERS}
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

    def read(self, what: str, text: str) -> tuple[str, float] | None:
        """(label, probability) by the reader of ``what`` (reader.py):
        "perspective" or "gist"; None without understanding by meaning."""
        return self.meaning.read(what, text, self.normalise(text).split()) if self.meaning else None

    def says(self, text: str, intent: str) -> bool:
        """Whether ``text`` holds one of ``intent``'s examples (holds)."""
        return self.holds(text, self.examples.get(intent, ()))

    def holds(self, text: str, phrases: Iterable[str]) -> bool:
        """Whether ``text`` holds, word for word, one of ``phrases`` of two
        words or more ("okay, I'm work, let's carry on" holds "let's carry
        on"), not negated just before it ("i can't go on"): where only a few
        things can be meant, or only a precise phrase may count."""
        q = self.normalise(text).split()
        wanted = [e.split() for e in {self.normalise(x) for x in phrases}]
        return any(len(e) >= 2 and q[i:i + len(e)] == e and NEGATORS.isdisjoint(q[max(0, i - NEGATION_WINDOW):i])
                   for e in wanted for i in range(len(q) - len(e) + 1))

    def _match(self, text: str) -> Match:
        q = self.normalise(text)
        if not q:
            return Match(NONE, 0.0)
        pools = [(self.commands, q, self.commands.scores(q))]
        # Meaning helps only with requests: "we keep ..." is a statement.
        meaning = self.meaning if self.statement.isdisjoint(q.split()) else None
        # A part named by its topic ("the part about talking things through")
        # is found by meaning first: spelling alone hears "stalking" in "talking".
        topic = meaning.topic(q, SLOT_TOKEN) if meaning is not None and names_a_part(text) else None
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
            found = Match(NONE, score, None, ranked[:2])
        else:
            found = Match(best, score, section if best in SECTION_INTENTS else None, alternatives)
        read = self.meaning.read("command", text, q.split()) if self.meaning is not None else None
        return weigh_command(found, read, section,
                             lambda intent: turned_round(q.split(), self.vocab.get(intent, frozenset()), self.light_words))

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
        query = templated.replace(SLOT_TOKEN, SLOT_WORDS) if templated else " ".join(text.lower().split())
        found = self.meaning.command(query)
        if found is None:
            return None
        intent = found[0]
        if intent not in COMMANDS or intent in GENERIC_ANSWERS + ("perspective",):
            return None
        if NEGATORS.intersection(q.split()) - self.vocab.get(intent, frozenset()):
            return None  # "don't stop", "i can't go on": the command turned round
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
                near |= {e for e in self._by_prefix.get(word[:4], ()) if same_word(word, e)}
            near.add(word)
            hit = frozenset(near)
            if len(self._similar_cache) < 20000:
                self._similar_cache[word] = hit
        return hit

    def _unexplained(self, words: list[str], example: str, intent: str) -> tuple[int, float]:
        """The utterance's content words that neither the example nor another
        example of the same intent accounts for ("i need some time to collect
        myself can we pause" is all pause words), and the points off for
        them: more for words that tell a story ("he", "she") and most for a
        negation (never near its plain form: "cant" is not "can")."""
        ex = self._example_words.get(example)
        if ex is None:
            ex = self._example_words[example] = frozenset(example.split())
        vocab = self.vocab.get(intent, frozenset())
        n, off = 0, 0.0
        for w in words:
            if w in ex or w in vocab:
                continue
            if w not in NEGATORS:
                similar = self._similar(w)
                if not ex.isdisjoint(similar) or not vocab.isdisjoint(similar):
                    continue
            n += 1
            off += UNEXPLAINED + NARRATIVE * (w in self.narrative) + NEGATED * (w in NEGATORS)
        return n, off

    def _rerank(self, pools) -> list[tuple[str, float]]:
        """Best examples of each pool, rescored: an example inside a longer
        utterance counts less the more the utterance says beyond it that is
        not said in that intent's examples; each intent once, best first."""
        best: dict[str, tuple[float, float]] = {}
        for index, text, scores in pools:
            if not len(scores):
                continue
            words = [w for w in text.split() if w not in self.light_words and w != SLOT_TOKEN]
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
    def _step_index(self, intents: dict[str, list[str]]) -> tuple[ExampleIndex, "Lexicon"]:
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
            lexicon = Lexicon({n: own[n] + tuple(k for k in GENERIC_KEYWORDS.get(n, ()) + WEAK_GENERIC.get(n, ())
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
        An intent's keywords (``Lexicon``) catch answers worded unlike any
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
