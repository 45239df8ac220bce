"""The safety net: detects statements of danger before any other routing.

Rules are data (content/safety.toml): regular expressions per category, plus
exclusions for idioms of ordinary hurt ("it killed me to hear that"). Regular
expressions rather than fuzzy matching: a false alarm interrupts a person
mid-reflection, a miss is worse, and both must be auditable line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.content_files import ContentError, content_dir, load_toml

_PUNCT = re.compile(r"[^\w\s']+")


@dataclass
class SafetyHit:
    category: str
    pattern: str


class SafetyNet:
    def __init__(self, patterns: dict[str, list[str]], exclude: list[str], reply: dict[str, list[str]]) -> None:
        self._rules = [(cat, re.compile(p)) for cat, ps in patterns.items() for p in ps]
        self._exclude = [re.compile(p) for p in exclude]
        self.reply = reply

    @staticmethod
    def _clean(text: str) -> str:
        text = text.lower().replace("’", "'")
        return " ".join(_PUNCT.sub(" ", text).split())

    def check(self, text: str) -> SafetyHit | None:
        t = self._clean(text)
        if not t:
            return None
        # Remove idioms first, then look for danger in what remains.
        stripped = t
        for ex in self._exclude:
            stripped = ex.sub(" ", stripped)
        for cat, rule in self._rules:
            if rule.search(stripped):
                return SafetyHit(cat, rule.pattern)
        return None


def load_safety(path: Path | None = None) -> SafetyNet:
    path = path or content_dir() / "safety.toml"
    data = load_toml(path)
    try:
        patterns = data["patterns"]
        reply = data["reply"]
        exclude = data.get("exclude", {}).get("patterns", [])
        compiled = {}
        for cat, ps in patterns.items():
            for i, p in enumerate(ps):
                try:
                    re.compile(p)
                except re.error as e:
                    raise ContentError(f"{path}: key 'patterns.{cat}[{i}]': bad pattern: {e}") from None
            compiled[cat] = ps
        for key in ("say", "help", "offer"):
            if not isinstance(reply.get(key), list) or len(reply[key]) < 2:
                raise ContentError(f"{path}: key 'reply.{key}' needs at least 2 phrasings")
    except KeyError as e:
        raise ContentError(f"{path}: key '{e.args[0]}' is missing") from None
    return SafetyNet(compiled, exclude, reply)
