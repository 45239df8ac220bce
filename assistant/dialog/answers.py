"""Answers to the step's question: the journal entry, the acknowledgement, and
where the answer leads (a perspective, a heavy question's offer of a pause).
"""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.content.article import speakable
from assistant.content.words import DECLINES, alternation, words
from assistant.dialog.events import Action, Heard, Say
from assistant.dialog.memory import quoted
from assistant.dialog.modes import ANSWERS, HEAVY_OFFER, STEP
from assistant.storage.records import JournalEntry, Progress
from assistant.understanding.decide import read_who, step_examples
from assistant.understanding.match import CONFIRM, NONE, Match


CORRECTION = re.compile(rf"^(({alternation('corrections', 'openers')})\b[\s,.!-]*)+")
"""How a correction of what was just taken begins."""
SETTING_RIGHT = re.compile(rf"\b({alternation('corrections', 'setting_right')})\b")
"""Words that set right who did what ("not just me, she did it too")."""
CORRECTION_WINDOW = 2
"""Turns after choosing a perspective within which a correction changes it."""
SETTING_RIGHT_REACH = 6
"""Words from the start of an answer within which setting right begins: "we
both did" corrects, "... I wrecked that for both of us" answers."""
FEELINGS = re.compile(rf"\b({alternation('heavy', 'feelings')})")
"""Words of an answer that weighs on the person (a word they begin, or a phrase)."""
QUALIFIED = re.compile(rf"\b({alternation('answers', 'contrast')})\b[\s,]+(.+)$", re.IGNORECASE)
"""A yes or no that goes on to qualify itself: the words after "but"."""
QUALIFIER_WORDS = (5, 12)
"""Fewest and most words of a qualification said back (never shortened)."""
HEAVY_WORDS = 25
"""An answer this long to a heavy question weighs too: the person went into it."""
OFFER_GAP = 3
"""Questions answered since the last offer of a moment before another is made."""


class Answers:
    """Part of the Engine (engine.py): taking an answer, over its state."""

    _since_offer: int = OFFER_GAP
    """Answers taken since the offer of a moment was last made."""

    def _weighs(self, text: str) -> bool:
        """After a heavy question: does this answer call for the offer of a
        moment? Only when it weighs (feelings, or a long answer), and not
        again within OFFER_GAP questions: an offer after every hard question
        becomes a schedule, not care."""
        heavy = len(text.split()) >= HEAVY_WORDS or FEELINGS.search(self.matcher.normalise(text)) is not None
        return heavy and self._since_offer >= OFFER_GAP

    def _continued(self, event: Heard, last: tuple[Progress, str, str],
                   out: list[Action]) -> list[Action]:
        """The answer just taken, with the words that continue it, is taken
        again as one answer at the step it was given at."""
        place, prompt, words = last
        self.p, self.mode, self.last_prompt = replace(place), STEP, prompt
        self._amending = True
        try:
            return self._heard(Heard(f"{words} {event.text.strip()}", event.confidence), out)
        finally:
            self._amending = False

    def _perspective_correction(self, text: str) -> str | None:
        """The choice's intent a correction names ("no, I'm the one who broke
        her trust", "wait, we both did") within CORRECTION_WINDOW answers of
        choosing a perspective, when it is another perspective; else None."""
        if self._chosen is None or self._chosen[2] >= CORRECTION_WINDOW:
            return None
        said = text.strip().lower()
        words = CORRECTION.match(said)
        setting_right = SETTING_RIGHT.search(said)
        if words is None and (setting_right is None
                              or len(said[:setting_right.start()].split()) >= SETTING_RIGHT_REACH):
            return None
        section, step_id, _ = self._chosen
        choice = self.script.by_id(section).steps[step_id]
        rest = text.strip()[words.end():] if words else text
        found = self.matcher.match_step(rest, step_examples(choice))
        if found.intent == NONE:  # the reader alone never turns an answer into a correction
            return None
        found = read_who(self.matcher, rest, choice, found)
        intent = choice.intents.get(found.intent)
        if intent is None or not intent.perspective or intent.perspective == self.p.perspective:
            return None
        return found.intent

    def _correct_perspective(self, out: list[Action], name: str) -> list[Action]:
        """Take the corrected perspective and go on from the same place on its path."""
        section, step_id, _ = self._chosen
        intent = self.script.by_id(section).steps[step_id].intents[name]
        self.p = replace(self.p, perspective=intent.perspective)
        self._chosen = (section, step_id, 0)
        out.append(self.say("perspective_corrected"))
        out.append(Say(speakable(self._pick(f"ack.{section}.{step_id}.{name}", intent.ack)), kind="ack"))
        return self._goto_step(out, self.p.step)

    def _qualification(self, text: str, intent, name: str) -> str | None:
        """What a yes or no went on to add ("yes, but only when he asks"),
        for the reply to give back: the reply answers the yes or no, and the
        person should hear that the rest was heard too."""
        if intent is None or (intent.means or name) not in ANSWERS:
            return None
        found = QUALIFIED.search(text.strip())
        if found is None:
            return None
        rest = found.group(2).strip(" ,.")
        return rest if QUALIFIER_WORDS[0] <= len(rest.split()) <= QUALIFIER_WORDS[1] else None

    def _step_intents(self) -> dict[str, list[str]]:
        return step_examples(self.step)

    def _entry(self, text: str, intent: str) -> JournalEntry:
        return JournalEntry(section=self.p.section, prompt=self.last_prompt, answer=text,
                            intent=intent, step=self.p.step, amends=self._amending)

    def _answer(self, event: Heard, match: Match, out: list[Action],
                found: Match | None = None, journal: bool = True) -> list[Action]:
        """``journal``: False where the words are already in the journal as
        something else (what the safety net stopped on): no entry of their own."""
        step = self.step
        text = event.text.strip()
        if step.kind == "offer_read":
            if match.intent == "yes":
                return self._finish(self._start_reading(out, None))
            if match.intent in DECLINES:
                return self._finish(self._advance(out))
            if match.intent == NONE and match.alternatives and match.alternatives[0][1] >= CONFIRM:
                return self._finish(self._confirm(out, Match(match.alternatives[0][0], match.alternatives[0][1])))
            return self._finish(self._miss(out))

        intents = self._step_intents()
        if found is None:
            found = self.matcher.match_step(text, intents) if intents else Match(NONE, 0.0)
        if found.intent == NONE and match.intent in ANSWERS and match.intent in step.intents:
            found = match
        if step.kind == "choice" and found.intent == NONE:
            return self._finish(self._miss(out))
        # A free answer: keep it, acknowledge, move on.
        entry = self._entry(text, found.intent) if journal else None
        if entry is not None:
            self._remember(entry)
        if step.kind == "prompt":
            self._last_answer = (replace(self.p), self.last_prompt, text)
        intent = step.intents.get(found.intent)
        if intent is not None and intent.perspective:
            self.p = replace(self.p, perspective=intent.perspective)
            self._chosen = (self.p.section, step.id, 0)
        ack_options = (intent.ack if intent and intent.ack else step.ack) or self.phrases.options("answer_saved")
        out.append(Say(speakable(self._pick(f"ack.{self.p.section}.{step.id}.{found.intent}", ack_options)), kind="ack"))
        qualified = self._qualification(text, intent, found.intent)
        if qualified:
            out.append(Say(self.phrases.pick("qualified", self.rng, words=quoted(qualified)), kind="ack"))
        if self._return_to is not None and intent is not None and intent.perspective:
            section, step_id = self._return_to
            self._return_to = None
            self.p = replace(self.p, section=section)
            return self._finish(self._goto_step(out, step_id), entry)
        next_id = intent.next if intent and intent.next else step.next
        self._since_offer += 1
        if step.heavy and self._weighs(text):
            self._since_offer = 0
            self._heavy_next = next_id
            self.mode = HEAVY_OFFER
            out.append(self.say("heavy_offer"))
            out.append(self._listen())
            return self._finish(out, entry)
        return self._finish(self._advance(out, next_id), entry)
