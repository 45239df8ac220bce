"""Builds an engine over the packaged content and the user's saved progress."""

from __future__ import annotations

import random
from dataclasses import dataclass

from assistant.engine import Engine
from assistant.intents import IntentMatcher, load_matcher
from assistant.phrases import load_grammar, load_guards, load_phrases
from assistant.reflections import Script, load_scripts
from assistant.safety import SafetyNet, load_safety


@dataclass
class Content:
    script: Script
    matcher: IntentMatcher
    safety: SafetyNet


def load_content() -> Content:
    """Load and validate all content; raises ContentError with file and key."""
    script = load_scripts()
    aliases = {s.id: s.aliases + [s.title.lower(), s.spoken_title.lower()] for s in script.sections}
    # Without the literal prefilter: it cuts a check from 0.7 to 0.2 ms (median;
    # 3.1 -> 0.5 ms worst) but doubles the build (0.4 -> 0.9 s) before the first word.
    return Content(script, load_matcher(aliases), load_safety(prefilter=False))


def new_engine(content: Content, progress=None, seed: int | None = None,
               confirm_quit: bool = False) -> Engine:
    titles = [s.spoken_title for s in content.script.sections]
    return Engine(content.script, content.matcher, content.safety, load_phrases(),
                  progress=progress, rng=random.Random(seed), grammar=load_grammar(titles),
                  guards=load_guards(), confirm_quit=confirm_quit)
