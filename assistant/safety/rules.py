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
(safety_model.py) catches what no rule words, and can set aside a rule's
hit on a sentence it finds clearly harmless (`check`).

Speed: every rule is compiled with a literal prefilter (`_Rule`). From the
parsed pattern, a few sets of literal strings are derived such that any match
must contain at least one string of each set ("kill", "murder" ...); when a
set has no string in the text, the costly search is skipped. The prefilter is
only a necessary condition, so it never changes a result
(tests/test_safety.py compares it against unfiltered matching on every set).
Which literals a text holds is found once per text (and again after an idiom
is cut), in one pass of a trie regex (`_Literals`). Building all this takes
about a second, so `load_safety` keeps each net it builds, by file, mtime and
size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content.files import ContentError, content_dir, load_toml

try:  # Python 3.11+
    from re import _constants as _sre_c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_PUNCT = re.compile(r"[^\w\s']+")
_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


_PRODUCT_LIMIT = 64
"""Largest set of exact strings kept while joining literals in a sequence."""
_MAX_GATE = 64
_MAX_LIT = 8
"""Literals are cut to this many characters (a prefix is in the text too):
fewer, shorter literals keep the one-pass search small and quick to build."""
"""Largest set of strings a prefilter will test (more costs more than it saves)."""


def _useful(ss: frozenset[str] | None) -> bool:
    return bool(ss) and "" not in ss  # type: ignore[operator]


def _minimal(ss: frozenset[str]) -> frozenset[str]:
    """Drop strings that contain another string of the set: the test is the same."""
    keep = sorted(ss, key=len)
    out: list[str] = []
    for s in keep:
        if not any(o in s for o in out):
            out.append(s)
    return frozenset(out)


def _shrink(ss: frozenset[str]) -> frozenset[str] | None:
    """A set small enough to test: each string cut to its first k characters
    (a prefix of a match is in the text too), with k as long as allows."""
    if len(ss) <= _MAX_GATE:
        return ss
    for k in range(max(map(len, ss)) - 1, 2, -1):
        cut = _minimal(frozenset(x[:k] for x in ss))
        if len(cut) <= _MAX_GATE:
            return cut
    return None


def _pass_rate(ss: frozenset[str]) -> float:
    """A rough chance that one of these strings occurs in an utterance."""
    miss = 1.0
    for s in ss:
        n = len(s.strip())
        miss *= 1.0 - (1.0 if n <= 1 else 0.6 if n == 2 else 0.3 if n == 3 else 0.12 if n == 4 else 0.06 if n == 5 else 0.03)
    return 1.0 - miss


def _seq(items: Any) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    """(exact, required) for a parsed sequence: `exact` is every string it can
    match (None when unbounded or too many); each set in `required` has at
    least one member inside any match."""
    reqs: list[frozenset[str]] = []
    cur: frozenset[str] | None = frozenset([""])
    whole = True
    for op, av in items:
        ex, rq = _node(op, av)
        reqs.extend(rq)
        if ex is None:
            whole = False
            if _useful(cur):
                reqs.append(cur)  # type: ignore[arg-type]
            cur = frozenset([""])
            continue
        prod = frozenset(a + b for a in cur for b in ex) if cur is not None else ex
        if len(prod) > _PRODUCT_LIMIT:
            whole = False
            if _useful(cur):
                reqs.append(cur)  # type: ignore[arg-type]
            cur = ex
        else:
            cur = prod
    if _useful(cur):
        reqs.append(cur)  # type: ignore[arg-type]
    return (cur if whole else None), reqs


def _best(reqs: list[frozenset[str]]) -> frozenset[str] | None:
    ok = [r for r in reqs if _useful(r)]
    return min(ok, key=lambda r: (_pass_rate(r), len(r))) if ok else None


def _node(op: Any, av: Any) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    c = _sre_c
    if op is c.LITERAL:
        return frozenset([chr(av)]), []
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return frozenset([""]), []  # zero-width: matches no characters
    if op is c.IN:
        chars: set[str] = set()
        for iop, iav in av:
            if iop is c.LITERAL:
                chars.add(chr(iav))
            elif iop is c.RANGE and iav[1] - iav[0] < 16:
                chars.update(chr(x) for x in range(iav[0], iav[1] + 1))
            else:
                return None, []
        return frozenset(chars), []
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & (re.IGNORECASE | re.VERBOSE):
            return None, []
        return _seq(sub)
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _seq(av)
    if op is c.BRANCH:
        exacts: set[str] = set()
        all_exact = True
        best: set[str] = set()
        all_req = True
        for alt in av[1]:
            ex, rq = _seq(alt)
            if ex is None:
                all_exact = False
            else:
                exacts |= ex
            b = _best(rq + ([ex] if ex is not None else []))
            if b is None:
                all_req = False
            else:
                best |= b
        exact = frozenset(exacts) if all_exact and len(exacts) <= _PRODUCT_LIMIT else None
        return exact, ([frozenset(best)] if all_req and exact is None else [])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        ex, rq = _seq(sub)
        if lo == 0:
            if hi == 1 and ex is not None:
                return ex | frozenset([""]), []
            return None, []
        if lo == hi == 1:
            return ex, rq
        return None, rq + ([ex] if ex is not None else [])
    return None, []  # any other construct: no claim


def _gates(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Up to two sets of literals, each of which must have a member in any
    text the pattern can match (empty when nothing useful can be said)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except Exception:  # pragma: no cover - compiled already, so parseable
        return ()
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return ()
    ex, reqs = _seq(parsed.data)
    cands = {
        _shrink(_minimal(frozenset(x[:_MAX_LIT] for x in r)))
        for r in reqs + ([ex] if ex is not None else []) if _useful(r)
    }
    cands = {r for r in cands if r is not None and _useful(r) and _pass_rate(r) < 0.9}
    ranked = sorted(cands, key=lambda r: (_pass_rate(r), len(r)))[:2]
    return tuple(tuple(sorted(r)) for r in ranked)


class _Rule:
    """A compiled pattern behind a literal prefilter. `gates` are sets of
    literals; a match contains a member of each, so when the literals present
    in the text miss one set, the pattern cannot match and is not run."""

    __slots__ = ("rx", "pattern", "gates")

    def __init__(self, pattern: str, prefilter: bool = True) -> None:
        self.rx = re.compile(pattern)
        self.pattern = pattern
        self.gates: tuple[frozenset[str], ...] = (
            tuple(frozenset(g) for g in _gates(pattern)) if prefilter else ()
        )

    def possible(self, present: frozenset[str]) -> bool:
        """False when the pattern cannot match: none of a gate's literals is present."""
        for gate in self.gates:
            if gate.isdisjoint(present):
                return False
        return True

    def search(self, text: str, present: frozenset[str]) -> re.Match[str] | None:
        for gate in self.gates:
            if gate.isdisjoint(present):
                return None
        return self.rx.search(text)


class _Literals:
    """Finds, in one pass, which of many literal strings occur in a text.

    One regex, a trie of all the strings inside a lookahead, gives at each
    position the longest string starting there; every string that starts at
    that position is a prefix of it, so the strings present are the prefixes
    (within the set) of those found."""

    def __init__(self, strings: set[str]) -> None:
        self._prefixes = {
            w: frozenset(w[:k] for k in range(1, len(w) + 1) if w[:k] in strings) for w in strings
        }
        trie: dict[str, Any] = {}
        for w in strings:
            node = trie
            for ch in w:
                node = node.setdefault(ch, {})
            node[""] = {}
        self._rx = re.compile("(?=(" + self._trie(trie) + "))") if strings else None

    @classmethod
    def _trie(cls, node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + cls._trie(sub) for ch, sub in node.items() if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:  # a string ends here: longer ones are tried first
            return "(?:" + body + ")?"
        return body

    def find(self, text: str) -> frozenset[str]:
        if self._rx is None:
            return frozenset()
        found = set(self._rx.findall(text))
        found.discard("")
        present: set[str] = set()
        for w in found:
            present |= self._prefixes[w]
        return frozenset(present)


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
    all: list[_Rule]
    unless: list[_Rule] = field(default_factory=list)


@dataclass
class _Weak:
    category: str
    signals: dict[str, list[_Rule]]
    unless: list[_Rule] = field(default_factory=list)


@dataclass
class _Scorer:
    category: str
    anchors: list[_Rule]
    boost: list[_Rule] = field(default_factory=list)
    soften: list[_Rule] = field(default_factory=list)


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
        def rx(p: str) -> _Rule:
            return _Rule(p, prefilter)

        self._rules = [(cat, rx(p)) for cat, ps in patterns.items() for p in ps]
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
        self._literals = _Literals({lit for r in every for g in r.gates for lit in g})
        self.reply = reply
        self.model: Any = None
        """The learned backstop (assistant/safety/model.py): decides when no
        rule fires, and may set aside a rule's hit (see check); None when it is
        not installed (see model_error)."""
        self.model_error: str | None = None

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
        """Rules first (each names what fired), then the learned backstop.

        The backstop also reads what a rule caught: a rule's hit on a sentence
        it scores below its veto (the classifier's ``veto``, 0.05 in the
        packaged weights: only a sentence it is nearly sure is harmless;
        chosen on sets the rules were never tuned on) is set aside. Rules match
        words; "i'd never hurt myself" and "she'll strangle me if i leave the seat up" fire them."""
        t = self.normalise(text)
        if not t:
            return None
        hit = self._match(t)
        if self.model is None:
            return hit
        p = self.model.prob(text)
        clf = self.model.classifier
        if hit is not None:
            return hit if p >= clf.veto else None
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
        cooccur=cooccur, weak=weak, weak_threshold=weak_threshold, prefilter=prefilter,
    )
