"""Commands ("pause", "go back", "read me the section on ...") and the
asides they open: confirming a shaky command, deleting the journal, ending,
and what is heard while paused.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.dialog.events import Action, AdjustRate, DeleteJournal, Quit, Say
from assistant.dialog.modes import (
    CHOOSING,
    CONFIRM_DELETE,
    CONFIRM_INTENT,
    CONFIRM_QUIT,
    FINISHED,
    PAUSED,
    READING,
    READING_STOPPED,
    STEP,
    WELCOME_BACK,
)
from assistant.understanding.decide import is_command
from assistant.understanding.match import NONE, Match


class Commands:
    """Part of the Engine (engine.py): carrying out commands, over its state."""

    def _command(self, out: list[Action], match: Match, text: str = "") -> list[Action]:
        intent = match.intent
        reading = self.mode in (READING, READING_STOPPED)
        if intent == "pause" or (intent == "stop_reading" and not reading):
            return self._pause(out)
        if intent == "stop_reading":
            self.mode = READING_STOPPED
            out.append(self.say("reading_stopped"))
            out.append(self._listen())
            return out
        if intent == "resume":
            if self.mode == READING_STOPPED or self.mode == READING:
                return self._continue_reading(out)
            if self.mode == WELCOME_BACK:
                return self._resume(out)
            return self._ask(out) if self.mode == STEP else self._resume(out)
        if intent == "quit":
            return self._quit(out)
        if intent == "repeat":
            if reading:
                return self._continue_reading(out)
            if self.last_prompt and self.mode == STEP:
                out.append(Say(self.last_prompt, kind="prompt"))
                out.append(self._listen())
                return out
            return self._reprompt(out)
        whole_section = "section" in self.matcher.normalise(text).split()
        if intent == "next":
            if whole_section and not self.p.finished:
                # "next section": skip the rest of this one.
                self.history.append((self.p.section, self.p.step))
                return self._goto_step(out, "end")
            if reading:
                return self._after_reading(out)
            if self.mode in (FINISHED, CHOOSING, WELCOME_BACK):
                return self._resume(out)
            return self._advance(out)
        if intent == "back":
            if whole_section:
                i = self.script.index(self.p.section)
                target = self.script.sections[max(0, i - 1)]
                return self._enter_section(out, target.id)
            return self._back(out)
        if intent == "read_section":
            return self._start_reading(out, match.section)
        if intent == "goto_section":
            if not match.section:
                out.append(self.say("unknown_section"))
                return self._reprompt(out)
            self.p = replace(self.p, paused=False)
            return self._enter_section(out, match.section, announce=True)
        if intent in ("slower", "faster"):
            out.append(AdjustRate(-1 if intent == "slower" else 1))
            out.append(self.say("rate_slower" if intent == "slower" else "rate_faster"))
            if self.mode == READING:
                return self._read_next(out)
            return self._reprompt(out)
        if intent == "help":
            out.append(self._help_for_mode())
            if self.mode == STEP:
                out.append(self.say("help_general"))
            return self._reprompt(out)
        if intent == "where_am_i":
            out.append(self._where())
            return self._reprompt(out)
        if intent == "list_sections":
            names = ", ".join(s.spoken_title for s in self.script.sections)
            out.append(self.say("list_sections", list=names))
            if self.mode == STEP:
                return self._ask(out)
            self.mode = CHOOSING if self.mode != PAUSED else self.mode
            out.append(self.say("list_sections_after"))
            out.append(self._listen())
            return out
        if intent == "perspective":
            return self._change_perspective(out)
        if intent == "delete_journal":
            self._mode_before_confirm = self.mode
            self.mode = CONFIRM_DELETE
            out.append(self.say("delete_confirm"))
            out.append(self._listen())
            return out
        return self._miss(out)

    def _help_for_mode(self) -> Say:
        if self.mode == PAUSED:
            return self.say("help_paused")
        if self.mode in (READING, READING_STOPPED):
            return self.say("help_reading")
        if self.mode in (FINISHED, CHOOSING, WELCOME_BACK):
            return self.say("help_general")
        step = self.step
        if step.kind == "offer_read":
            return self.say("help_offer")
        if step.kind == "choice":
            options = [i.examples[0] for i in step.intents.values() if i.examples]
            return self.say("help_choice", list=", or ".join(options))
        return self.say("help_prompt")

    # ------------------------------------------------------------- asides
    def _heard_paused(self, out: list[Action], match: Match, text: str = "") -> list[Action]:
        # On a break little else is meant: words around "let's carry on" (a
        # mishearing, "okay, I'm work, let's carry on") still mean resume.
        resume = match.intent in ("resume", "yes") or (
            match.intent == NONE and self.matcher.says(text, "resume"))
        if resume or (match.intent == "read_section" and self.p.reading):
            out.append(self.say("resume"))
            return self._resume(out)
        if match.intent == "quit":
            return self._quit(out)
        if self._after_safety and match.intent != "delete_journal":
            # "please help me, i'm scared": kindness and the lines again, not a rule.
            out.append(self.say("safety_paused"))
            if self.crisis:
                out.append(Say(self.crisis, kind="safety", interruptible=False))
        elif match.intent == "help":
            out.append(self.say("help_paused"))
        elif match.intent == "delete_journal":
            return self._command(out, match)
        else:
            out.append(self.say("paused_reminder"))
        out.append(self._listen())
        return out

    def _confirm(self, out: list[Action], match: Match) -> list[Action]:
        title = ""
        if match.section:
            try:
                title = self.script.by_id(match.section).spoken_title
            except KeyError:
                pass
        what = self.phrases.describe(match.intent, title)
        if not what:
            return self._miss(out)
        self.pending = match
        self._mode_before_confirm = self.mode
        self.mode = CONFIRM_INTENT
        out.append(self.say("confirm", what=what))
        out.append(self._listen())
        return out

    def _heard_confirm(self, out: list[Action], match: Match) -> list[Action]:
        pending, self.pending = self.pending, None
        self.mode = self._mode_before_confirm
        if match.intent == "yes" and pending is not None:
            return self._command(out, replace(pending, score=100.0))
        if is_command(match):  # ("yes" was taken above)
            return self._command(out, match)
        out.append(self.say("confirm_no"))
        return self._reprompt(out)

    def _heard_delete(self, out: list[Action], match: Match) -> list[Action]:
        self.mode = self._mode_before_confirm
        if match.intent == "yes":
            out.append(DeleteJournal())
            out.append(self.say("delete_done"))
        else:
            out.append(self.say("delete_cancel"))
        return self._reprompt(out)

    def _quit(self, out: list[Action], confirmed: bool = False) -> list[Action]:
        if self.confirm_quit and not confirmed:
            self._mode_before_quit = self.mode
            self.mode = CONFIRM_QUIT
            out.append(self.say("quit_confirm"))
            out.append(self._listen())
            return out
        out.append(self.say("goodbye"))
        out.append(Quit())
        return out

    def _carry_on(self, out: list[Action]) -> list[Action]:
        """Not ending after all: back to where we were."""
        self.mode = self._mode_before_quit
        out.append(self.say("quit_cancel"))
        return self._reprompt(out)
