"""The command matcher built from commands.toml, every key checked."""

from __future__ import annotations

from pathlib import Path

from assistant.content.files import ContentError, content_dir, load_toml
from assistant.understanding.match import COMMANDS
from assistant.understanding.words import IntentMatcher


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
