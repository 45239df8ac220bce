"""Builds an engine over the packaged content and the user's saved progress."""

from __future__ import annotations

import contextlib
import os
import random
import threading
from dataclasses import dataclass
from typing import Any, Callable

from assistant import trim_heap
from assistant.content.phrases import load_grammar, load_guards, load_phrases
from assistant.content.scripts import Script, load_scripts
from assistant.content.crisis import FALLBACK, load_crisis_lines
from assistant.dialog.engine import Engine
from assistant.safety.rules import SafetyNet, load_safety
from assistant.understanding.loading import load_matcher
from assistant.understanding.meaning import MeaningIndex, load_not_commands, read_stored
from assistant.understanding.reader import COMMAND_HEAD, GIST_HEAD, PERSPECTIVE_HEAD, TextReader
from assistant.understanding.words import IntentMatcher


@dataclass
class Content:
    script: Script
    matcher: IntentMatcher
    safety: SafetyNet


class Deferred:
    """An object being built on another thread; any use waits for it. The
    safety net compiles about 2,400 rules (1 to 2 s on this machine): a spoken
    session says its welcome meanwhile, and the first answer, seconds later,
    finds the net ready."""

    def __init__(self, build: Callable[[], Any], then: Callable[[Any], None] = lambda _v: None) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            with contextlib.suppress(OSError, AttributeError):  # behind the welcome
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            try:
                self._value = build()
                trim_heap()
                then(self._value)
            except BaseException as exc:  # raised where the object is used
                self._error = exc

        self._thread = threading.Thread(target=run, name="content-load", daemon=True)
        self._thread.start()

    def __getattr__(self, name: str) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return getattr(self._value, name)


def load_content(meaning: bool = True, background: bool = False) -> Content:
    """Load and validate all content; raises ContentError with file and key.
    ``meaning``: understand commands by meaning too where the sentence model
    is installed (the word matcher alone without it). ``background``: the
    safety net and understanding by meaning load on another thread."""
    script = load_scripts()
    # Without the literal prefilter: it cuts a check from 0.7 to 0.2 ms (median;
    # 3.1 -> 0.5 ms worst) but doubles the build (0.4 -> 0.9 s) before the first word.
    matcher = load_matcher(section_names(script))
    if not background:
        content = Content(script, matcher, load_safety(prefilter=False))
        if meaning:
            content.matcher.meaning = meaning_for(content)
        return content
    content = Content(script, matcher, None)  # type: ignore[arg-type]

    def add_meaning(safety: SafetyNet) -> None:
        if meaning:
            content.matcher.meaning = meaning_for(content, safety=safety)

    content.safety = Deferred(lambda: load_safety(prefilter=False), add_meaning)  # type: ignore[assignment]
    return content


def section_names(script: Script) -> dict[str, list[str]]:
    return {s.id: s.aliases + [s.title.lower(), s.spoken_title.lower()] for s in script.sections}


def meaning_for(content: Content, stored: dict | None = None,
                safety: SafetyNet | None = None) -> MeaningIndex | None:
    """Understanding by meaning over the safety net's sentence encoder (as
    published, without the net's tuning); None when it is not installed."""
    model = (safety or content.safety).model
    if model is None:
        return None
    encoder = model.encoder
    names = section_names(content.script)
    topics = {s.id: names[s.id] + s.about + s.sentences for s in content.script.sections}
    return MeaningIndex(lambda text: encoder.encode(text, tuned=False), content.matcher.examples,
                        load_not_commands(), topics,
                        read_stored() if stored is None else stored,
                        readers=_readers())


def _readers() -> dict[str, TextReader]:
    """The shipped readers (understanding/reader.py) whose heads are present."""
    heads = {"perspective": TextReader.load(PERSPECTIVE_HEAD), "gist": TextReader.load(GIST_HEAD),
             "command": TextReader.load(COMMAND_HEAD)}
    return {what: reader for what, reader in heads.items() if reader is not None}


def new_engine(content: Content, progress=None, seed: int | None = None,
               confirm_quit: bool = False, region: str = FALLBACK, journal=()) -> Engine:
    """``region``: whose crisis lines the safety reply names (crisis_lines.toml);
    ``journal``: the answers kept so far (said back at a welcome back)."""
    titles = [s.spoken_title for s in content.script.sections]
    lines = load_crisis_lines()
    crisis = (lines.get(region.upper()) or lines[FALLBACK]).sentence()
    return Engine(content.script, content.matcher, content.safety, load_phrases(),
                  progress=progress, rng=random.Random(seed), grammar=load_grammar(titles),
                  guards=load_guards(), confirm_quit=confirm_quit, crisis=crisis, journal=journal)
