"""Spoken phrasings from content/phrases.toml, never the same twice in a row."""

from __future__ import annotations

import random
from pathlib import Path

from assistant.content.files import ContentError, content_dir, load_toml


class Phrases:
    def __init__(self, table: dict[str, list[str]], describe: dict[str, str]) -> None:
        self._table = table
        self._describe = describe
        self._last: dict[str, str] = {}

    def options(self, key: str) -> list[str]:
        return self._table[key]

    def describe(self, intent: str, section: str = "") -> str:
        """How to name ``intent`` in "Did you mean ...?"; with the section it
        names where the data has a wording for that ("me to read Forgiveness"),
        so a misheard section is caught by the question."""
        named = self._describe.get(intent + "_named", "") if section else ""
        return named.format(section=section) if named else self._describe.get(intent, "")

    def pick_from(self, key: str, options: list[str], rng: random.Random) -> str:
        """One of options, avoiding the one used last time for this key."""
        last = self._last.get(key)
        choices = [o for o in options if o != last] or options
        text = rng.choice(choices)
        self._last[key] = text
        return text

    def pick(self, key: str, rng: random.Random, **fmt: str) -> str:
        return self.pick_from(key, self._table[key], rng).format(**fmt)


REQUIRED = (
    "welcome", "welcome_back", "welcome_back_finished", "choose_instead", "didnt_catch",
    "offer_help", "help_offer", "help_choice", "help_prompt", "help_reading", "help_paused",
    "help_general", "where_am_i", "where_reading", "list_sections", "list_sections_after",
    "pause", "paused_reminder", "resume", "goodbye", "silence_reprompt", "silence_pause",
    "reading_stopped", "reading_done", "confirm", "confirm_no", "rate_slower", "rate_faster",
    "heavy_offer", "section_intro", "finished", "delete_confirm", "delete_done",
    "delete_cancel", "unknown_section", "at_start", "answer_saved", "quit_confirm", "quit_cancel",
    "safety_check", "safety_check_safe", "safety_paused",
)


def load_phrases(path: Path | None = None) -> Phrases:
    path = path or content_dir() / "phrases.toml"
    data = load_toml(path)
    describe = data.pop("describe", {})
    table: dict[str, list[str]] = {}
    for key in REQUIRED:
        value = data.get(key)
        if value is None:
            raise ContentError(f"{path}: key '{key}' is missing")
        if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) and v for v in value):
            raise ContentError(f"{path}: key '{key}' must be a list of at least 2 phrasings")
        table[key] = value
    for key, value in data.items():
        if key not in table and isinstance(value, list):
            table[key] = value
    if not isinstance(describe, dict):
        raise ContentError(f"{path}: key 'describe' must be a table")
    return Phrases(table, describe)


def load_grammar(section_titles: list[str], path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Canonical phrases per intent for recogniser grammars, sections expanded."""
    path = path or content_dir() / "grammar.toml"
    data = load_toml(path).get("intents")
    if not isinstance(data, dict):
        raise ContentError(f"{path}: key 'intents' is missing")
    grammar: dict[str, tuple[str, ...]] = {}
    for intent, phrases in data.items():
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            raise ContentError(f"{path}: key 'intents.{intent}' must be a list of strings")
        out: list[str] = []
        for p in phrases:
            if "{section}" in p:
                out += [p.replace("{section}", t.lower()) for t in section_titles]
            else:
                out.append(p)
        grammar[intent] = tuple(out)
    return grammar


def load_guards(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Markers a command needs at an open question (content/guards.toml)."""
    path = path or content_dir() / "guards.toml"
    data = load_toml(path).get("markers", {})
    if not isinstance(data, dict):
        raise ContentError(f"{path}: key 'markers' must be a table")
    for intent, words in data.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise ContentError(f"{path}: key 'markers.{intent}' must be a list of strings")
    return {intent: tuple(words) for intent, words in data.items()}
