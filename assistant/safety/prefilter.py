"""The literal prefilter in front of every safety rule.

From a rule's parsed pattern, a few sets of literal strings are derived such
that any match must contain at least one string of each set ("kill",
"murder" ...); when a set has no string in the text, the costly search is
skipped (`Rule`). The prefilter is only a necessary condition, so it never
changes a result (tests/unit/test_safety_sets.py compares it against unfiltered
matching on every set). Which literals a text holds is found once per text
(and again after an idiom is cut), in one pass of a trie regex (`Literals`).
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+
    from re import _constants as _sre_c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_PRODUCT_LIMIT = 64
"""Largest set of exact strings kept while joining literals in a sequence."""
_MAX_GATE = 64
"""Largest set of strings a prefilter will test (more costs more than it saves)."""
_MAX_LIT = 8
"""Literals are cut to this many characters (a prefix is in the text too):
fewer, shorter literals keep the one-pass search small and quick to build."""



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


def gates(pattern: str) -> tuple[tuple[str, ...], ...]:
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


class Rule:
    """A compiled pattern behind a literal prefilter. `gates` are sets of
    literals; a match contains a member of each, so when the literals present
    in the text miss one set, the pattern cannot match and is not run."""

    __slots__ = ("rx", "pattern", "gates")

    def __init__(self, pattern: str, prefilter: bool = True) -> None:
        self.rx = re.compile(pattern)
        self.pattern = pattern
        self.gates: tuple[frozenset[str], ...] = (
            tuple(frozenset(g) for g in gates(pattern)) if prefilter else ()
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


class Literals:
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
