"""When the safety net hears danger: the exercise stops and the reply points to
help (a rule's hit), or, on the learned layer's guess alone, the person is
asked whether they are safe first.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.events import Action, Heard, Say
from assistant.dialog.modes import ANSWERS, PAUSED, SAFETY_CHECK, STEP
from assistant.safety.rules import SafetyHit
from assistant.understanding.decide import decide, step_examples
from assistant.understanding.match import NONE, Match

# A command recognised this surely is taken as one, not as the learned safety
# layer's guess ("let's stop for today" is not a goodbye to life); the rules
# still come first, whatever the command.
SURE_COMMAND = 90.0


def safety_stands(hit: SafetyHit | None, match: Match) -> bool:
    """Whether a safety hit is acted on, given what the matcher heard."""
    if hit is None:
        return False
    if hit.layer != "model":
        return True
    return not (match.intent not in (NONE,) + ANSWERS and match.score >= SURE_COMMAND)


class SafetyStop:
    """Part of the Engine (engine.py): the safety reply and the safety check, over its state."""

    _held_choice: str | None = None
    """Words the safety net stopped on where the person was telling their
    situation: on resuming, the situation is taken from them, not asked again."""

    def _safety(self, out: list[Action], text: str = "") -> list[Action]:
        choosing = self.mode == STEP and self.step.kind == "choice" and not self.p.perspective
        self._held_choice = text if choosing and text else None
        r = self.safety.reply
        for key in ("say", "help", "offer"):
            out.append(Say(self._pick(f"safety.{key}", r[key]), kind="safety", interruptible=False))
            if key == "help" and self.crisis:
                out.append(Say(self.crisis, kind="safety", interruptible=False))
        self.mode = PAUSED
        self.p = replace(self.p, paused=True)
        self._after_safety = True
        out.append(self._listen())
        return out

    def _safety_check(self, out: list[Action], text: str = "") -> list[Action]:
        """Only the learned layer heard danger: point to help and ask, rather
        than stop an exercise on a guess (its false alarms are a question).
        ``text``, an answer to the step's question, is held for after."""
        self._mode_before_check = self.mode
        self._held = text if self.mode == STEP and text else None
        self.mode = SAFETY_CHECK
        out.append(Say(self.phrases.pick("safety_check", self.rng), kind="safety", interruptible=False))
        out.append(self._listen())
        return out

    def _safe_after_all(self, out: list[Action]) -> list[Action]:
        """Safe: the answer the check interrupted is taken as given (in the
        journal in place of its first, unweighed entry), not asked for again."""
        self.mode = self._mode_before_check
        out.append(self.say("safety_check_safe"))
        held, self._held = self._held, None
        if not held or self.mode != STEP:
            return self._reprompt(out)
        self._amending = True  # in place of its unweighed journal entry
        try:
            return self._heard(Heard(held), out, weighed=True)
        finally:
            self._amending = False

    def _retake_choice(self, out: list[Action], held: str) -> list[Action]:
        """On resuming after a safety stop at the choice: the situation the
        stopped words tell is taken (with its acknowledgement) where they tell
        one clearly (the step's examples find one and the reading names one);
        else the choice is asked. The words stay in the journal
        only as what the safety net heard, so they are never said back."""
        self.mode = STEP
        found = decide(self.matcher, held, self.step, self.guards).found
        intent = self.step.intents.get(found.intent) if found is not None else None
        told = self.matcher.match_step(held, step_examples(self.step)).intent != NONE
        if intent is None or not intent.perspective or not told:
            # The perspective reader alone reads despair as a situation ("i
            # want to kill myself" as reflecting): the words must tell one.
            return self._ask(out)
        return self._answer(Heard(held), found, out, found, journal=False)
