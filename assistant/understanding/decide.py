"""Command or answer: the one decision, shared by the dialog engine, `reflect
nlu`, evaluation (`reflect nlu --eval`) and turn-taking (hearing's
``is_command``).

The precedence, at a question (a step):

1. the step's own answer wins over a global command it resembles, when it
   scores within STEP_SLACK of it ("i just want to reflect" answers "which
   fits you?"), and always over "perspective" at the step that asks for one;
2. at an open question (a prompt) a guarded command (content/guards.toml)
   needs one of its markers, or it is no command;
3. a command is a match at or above ACCEPT that is not an answer word
   (yes, no, unsure) or nothing;
4. anything else is an answer: the step's intent it matches, else a yes, no
   or unsure the step takes, else a free answer (NONE).

Without a step only 3 applies; at an open question without a step (turn-
taking, which does not know it) 2 and 3.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping, Protocol, Sequence

from assistant.content.words import ANSWERS, NO, YES
from assistant.understanding.match import ACCEPT, NONE, SECTION_INTENTS, STEP_SLACK, Match


class _Matcher(Protocol):
    def match(self, text: str) -> Match: ...
    def match_step(self, text: str, intents: dict[str, list[str]]) -> Match: ...
    def normalise(self, text: str) -> str: ...
    def read(self, what: str, text: str) -> tuple[str, float] | None: ...


@dataclass(frozen=True)
class Decision:
    command: bool
    """Act on ``match`` as a global command (else the words are an answer)."""
    match: Match
    """The whole-utterance match (its intent NONE where a guard stopped it)."""
    found: Match | None = None
    """At a step, for an answer: the step's intent it gives (NONE: a free answer)."""

    @property
    def intent(self) -> str:
        """What was understood: the command, the step's answer, or (without a
        step) the sure match, an answer word included; else NONE."""
        if self.command:
            return self.match.intent
        if self.found is not None:
            return self.found.intent
        return self.match.intent if self.match.score >= ACCEPT else NONE

    @property
    def section(self) -> str | None:
        return self.match.section if self.intent == self.match.intent and self.intent != NONE else None


def is_command(match: Match) -> bool:
    """A match acted on as a command: sure enough, and not an answer word."""
    return match.intent not in (NONE,) + ANSWERS and match.score >= ACCEPT


# The command reader (understanding/reader.py) against the words' match, chosen
# on the development hearing sets and paraphrases (docs/understanding.md):
READ_TAKE = 0.7
"""names a command where the words found none"""
READ_OVERRULE = 0.8
"""names another command than the words found"""
READ_VETO = 0.95
"""hears an answer where the words found a command scoring below VETO_BELOW"""
VETO_BELOW = 90.0


def weigh_command(found: Match, read: tuple[str, float] | None, section: str | None,
                  negated: Callable[[str], bool]) -> Match:
    """The whole-utterance match, with the command reader's view (label,
    probability) weighed in. ``section``: the part of the article the words
    name, if any; ``negated(intent)``: a negation not part of how that
    command is said ("don't stop"). A change of perspective is never taken
    from the reader: the person's own words about where they stand decide it."""
    if read is None:
        return found
    label, p = read
    if label == NONE:
        if p >= READ_VETO and is_command(found) and found.score < VETO_BELOW and found.intent != "perspective":
            return Match(NONE, found.score, None, [(found.intent, found.score)] + found.alternatives[:1])
        return found
    if label in ("perspective",) + ANSWERS or negated(label) or found.intent in ANSWERS and found.score >= ACCEPT:
        return found  # a sure "yes" is the answer to a question, not "go ahead"
    if p < (READ_OVERRULE if is_command(found) and label != found.intent else READ_TAKE):
        return found
    if label == found.intent:  # the reader confirms words that were not quite sure
        return found if is_command(found) else replace(found, score=ACCEPT)
    if label == "goto_section" and section is None:
        return found  # going somewhere needs a where
    return Match(label, ACCEPT, section if label in SECTION_INTENTS else None, [(found.intent, found.score)])


def guard_ok(matcher: _Matcher, guards: Mapping[str, Sequence[str]], intent: str, text: str) -> bool:
    """A guarded command needs one of its markers at an open question."""
    markers = guards.get(intent)
    if not markers:
        return True
    padded = f" {' '.join(matcher.normalise(text).split())} "
    return any(f" {' '.join(matcher.normalise(m).split())} " in padded for m in markers)


def answers_perspective(step, command: str) -> bool:
    """At the step that asks for the perspective, "i'm just reflecting" is
    its answer, not a request to change the perspective."""
    return command == "perspective" and any(i.perspective for i in step.intents.values())


def step_examples(step) -> dict[str, list[str]]:
    return {n: i.examples for n, i in step.intents.items()}


def read_who(matcher: _Matcher, text: str, step, found: Match) -> Match:
    """``found``, the step's intent by keywords and examples; at the step
    that asks who is speaking, with the perspective reader's view weighed in
    (choose_perspective)."""
    by_perspective = {i.perspective: name for name, i in step.intents.items() if i.perspective}
    if not by_perspective or step.kind != "choice":
        return found
    whole = matcher.match(text)
    if whole.intent in ANSWERS and whole.score >= ACCEPT:
        return found  # "i'm not sure" tells no situation, whatever the reader makes of it
    return choose_perspective(found, matcher.read("perspective", text), by_perspective)


def step_answer(matcher: _Matcher, text: str, step, intents: dict[str, list[str]]) -> Match:
    """The step's intent ``text`` gives (read_who at the question who is speaking)."""
    return read_who(matcher, text, step, matcher.match_step(text, intents))


def decide(matcher: _Matcher, text: str, step=None, guards: Mapping[str, Sequence[str]] | None = None,
           match: Match | None = None, open_question: bool = False) -> Decision:
    """Is ``text`` a command or an answer, at ``step`` (a content Step; None:
    no question)? ``match``: ``matcher.match(text)`` when already made;
    ``open_question``: at an open question whose step is not known."""
    match = match if match is not None else matcher.match(text)
    guards = guards or {}
    if step is None:
        if open_question and not guard_ok(matcher, guards, match.intent, text):
            match = Match(NONE, match.score, None, match.alternatives)
        return Decision(is_command(match), match)
    intents = step_examples(step)
    found = None
    if intents and match.intent != NONE:
        found = step_answer(matcher, text, step, intents)
        if found.intent != NONE and (found.score + STEP_SLACK >= match.score
                                     or answers_perspective(step, match.intent)):
            return Decision(False, match, read_gist(matcher, text, step, found))
    if step.kind == "prompt" and not guard_ok(matcher, guards, match.intent, text):
        match = Match(NONE, match.score, None, match.alternatives)
    if is_command(match):
        return Decision(True, match)
    if found is None:
        found = step_answer(matcher, text, step, intents) if intents else Match(NONE, 0.0)
    if found.intent == NONE and match.intent in ANSWERS and match.intent in step.intents:
        found = match
    return Decision(False, match, read_gist(matcher, text, step, found))


READ_SURE = 0.7
"""The perspective reader's probability at which its reading of who is
speaking is taken over the keywords' (chosen on the development people;
0.65 and 0.7 score alike there, and 0.65 takes the transcripts' reflect-c)."""
READ_DOUBT = 0.6
"""... and below which the keywords' reading stands against it."""


def choose_perspective(found: Match, read: tuple[str, float] | None,
                       intents: Mapping[str, str]) -> Match:
    """Who is speaking, at the step that asks: ``found`` is the keywords' and
    examples' match, ``read`` the reader's (perspective, probability) or None,
    ``intents`` the step's intent for each perspective. Where they disagree
    and neither is sure, NONE: the choice is asked again, never guessed."""
    if read is None:
        return found
    perspective, p = read
    intent = intents.get(perspective)
    if intent is None:
        return found
    if found.intent == intent:  # both readings agree: as sure as the surer
        return replace(found, score=max(found.score, 100.0 * p))
    if p >= READ_SURE:
        return Match(intent, 100.0 * p)
    if found.intent != NONE and (found.intent not in intents.values() or p < READ_DOUBT):
        return found
    return Match(NONE, found.score)


GIST_SURE = 0.8
"""The gist reader's probability at which its yes, no or unsure is taken over
the keywords' reading (chosen on the development people)."""
GIST_DOUBT = 0.6
"""... and from which, disagreeing, it makes the answer one kept as said
(thanked, with no side taken) rather than a reply to the keywords' guess."""


GIST_OVERRULE = 0.99
"""... and at which it is taken over a content answer that gives a yes or no
("i've not checked his phone, no": checked_phone by keywords)."""
GIST_EXACT = 97.0
"""A bare yes, no or unsure matched this well (said as an example or a
step's own phrase says it: "he never told me why") stands against a reader
that doubts or hears a story; matched in longer words, it needs the
reader's agreement."""


def means(step, intent: str) -> str | None:
    """The yes, no or unsure an answer of ``step`` gives (a content intent's
    ``means``: "i went through his phone" is a yes), or None."""
    if intent in ANSWERS:
        return intent
    given = step.intents.get(intent)
    return given.means if given is not None else None


def read_gist(matcher: _Matcher, text: str, step, found: Match) -> Match:
    """``found``, the step's answer by keywords and examples; at a yes/no
    question, with the gist reader's view weighed in (choose_gist)."""
    takes = tuple(a for a in ANSWERS if a in step.intents)
    if step.kind != "prompt" or not {YES, NO} & set(takes):
        return found  # not a yes/no question ("what could you do differently?")
    read = matcher.read("gist", text)
    given = step.intents.get(found.intent)
    chosen = choose_gist(found, means(step, found.intent), read, takes,
                         firm=given is not None and given.firm)
    if chosen.intent == NONE and step.story and (read is None or read[0] in ("other", step.story)):
        return Match(step.story, chosen.score)  # a reason told, to "do you have a sense of why?"
    return chosen


def choose_gist(found: Match, meant: str | None, read: tuple[str, float] | None,
                takes: Sequence[str], firm: bool = False) -> Match:
    """What an answer to a yes/no question says: ``found`` is the keywords'
    and examples' match and ``meant`` the yes, no or unsure it gives (None: a
    free or content answer that gives none); ``read`` is the reader's (gist,
    probability), gist "other" for an answer that says none; ``takes``: the
    answers the step has replies for; ``firm``: ``found`` is a content answer
    whose meaning holds only at its question (StepIntent.firm). Where they
    disagree and the reader is not sure, NONE: a reply meant for another
    answer is worse than thanks."""
    if read is None:
        return found
    gist, p = read
    if gist == meant:
        return replace(found, score=max(found.score, 100.0 * p))
    if found.intent not in ANSWERS + (NONE,) and (meant is None or firm or p < GIST_OVERRULE):
        return found  # the step's own answer ("i went through his phone"), by its keywords
    if p < GIST_DOUBT and (found.intent not in ANSWERS or found.score >= GIST_EXACT):
        return found
    if gist == "other":
        # a story the keywords read as a bare yes or no: kept as said
        return Match(NONE, found.score) if found.intent in ANSWERS and found.score < GIST_EXACT else found
    if p >= GIST_SURE and gist in takes:
        return Match(gist, 100.0 * p)
    return Match(NONE, found.score)
