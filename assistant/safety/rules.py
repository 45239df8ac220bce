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
non-capturing group of its alternatives. The rules come first because each
hit names what fired: a false alarm interrupts a person mid-reflection, a
miss is worse, and both must be explainable. A learned backstop
(model.py) catches what no rule words, and can set aside a rule's
hit on a sentence it finds clearly harmless (`check`).

Speed: every rule is compiled behind a literal prefilter (prefilter.py) that
skips the search when the text lacks the literals any match must contain; it
never changes a result. Building all this takes about a second, so
`load_safety` keeps each net it builds, by file, mtime and size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content.files import ContentError, content_dir, load_toml
from assistant.content.text import lower_words
from assistant.safety.prefilter import Literals, Rule

_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


FIRM = "(?#firm)"
"""Marks a rule in safety.toml that the learned backstop never sets aside (a
regular-expression comment: it matches nothing)."""


@dataclass
class SafetyHit:
    category: str
    pattern: str
    """The rule that fired (for a score: its anchors, boosts and softeners)."""
    layer: str = "pattern"
    """pattern | cooccur | weak | scorer | model (the learned backstop: the
    engine asks before it stops, see Engine._safety_check)."""


@dataclass
class _Cooccur:
    category: str
    name: str
    all: list[Rule]
    unless: list[Rule] = field(default_factory=list)


@dataclass
class _Weak:
    category: str
    signals: dict[str, list[Rule]]
    unless: list[Rule] = field(default_factory=list)


@dataclass
class _Scorer:
    category: str
    anchors: list[Rule]
    boost: list[Rule] = field(default_factory=list)
    soften: list[Rule] = field(default_factory=list)


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
        prefilter: bool = True,
    ) -> None:
        def rx(p: str) -> Rule:
            return Rule(p, prefilter)

        self._rules = [(cat, rx(p)) for cat, ps in patterns.items() for p in ps]
        self._rules.sort(key=lambda r: not r[1].pattern.startswith(FIRM))  # they name the hit
        self._exclude = [rx(p) for p in exclude]
        self._scorers = [
            _Scorer(cat, *[[rx(p) for p in s.get(k, [])] for k in ("anchors", "boost", "soften")])
            for cat, s in (scorers or {}).items()
        ]
        self._threshold = threshold
        self._cooccur = [
            _Cooccur(
                c["category"],
                c.get("name", f"cooccur[{i}]"),
                [rx(p) for p in c["all"]],
                [rx(p) for p in c.get("unless", [])],
            )
            for i, c in enumerate(cooccur or [])
        ]
        self._weak = [
            _Weak(
                cat,
                {name: [rx(p) for p in ps] for name, ps in sig.items() if name != "unless"},
                [rx(p) for p in sig.get("unless", [])],
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
        every = [r for _, r in self._rules] + self._exclude
        every += [p for c in self._cooccur for p in c.all + c.unless]
        every += [p for w in self._weak for ps in [*w.signals.values(), w.unless] for p in ps]
        every += [p for sc in self._scorers for p in sc.anchors + sc.boost + sc.soften]
        self._literals = Literals({lit for r in every for g in r.gates for lit in g})
        self.reply = reply
        self.model: Any = None
        """The learned backstop (assistant/safety/model.py): decides when no
        rule fires, and may set aside a rule's hit (see check); None when it is
        not installed (see model_error)."""
        self.model_error: str | None = None

    def normalise(self, text: str) -> str:
        out: list[str] = []
        for w in lower_words(text, apostrophes="\u2019`").split():  # content/text.py
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
        """Rules first (each names what fired), then the learned backstop.

        The backstop also reads what a rule caught: a rule's hit on a sentence
        it scores below its veto (the classifier's ``veto``, 0.05 in the
        packaged weights: only a sentence it is nearly sure is harmless;
        chosen on sets the rules were never tuned on) is set aside. Rules match
        words; "i'd never hurt myself" and "she'll strangle me if i leave the seat up" fire them.
        A rule marked FIRM names an act that is violence in any sentence, and
        is never set aside."""
        t = self.normalise(text)
        if not t:
            return None
        hit = self._match(t)
        if self.model is None:
            return hit
        p = self.model.prob(text)
        clf = self.model.classifier
        if hit is not None:
            return hit if p >= clf.veto or hit.pattern.startswith(FIRM) else None
        if p < clf.threshold:
            return None
        return SafetyHit("unclear", f"model {p:.3f} >= {clf.threshold:.3f}", "model")

    def check_rules(self, text: str) -> SafetyHit | None:
        t = self.normalise(text)
        return self._match(t) if t else None

    def _match(self, t: str) -> SafetyHit | None:
        """The rules over normalised, non-empty text."""
        found = self._literals.find
        lit = found(t)
        # Remove idioms first, then look for danger in what remains.
        for ex in self._exclude:
            if ex.possible(lit):
                cut = ex.rx.sub(" | ", t)
                if cut != t:
                    t, lit = cut, found(cut)
        for cat, rule in self._rules:
            if rule.search(t, lit):
                return SafetyHit(cat, rule.pattern)
        for c in self._cooccur:
            # The literal prefilters of all its classes first: a cheap rejection.
            if not all(p.possible(lit) for p in c.all):
                continue
            if all(p.search(t, lit) for p in c.all) and not any(p.search(t, lit) for p in c.unless):
                return SafetyHit(c.category, f"cooccur {c.name}", "cooccur")
        for w in self._weak:
            found_signals = [name for name, ps in w.signals.items() if any(p.search(t, lit) for p in ps)]
            if len(found_signals) >= self._weak_threshold and not any(p.search(t, lit) for p in w.unless):
                return SafetyHit(w.category, "weak " + " + ".join(found_signals), "weak")
        best: tuple[int, SafetyHit] | None = None
        for s in self._scorers:
            anchors = [p.pattern for p in s.anchors if p.search(t, lit)]
            if not anchors:
                continue
            boosts = [p.pattern for p in s.boost if p.search(t, lit)]
            softs = [p.pattern for p in s.soften if p.search(t, lit)]
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


_LOADED: dict[tuple[str, int, int, bool, bool], SafetyNet] = {}
"""Nets already built, by file, its modification time and size: content is
loaded at every session start, and a net is only read after it is built."""


def load_safety(path: Path | None = None, *, prefilter: bool = True, model: bool = True) -> SafetyNet:
    """The rules of ``path`` and, with ``model``, the learned backstop if it is
    installed (if not, ``net.model_error`` says so and the rules work alone)."""
    path = path or content_dir() / "safety.toml"
    try:
        st = Path(path).stat()
        key = (str(Path(path).resolve()), st.st_mtime_ns, st.st_size, prefilter, model)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    net = _load_safety(path, prefilter)
    if model:
        from assistant.safety.model import SafetyModelError, load_safety_model

        try:
            net.model = load_safety_model()
        except SafetyModelError as e:
            net.model_error = str(e)
    if key is not None:
        _LOADED[key] = net
    return net


def _category_table(data: dict[str, Any], table: str, lexicon: dict[str, str],
                    path: Path) -> tuple[int, dict[str, dict[str, list[str]]]]:
    """A ``[<table>.<category>]`` table ([scorer.*], [weak.*]): its ``threshold``
    (2 unless set) and, for each category, its named lists of patterns, expanded."""
    rows = dict(data.get(table, {}))
    threshold = int(rows.pop("threshold", 2))
    return threshold, {
        cat: {
            name: [_expand(p, lexicon, f"{path}: key '{table}.{cat}.{name}[{i}]'") for i, p in enumerate(ps)]
            for name, ps in lists.items()
        }
        for cat, lists in rows.items()
    }


def _load_safety(path: Path, prefilter: bool) -> SafetyNet:
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
        threshold, scorers = _category_table(data, "scorer", lexicon, path)
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
        weak_threshold, weak = _category_table(data, "weak", lexicon, path)
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
        cooccur=cooccur, weak=weak, weak_threshold=weak_threshold, prefilter=prefilter,
    )
