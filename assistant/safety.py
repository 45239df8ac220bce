"""The safety net: detects statements of danger before any other routing.

All rules are data (content/safety.toml); this module only applies them, in
three layers that can each be audited line by line:

1. normalise: lowercase, strip punctuation, drop speech fillers ("um"),
   expand contractions ("he'll" -> "he will", "dont" -> "do not") and apply
   [normalise] rewrite rules for recogniser spellings ("hell kill" -> "he
   will kill"), so rules are written once over one canonical form;
2. exclude: idioms of ordinary hurt or anger ("it killed me to hear that",
   "she stabbed me in the back") are cut out of the text;
3. detect, in what remains:
   - [patterns]: clear phrases; any one match stops the exercise;
   - [scorer.<category>]: ambiguous phrases ("he hurt me", "i'm scared") that
     stop it only with supporting context. A category's score is the number
     of its anchors that match plus its boosts minus its softeners; it fires
     when at least one anchor matches and the score reaches the threshold.
   - [[cooccur]]: word classes that must all occur somewhere in the
     utterance, in any order ("pills" + an amount or a plan; a weapon + a
     partner + a sign of menace), unless one of its `unless` classes does.
     These generalise to new wording where phrase patterns do not.
   - [weak.<category>]: a lower-confidence tier. Each named signal is a
     family of phrasings of one concept ("a farewell", "a sign of despair",
     "a partner checking my phone"); none stops the exercise alone, but when
     `threshold` distinct signals of one category occur anywhere in the
     utterance (a long, rambling account is scored as a whole, not clause by
     clause), it fires, unless one of the category's `unless` patterns does.

Patterns may name word classes from [lexicon] as {name}; each expands to a
non-capturing group of its alternatives. Regular expressions rather than a
statistical model: a false alarm interrupts a person mid-reflection, a miss
is worse, and both must be explainable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content_files import ContentError, content_dir, load_toml

_PUNCT = re.compile(r"[^\w\s']+")
_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass
class SafetyHit:
    category: str
    pattern: str
    """The rule that fired (for a score: its anchors, boosts and softeners)."""
    layer: str = "pattern"
    """pattern | cooccur | weak | scorer."""


@dataclass
class _Cooccur:
    category: str
    name: str
    all: list[re.Pattern[str]]
    unless: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class _Weak:
    category: str
    signals: dict[str, list[re.Pattern[str]]]
    unless: list[re.Pattern[str]] = field(default_factory=list)


@dataclass
class _Scorer:
    category: str
    anchors: list[re.Pattern[str]]
    boost: list[re.Pattern[str]] = field(default_factory=list)
    soften: list[re.Pattern[str]] = field(default_factory=list)


class SafetyNet:
    def __init__(
        self,
        patterns: dict[str, list[str]],
        exclude: list[str],
        reply: dict[str, list[str]],
        *,
        scorers: dict[str, dict[str, list[str]]] | None = None,
        threshold: int = 2,
        normalise: dict[str, Any] | None = None,
        cooccur: list[dict[str, Any]] | None = None,
        weak: dict[str, dict[str, list[str]]] | None = None,
        weak_threshold: int = 2,
    ) -> None:
        self._rules = [(cat, re.compile(p)) for cat, ps in patterns.items() for p in ps]
        self._exclude = [re.compile(p) for p in exclude]
        self._scorers = [
            _Scorer(cat, *[[re.compile(p) for p in s.get(k, [])] for k in ("anchors", "boost", "soften")])
            for cat, s in (scorers or {}).items()
        ]
        self._threshold = threshold
        self._cooccur = [
            _Cooccur(
                c["category"],
                c.get("name", f"cooccur[{i}]"),
                [re.compile(p) for p in c["all"]],
                [re.compile(p) for p in c.get("unless", [])],
            )
            for i, c in enumerate(cooccur or [])
        ]
        self._weak = [
            _Weak(
                cat,
                {name: [re.compile(p) for p in ps] for name, ps in sig.items() if name != "unless"},
                [re.compile(p) for p in sig.get("unless", [])],
            )
            for cat, sig in (weak or {}).items()
        ]
        self._weak_threshold = weak_threshold
        norm = normalise or {}
        self._fillers = set(norm.get("fillers", []))
        self._words: dict[str, str] = dict(norm.get("words", {}))
        self._suffixes: list[tuple[str, str]] = sorted(
            norm.get("suffixes", {}).items(), key=lambda kv: -len(kv[0])
        )
        self._rewrite = [(re.compile(p), r) for p, r in norm.get("rewrite", [])]
        self.reply = reply

    def normalise(self, text: str) -> str:
        text = text.lower().replace("\u2019", "'").replace("`", "'")
        out: list[str] = []
        for w in _PUNCT.sub(" ", text).split():
            w = w.strip("'")
            if not w or w in self._fillers:
                continue
            if w in self._words:
                out.append(self._words[w])
                continue
            for suf, rep in self._suffixes:
                if w.endswith(suf) and len(w) > len(suf):
                    w = w[: -len(suf)] + rep
                    break
            out.append(w)
        text = " ".join(out)
        for pat, rep in self._rewrite:
            text = pat.sub(rep, text)
        return " ".join(text.split())

    def check(self, text: str) -> SafetyHit | None:
        t = self.normalise(text)
        if not t:
            return None
        # Remove idioms first, then look for danger in what remains.
        for ex in self._exclude:
            t = ex.sub(" | ", t)
        for cat, rule in self._rules:
            if rule.search(t):
                return SafetyHit(cat, rule.pattern)
        for c in self._cooccur:
            if all(p.search(t) for p in c.all) and not any(p.search(t) for p in c.unless):
                return SafetyHit(c.category, f"cooccur {c.name}", "cooccur")
        for w in self._weak:
            found = [name for name, ps in w.signals.items() if any(p.search(t) for p in ps)]
            if len(found) >= self._weak_threshold and not any(p.search(t) for p in w.unless):
                return SafetyHit(w.category, "weak " + " + ".join(found), "weak")
        best: tuple[int, SafetyHit] | None = None
        for s in self._scorers:
            anchors = [p.pattern for p in s.anchors if p.search(t)]
            if not anchors:
                continue
            boosts = [p.pattern for p in s.boost if p.search(t)]
            softs = [p.pattern for p in s.soften if p.search(t)]
            score = len(anchors) + len(boosts) - len(softs)
            if score >= self._threshold and (best is None or score > best[0]):
                why = " + ".join(anchors + boosts) + "".join(f" - {p}" for p in softs)
                best = (score, SafetyHit(s.category, f"score {score}: {why}", "scorer"))
        return best[1] if best else None


def _expand(pattern: str, lexicon: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicon:
            raise ContentError(f"{where}: unknown word class {{{name}}}")
        return lexicon[name]

    # Word classes may use other word classes; expand until stable.
    for _ in range(5):
        new = _MACRO.sub(sub, pattern)
        if new == pattern:
            break
        pattern = new
    try:
        re.compile(pattern)
    except re.error as e:
        raise ContentError(f"{where}: bad pattern: {e}") from None
    return pattern


def load_safety(path: Path | None = None) -> SafetyNet:
    path = path or content_dir() / "safety.toml"
    data = load_toml(path)
    try:
        lexicon = {
            name: "(?:" + "|".join(words) + ")" for name, words in data.get("lexicon", {}).items()
        }
        patterns = {
            cat: [_expand(p, lexicon, f"{path}: key 'patterns.{cat}[{i}]'") for i, p in enumerate(ps)]
            for cat, ps in data["patterns"].items()
        }
        exclude = [
            _expand(p, lexicon, f"{path}: key 'exclude.patterns[{i}]'")
            for i, p in enumerate(data.get("exclude", {}).get("patterns", []))
        ]
        scorer_data = dict(data.get("scorer", {}))
        threshold = int(scorer_data.pop("threshold", 2))
        scorers = {
            cat: {
                k: [_expand(p, lexicon, f"{path}: key 'scorer.{cat}.{k}[{i}]'") for i, p in enumerate(ps)]
                for k, ps in s.items()
            }
            for cat, s in scorer_data.items()
        }
        cooccur = []
        for i, c in enumerate(data.get("cooccur", [])):
            where = f"{path}: key 'cooccur[{i}]"
            if not isinstance(c.get("category"), str) or not c.get("all"):
                raise ContentError(f"{where}': needs a category and a non-empty 'all' list")
            cooccur.append({
                "category": c["category"],
                "name": c.get("name", f"cooccur[{i}]"),
                "all": [_expand(p, lexicon, f"{where}.all[{j}]'") for j, p in enumerate(c["all"])],
                "unless": [_expand(p, lexicon, f"{where}.unless[{j}]'") for j, p in enumerate(c.get("unless", []))],
            })
        weak_data = dict(data.get("weak", {}))
        weak_threshold = int(weak_data.pop("threshold", 2))
        weak = {
            cat: {
                name: [_expand(p, lexicon, f"{path}: key 'weak.{cat}.{name}[{i}]'") for i, p in enumerate(ps)]
                for name, ps in sig.items()
            }
            for cat, sig in weak_data.items()
        }
        normalise = data.get("normalise", {})
        for i, pair in enumerate(normalise.get("rewrite", [])):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ContentError(f"{path}: key 'normalise.rewrite[{i}]': needs [pattern, replacement]")
            _expand(pair[0], {}, f"{path}: key 'normalise.rewrite[{i}]'")
        reply = data["reply"]
        for key in ("say", "help", "offer"):
            if not isinstance(reply.get(key), list) or len(reply[key]) < 2:
                raise ContentError(f"{path}: key 'reply.{key}' needs at least 2 phrasings")
    except KeyError as e:
        raise ContentError(f"{path}: key '{e.args[0]}' is missing") from None
    return SafetyNet(
        patterns, exclude, reply, scorers=scorers, threshold=threshold, normalise=normalise,
        cooccur=cooccur, weak=weak, weak_threshold=weak_threshold,
    )
