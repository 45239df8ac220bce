"""Reflection scripts: one TOML file per article section, validated at load.

See docs/reflection-scripts.md for the format. Every error names the file
and the key so that a content author can fix it without reading code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.content.article import Article, load_article
from assistant.content.files import ContentError, content_dir, load_toml
from assistant.content.words import ANSWERS as GENERIC_ANSWERS

PERSPECTIVES = ("hurt", "hurter", "both", "reflect")
"""``both``: trust was broken on both sides; their path holds the steps of both."""
STEP_KINDS = ("offer_read", "prompt", "choice")
MIN_PHRASINGS = 2
MIN_EXAMPLES = 8
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Examples(list):
    """An intent's example answers, carrying its ``keywords`` along: the
    engine hands the matcher only the examples of each intent."""

    def __init__(self, examples=(), keywords=()) -> None:
        super().__init__(examples)
        self.keywords: tuple[str, ...] = tuple(keywords)


@dataclass
class StepIntent:
    name: str
    examples: list[str]
    ack: list[str]
    next: str | None
    perspective: str | None = None
    keywords: list[str] = field(default_factory=list)
    means: str | None = None
    """At a yes/no question: the answer this one gives ("i went through his
    phone" to "have you felt the urge to check?" is a yes)."""
    given_by: list[str] = field(default_factory=list)
    """Phrases that, said word for word in an earlier answer and not negated,
    give this answer: the question is then not asked."""
    firm: bool = False
    """Its ``means`` holds only for this question ("i've wanted to but i
    haven't" is a yes to "have you felt the urge?"): the gist reader, which
    reads answers without their question, never overrules it."""


@dataclass
class Step:
    id: str
    kind: str
    say: list[str]
    ack: list[str]
    next: str
    heavy: bool = False
    perspectives: tuple[str, ...] = PERSPECTIVES
    intents: dict[str, StepIntent] = field(default_factory=dict)
    default: str | None = None
    """For a choice step: the intent taken after repeated misses."""
    story: str | None = None
    """At a yes/no question: the answer that telling something gives ("do you
    have a sense of why?" "he was lonely" is a yes), where it is one."""


@dataclass
class SectionScript:
    id: str
    title: str
    spoken_title: str
    aliases: list[str]
    about: list[str]  # what the section is about, as a reader remembers it (understanding by meaning)
    perspectives: tuple[str, ...]
    start: str
    steps: dict[str, Step]
    sentences: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def prompt_count(self) -> int:
        return sum(1 for s in self.steps.values() if s.kind in ("prompt", "choice"))

    def step_order(self) -> list[str]:
        """Steps in file order (TOML tables keep their order)."""
        return list(self.steps)


@dataclass
class Script:
    """All section scripts in article order, plus the article itself."""

    sections: list[SectionScript]
    article: Article

    def by_id(self, section_id: str) -> SectionScript:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def index(self, section_id: str) -> int:
        return [s.id for s in self.sections].index(section_id)


class _Check:
    """Typed access to a TOML table with errors naming file and key."""

    def __init__(self, source: str, table: dict[str, Any], where: str = "") -> None:
        self.source, self.table, self.where = source, table, where

    def fail(self, key: str, problem: str) -> ContentError:
        path = f"{self.where}.{key}" if self.where else key
        return ContentError(f"{self.source}: key '{path}': {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self.fail(key, "is missing")
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be a {names}, not {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip() and default is ...:
            raise self.fail(key, "must not be empty")
        return value

    def texts(self, key: str, minimum: int, default: Any = ...) -> list[str]:
        if key not in self.table and default is not ...:
            return default
        value = self.get(key, list)
        if len(value) < minimum:
            raise self.fail(key, f"needs at least {minimum} entries, has {len(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key}[{i}]", "must be a non-empty string")
        return [v.strip() for v in value]

    def only(self, allowed: tuple[str, ...]) -> None:
        """Unknown keys are typos ("heavvy"); name them instead of ignoring."""
        for key in self.table:
            if key not in allowed:
                raise self.fail(key, f"is not a known key (expected one of: {', '.join(allowed)})")

    def sub(self, key: str) -> "_Check":
        table = self.get(key, dict)
        return _Check(self.source, table, f"{self.where}.{key}" if self.where else key)

    def ident(self, key: str) -> str:
        value = self.text(key)
        if not _ID.match(value):
            raise self.fail(key, f"'{value}' must be lowercase letters, digits and _")
        return value

    def perspectives(self, key: str) -> tuple[str, ...]:
        values = self.texts(key, 1, default=list(PERSPECTIVES))
        for v in values:
            if v not in PERSPECTIVES:
                raise self.fail(key, f"'{v}' is not one of {', '.join(PERSPECTIVES)}")
        return tuple(values)


def _load_intent(c: _Check, name: str) -> StepIntent:
    c.only(("examples", "keywords", "ack", "next", "perspective", "means", "given_by", "firm"))
    generic = name in GENERIC_ANSWERS
    examples = c.texts("examples", 0 if generic else MIN_EXAMPLES, default=[] if generic else ...)
    perspective = c.get("perspective", str, None)
    if perspective is not None and perspective not in PERSPECTIVES:
        raise c.fail("perspective", f"'{perspective}' is not one of {', '.join(PERSPECTIVES)}")
    means = c.get("means", str, None)
    if means is not None and means not in GENERIC_ANSWERS:
        raise c.fail("means", f"'{means}' is not one of {', '.join(GENERIC_ANSWERS)}")
    keywords = [k.lower() for k in c.texts("keywords", 1, default=[])]
    for i, k in enumerate(keywords):
        if not re.fullmatch(r"[a-z']+\*?(?: +[a-z']+\*?)*", k):
            raise c.fail(f"keywords[{i}]", f"'{k}' must be words (letters, apostrophes), "
                         "each optionally ending in *")
    return StepIntent(
        name=name,
        examples=Examples((e.lower() for e in examples), keywords),
        keywords=keywords,
        ack=c.texts("ack", MIN_PHRASINGS, default=[]),
        next=c.get("next", str, None),
        perspective=perspective,
        means=means,
        given_by=[g.lower() for g in c.texts("given_by", 1, default=[])],
        firm=c.get("firm", bool, False),
    )


def _load_step(c: _Check, step_id: str) -> Step:
    c.only(("kind", "say", "ack", "next", "heavy", "perspectives", "intents", "default", "story"))
    kind = c.text("kind")
    if kind not in STEP_KINDS:
        raise c.fail("kind", f"'{kind}' is not one of {', '.join(STEP_KINDS)}")
    intents: dict[str, StepIntent] = {}
    if "intents" in c.table:
        it = c.sub("intents")
        for name in it.table:
            if not _ID.match(name):
                raise it.fail(name, "intent names must be lowercase letters, digits and _")
            intents[name] = _load_intent(it.sub(name), name)
    if kind == "choice" and not intents:
        raise c.fail("intents", "a choice step needs at least one intent")
    default = c.get("default", str, None)
    if default is not None and default not in intents:
        raise c.fail("default", f"'{default}' names no intent of this step")
    story = c.get("story", str, None)
    if story is not None and story not in intents:
        raise c.fail("story", f"'{story}' names no intent of this step")
    return Step(
        id=step_id,
        kind=kind,
        say=c.texts("say", MIN_PHRASINGS),
        ack=c.texts("ack", MIN_PHRASINGS, default=[]),
        next=c.text("next"),
        heavy=c.get("heavy", bool, False),
        perspectives=c.perspectives("perspectives"),
        intents=intents,
        story=story,
        default=default,
    )


def load_section(path: Path, article: Article) -> SectionScript:
    c = _Check(str(path), load_toml(path))
    c.only(("id", "title", "spoken_title", "aliases", "about", "perspectives", "start", "steps"))
    section_id = c.ident("id")
    title = c.text("title")
    try:
        sentences = article.section(title).sentences
    except KeyError:
        raise c.fail("title", f"'{title}' is not a heading of the article") from None
    steps_c = c.sub("steps")
    if not steps_c.table:
        raise c.fail("steps", "needs at least one step")
    steps = {}
    for step_id in steps_c.table:
        if not _ID.match(step_id):
            raise steps_c.fail(step_id, "step ids must be lowercase letters, digits and _")
        steps[step_id] = _load_step(steps_c.sub(step_id), step_id)
    start = c.text("start")
    if start not in steps:
        raise c.fail("start", f"names no step ('{start}')")
    for step in steps.values():
        targets = [("next", step.next)] + [
            (f"intents.{i.name}.next", i.next) for i in step.intents.values() if i.next
        ]
        for key, target in targets:
            if target != "end" and target not in steps:
                raise steps_c.fail(f"{step.id}.{key}", f"'{target}' names no step of this file")
    script = SectionScript(
        id=section_id,
        title=title,
        spoken_title=c.text("spoken_title", default=title),
        aliases=[a.lower() for a in c.texts("aliases", 1)],
        about=[a.lower() for a in c.texts("about", 1)],
        perspectives=c.perspectives("perspectives"),
        start=start,
        steps=steps,
        sentences=sentences,
        source=str(path),
    )
    if script.prompt_count < 1:
        raise c.fail("steps", "needs at least one prompt step")
    return script


def load_scripts(directory: Path | None = None, article: Article | None = None) -> Script:
    """Load and validate every section script; raises ContentError."""
    # REFLECT_SCRIPTS_DIR lets content authors try their own scripts.
    directory = directory or Path(os.environ.get("REFLECT_SCRIPTS_DIR") or content_dir() / "sections")
    article = article or load_article()
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise ContentError(f"{directory}: no reflection scripts (*.toml) found")
    sections = [load_section(f, article) for f in files]
    seen: dict[str, str] = {}
    for s in sections:
        if s.id in seen:
            raise ContentError(f"{s.source}: key 'id': '{s.id}' is also used by {seen[s.id]}")
        seen[s.id] = s.source
    return Script(sections, article)
