"""The dialog engine: a pure state machine from events to actions.

It knows nothing of audio, files or clocks. Text mode, voice mode and tests
drive it through `Engine.handle(event)`; see assistant/dialog/events.py for the
driver protocol.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Callable

from assistant.content.article import heading_sentence, speakable
from assistant.content.phrases import Phrases
from assistant.content.scripts import Script, SectionScript, Step
from assistant.dialog.events import (
    Action,
    AdjustRate,
    DeleteJournal,
    DeviceLost,
    Event,
    Heard,
    Interrupted,
    Listen,
    PlaybackFinished,
    Quit,
    Save,
    Say,
    Silence,
    Started,
)
from assistant.safety.rules import SafetyHit, SafetyNet
from assistant.storage.records import JournalEntry, Progress
from assistant.understanding.match import ACCEPT, CONFIRM, NONE, STEP_SLACK, Match
from assistant.understanding.words import IntentMatcher

# Modes the engine can be in (not persisted except through Progress flags).
STEP, READING, READING_STOPPED, PAUSED, WELCOME_BACK, CONFIRM_INTENT = (
    "step", "reading", "reading_stopped", "paused", "welcome_back", "confirm")
CONFIRM_DELETE, HEAVY_OFFER, FINISHED, CHOOSING, CONFIRM_QUIT, SAFETY_CHECK = (
    "confirm_delete", "heavy_offer", "finished", "choosing", "confirm_quit", "safety_check")

ANSWERS = ("yes", "no", "unsure")
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


# Commands that a plain answer must not be mistaken for at an open prompt
# unless the match is strong.


class Engine:
    def __init__(self, script: Script, matcher: IntentMatcher, safety: SafetyNet,
                 phrases: Phrases, progress: Progress | None = None,
                 rng: random.Random | None = None,
                 grammar: dict[str, tuple[str, ...]] | None = None,
                 guards: dict[str, tuple[str, ...]] | None = None,
                 confirm_quit: bool = False, crisis: str = "") -> None:
        self.script = script
        self.crisis = crisis
        """Where to get help in the person's region, said with the safety reply."""
        self._after_safety = False
        """Paused by the safety net: until resumed, replies keep pointing to help."""
        self.confirm_quit = confirm_quit
        """Ask before ending (voice): a session ended by a noise heard as
        "goodbye" needs hands on a keyboard to start again."""
        self.matcher = matcher
        self.safety = safety
        self.phrases = phrases
        self.rng = rng or random.Random(0)
        self.grammar = grammar or {}
        self.guards = guards or {}
        self._resumed = progress is not None and bool(progress.section)
        self.p = progress or Progress()
        if not self.p.section or self.p.section not in {s.id for s in script.sections}:
            first = script.sections[0]
            self.p = replace(self.p, section=first.id, step=first.start, sentence=0, reading=False)
        if self.p.step not in self.section.steps:
            self.p.step = self.section.start
        self.mode = STEP
        self.misses = 0
        self.silences = 0
        self.last_prompt: str = ""
        self.history: list[tuple[str, str]] = []
        self.pending: Match | None = None
        self._mode_before_quit = STEP
        self._mode_before_check = STEP
        self._return_to: tuple[str, str] | None = None
        self._saved: Progress | None = None
        self._heavy_next = "end"
        self._barged_in = False
        self._mode_before_confirm = STEP
        self._last_answer: tuple[Progress, str, str] | None = None
        """(place, prompt, words) of the open answer just taken: the place it
        was given at, so that words that continue it are taken together."""
        self._amending = False

    # ------------------------------------------------------------ helpers
    @property
    def section(self) -> SectionScript:
        return self.script.by_id(self.p.section)

    @property
    def step(self) -> Step:
        return self.section.steps[self.p.step]

    def say(self, key: str, **fmt: str) -> Say:
        return Say(self.phrases.pick(key, self.rng, **fmt), kind="info")

    def _pick(self, key: str, options: list[str]) -> str:
        return self.phrases.pick_from(key, options, self.rng)

    def _save(self, out: list[Action], entry: JournalEntry | None = None) -> None:
        if entry is not None or self._saved != self.p:
            self._saved = replace(self.p)
            out.insert(0, Save(replace(self.p), entry))

    def _finish(self, out: list[Action], entry: JournalEntry | None = None) -> list[Action]:
        self._save(out, entry)
        return out

    def _listen(self) -> Listen:
        """What to listen for now; `expect` stays short (a recogniser grammar)."""
        if self.mode == PAUSED:
            return Listen(self._phrases(("resume", "quit", "help")), open=False, timeout=False)
        if self.mode in (WELCOME_BACK, CONFIRM_INTENT, CONFIRM_DELETE, HEAVY_OFFER, CONFIRM_QUIT, SAFETY_CHECK):
            return Listen(self._phrases(ANSWERS + ("resume", "pause", "quit", "help")), open=False)
        if self.mode in (READING_STOPPED, FINISHED, CHOOSING):
            return Listen(self._phrases(("resume", "next", "repeat", "list_sections", "goto_section",
                                         "read_section", "pause", "quit", "help")), open=False)
        step = self.step
        # A few examples of each answer the step distinguishes, then commands.
        expect = [e for i in step.intents.values() for e in i.examples[:4]]
        answers = ANSWERS if step.kind != "choice" else ()
        expect += self._phrases(answers + ("pause", "repeat", "next", "back", "help", "quit",
                                           "read_section", "where_am_i"))
        acks = [a for i in step.intents.values() for a in i.ack] + step.ack
        if step.kind == "prompt":
            acks += self.phrases.options("answer_saved")
        return Listen(tuple(dict.fromkeys(expect)), open=step.kind == "prompt",
                      replies=tuple(dict.fromkeys(speakable(a) for a in acks)))

    def listen_at(self, section: str, step: str) -> Listen:
        """What the engine listens for while asking ``section.step`` (`reflect hear`)."""
        saved, mode = replace(self.p), self.mode
        self.p.section, self.p.step, self.mode = section, step, STEP
        try:
            return self._listen()
        finally:
            self.p, self.mode = saved, mode

    def _phrases(self, intents: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(p for i in intents for p in self.grammar.get(i, ()))

    def _ask(self, out: list[Action], rephrase: bool = False) -> list[Action]:
        """Say the current step's prompt (a fresh phrasing) and listen."""
        self.mode = STEP
        text = speakable(self._pick(f"{self.p.section}.{self.p.step}", self.step.say))
        self.last_prompt = text
        out.append(Say(text, kind="prompt"))
        out.append(self._listen())
        return out

    def _allowed(self, step: Step) -> bool:
        return not self.p.perspective or self.p.perspective in step.perspectives

    def _section_allowed(self, section: SectionScript) -> bool:
        return not self.p.perspective or self.p.perspective in section.perspectives

    # ---------------------------------------------------------- movement
    def _enter_section(self, out: list[Action], section_id: str, announce: bool = True) -> list[Action]:
        sec = self.script.by_id(section_id)
        self.history.append((self.p.section, self.p.step))
        self.p = replace(self.p, section=sec.id, step=sec.start, sentence=0, reading=False, finished=False)
        if announce:
            out.append(self.say("section_intro", section=sec.spoken_title))
        return self._goto_step(out, sec.start)

    def _resolve(self, step_id: str) -> tuple[str, str] | None:
        """The first step at or after step_id that fits the perspective,
        crossing into later sections; None when the article is finished."""
        sec = self.section
        target = step_id
        while True:
            order = sec.step_order()
            while target != "end":
                if self._allowed(sec.steps[target]):
                    return sec.id, target
                i = order.index(target)
                target = order[i + 1] if i + 1 < len(order) else "end"
            ids = [s.id for s in self.script.sections]
            later = [s for s in self.script.sections[ids.index(sec.id) + 1:] if self._section_allowed(s)]
            if not later:
                return None
            sec, target = later[0], later[0].start

    def _goto_step(self, out: list[Action], step_id: str) -> list[Action]:
        """Go to step_id (or the next one that fits) and ask it."""
        self.misses = self.silences = 0
        where = self._resolve(step_id)
        if where is None:
            return self._finished(out)
        section, step = where
        if section != self.p.section:
            out.append(self.say("section_intro", section=self.script.by_id(section).spoken_title))
        self.p = replace(self.p, section=section, step=step, reading=False, sentence=0, finished=False)
        return self._ask(out)

    def _advance(self, out: list[Action], next_id: str | None = None) -> list[Action]:
        self.history.append((self.p.section, self.p.step))
        return self._goto_step(out, next_id or self.step.next)

    def _finished(self, out: list[Action]) -> list[Action]:
        self.p = replace(self.p, finished=True, reading=False)
        self.mode = FINISHED
        out.append(self.say("finished"))
        out.append(self._listen())
        return out

    def _back(self, out: list[Action]) -> list[Action]:
        if self.mode in (READING, READING_STOPPED):
            self.p = replace(self.p, reading=False, sentence=0)
            return self._ask(out)
        if not self.history:
            ids = [s.id for s in self.script.sections]
            i = ids.index(self.p.section)
            if self.p.step == self.section.start and i == 0:
                out.append(self.say("at_start"))
                return self._ask(out)
            if self.p.step == self.section.start:
                prev = self.script.sections[i - 1]
                self.p = replace(self.p, section=prev.id, step=prev.start)
            else:
                self.p = replace(self.p, step=self.section.start)
            return self._ask(out)
        section, step = self.history.pop()
        self.p = replace(self.p, section=section, step=step, reading=False, sentence=0, finished=False)
        return self._ask(out)

    # ------------------------------------------------------------ reading
    def _start_reading(self, out: list[Action], section_id: str | None, sentence: int = 0) -> list[Action]:
        if section_id and section_id != self.p.section:
            self.history.append((self.p.section, self.p.step))
            sec = self.script.by_id(section_id)
            self.p = replace(self.p, section=sec.id, step=sec.start, finished=False)
        self.mode = READING
        self.p = replace(self.p, reading=True, sentence=sentence)
        if sentence == 0:
            out.append(Say(heading_sentence(self.section.title), kind="reading"))
        return self._read_next(out)

    def _read_next(self, out: list[Action]) -> list[Action]:
        sentences = self.section.sentences
        if self.p.sentence >= len(sentences):
            out.append(self.say("reading_done"))
            return self._after_reading(out)
        # p.sentence is the sentence being spoken: a crash or a barge-in
        # during it resumes with that same sentence.
        following = self.p.sentence + 1
        out.append(Say(speakable(sentences[self.p.sentence]), kind="reading",
                       then=speakable(sentences[following]) if following < len(sentences) else ""))
        return out

    def _after_reading(self, out: list[Action]) -> list[Action]:
        self.p = replace(self.p, reading=False, sentence=0)
        step = self.step
        nxt = step.next if step.kind == "offer_read" else self.p.step
        return self._goto_step(out, nxt)

    # ------------------------------------------------------------- events
    def handle(self, event: Event) -> list[Action]:
        out: list[Action] = []
        if isinstance(event, Started):
            return self._finish(self._start(out))
        if isinstance(event, PlaybackFinished):
            if self.mode == READING:
                self.p = replace(self.p, sentence=self.p.sentence + 1)
                return self._finish(self._read_next(out))
            return out
        if not isinstance(event, (Interrupted, Heard)):
            self._last_answer = None
        if isinstance(event, Interrupted):
            if self.mode == READING:
                # The sentence being played when cut off is read again on "go on".
                self.mode = READING_STOPPED
                self._barged_in = True
            return self._finish(out)
        barged_in, self._barged_in = self._barged_in, False
        if isinstance(event, Silence):
            if barged_in:
                # Cut off by a noise that was not speech: read on.
                return self._finish(self._continue_reading(out))
            return self._finish(self._silence(out))
        if isinstance(event, DeviceLost):
            self.mode = PAUSED
            self.p = replace(self.p, paused=True)
            return self._finish(out)
        last, self._last_answer = self._last_answer, None
        if isinstance(event, Heard):
            if event.continues and last is not None and event.text.strip():
                return self._continued(event, last, out)
            return self._heard(event, out, barged_in)
        return out

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

    def _start(self, out: list[Action]) -> list[Action]:
        if not self._resumed:
            out.append(self.say("welcome"))
            return self._goto_step(out, self.section.start)
        if self.p.finished:
            self.mode = FINISHED
            out.append(self.say("welcome_back_finished"))
        else:
            self.mode = WELCOME_BACK
            out.append(self.say("welcome_back", section=self.section.spoken_title))
        out.append(self._listen())
        return out

    def _silence(self, out: list[Action]) -> list[Action]:
        if self.mode == CONFIRM_QUIT:
            return self._carry_on(out)
        if self.mode == SAFETY_CHECK:
            return self._safety(out)  # no answer to "are you safe?": the full reply
        if self.mode == PAUSED:
            out.append(self._listen())
            return out
        if self.mode == READING:
            return self._read_next(out)
        self.silences += 1
        if self.silences >= 2:
            return self._pause(out, "silence_pause")
        out.append(self.say("silence_reprompt"))
        if self.mode == STEP:
            return self._ask(out)
        out.append(self._listen())
        return out

    def _pause(self, out: list[Action], key: str = "pause") -> list[Action]:
        self.mode = PAUSED
        self.silences = 0
        self.p = replace(self.p, paused=True)
        out.append(self.say(key))
        out.append(self._listen())
        return out

    def _pause_before_next(self, out: list[Action]) -> list[Action]:
        """Pause after a heavy answer; the place saved is the next step."""
        self.history.append((self.p.section, self.p.step))
        where = self._resolve(self._heavy_next)
        if where is None:
            self.p = replace(self.p, finished=True)
        else:
            self.p = replace(self.p, section=where[0], step=where[1])
        return self._pause(out)

    def _resume(self, out: list[Action]) -> list[Action]:
        self.p = replace(self.p, paused=False)
        self._after_safety = False
        if self.p.finished:
            self.mode = FINISHED
            out.append(self.say("finished"))
            out.append(self._listen())
            return out
        if self.p.reading:
            self.mode = READING
            return self._read_next(out)
        return self._ask(out)

    # ------------------------------------------------------------- heard
    def _heard(self, event: Heard, out: list[Action], barged_in: bool = False) -> list[Action]:
        text = event.text.strip()
        self.silences = 0
        if not text:
            # Speech that was not understood (or an empty line).
            if self.mode == PAUSED:
                out.append(self._listen())
                return self._finish(out)
            if barged_in and self.mode == READING_STOPPED:
                return self._finish(self._continue_reading(out))
            return self._finish(self._miss(out))
        hit = self.safety.check(text)
        if hit is not None and (hit.layer != "model" or self.mode == SAFETY_CHECK):
            return self._finish(self._safety(out), self._entry(text, "safety"))
        match = self.matcher.match(text)
        if not safety_stands(hit, match):
            hit = None
        if self.mode == SAFETY_CHECK:
            if match.intent == "yes" and event.confidence >= 0.5:
                return self._finish(self._safe_after_all(out), self._entry(text, "safety_check"))
            return self._finish(self._safety(out), self._entry(text, "safety"))
        if hit is not None:
            return self._finish(self._safety_check(out), self._entry(text, "safety_check"))
        if self.mode == CONFIRM_QUIT:
            if match.intent in ("yes", "quit") and event.confidence >= 0.5:
                return self._finish(self._quit(out, confirmed=True))
            return self._finish(self._carry_on(out))  # anything else: the safe reading
        if event.confidence < 0.5 and match.intent != NONE and self.mode not in (PAUSED,):
            # A shaky recognition of a command: ask rather than act.
            return self._finish(self._confirm(out, match))
        mode = self.mode
        if mode == PAUSED:
            return self._finish(self._heard_paused(out, match))
        if mode == CONFIRM_INTENT:
            return self._finish(self._heard_confirm(out, match))
        if mode == CONFIRM_DELETE:
            return self._finish(self._heard_delete(out, match))
        if barged_in and mode == READING_STOPPED:
            # Barge-in with something that is not a command: keep reading.
            if match.intent in (NONE,) + ANSWERS or match.score < ACCEPT:
                return self._finish(self._continue_reading(out))
        if mode in (READING, READING_STOPPED):
            # While reading, "stop" means stop reading, whatever ties with it.
            tied = [i for i, sc in match.alternatives if sc >= match.score]
            if match.intent != "stop_reading" and "stop_reading" in tied:
                match = replace(match, intent="stop_reading")
        if mode == STEP and self.step.intents and match.intent != NONE:
            # The step's own answers win over a global command they resemble
            # ("i just want to reflect" is an answer to "which fits you?").
            found = self.matcher.match_step(text, self._step_intents())
            if found.intent != NONE and (found.score + STEP_SLACK >= match.score
                                         or self._answers_perspective(match.intent)):
                return self._answer(event, match, out, found)
        if mode == STEP and self.step.kind == "prompt" and not self._guard_ok(match.intent, text):
            match = Match(NONE, match.score, None, match.alternatives)
        if match.intent not in (NONE,) + ANSWERS and match.score >= ACCEPT:
            return self._finish(self._command(out, match, text))
        if mode == WELCOME_BACK:
            return self._finish(self._heard_yes_no(out, match, self._resume, self._choose_instead))
        if mode == HEAVY_OFFER:
            return self._finish(self._heard_yes_no(
                out, match, self._pause_before_next, lambda o: self._advance(o, self._heavy_next)))
        if mode == READING_STOPPED:
            return self._finish(self._heard_yes_no(
                out, match, self._continue_reading, lambda o: self._after_reading(o)))
        if mode in (FINISHED, CHOOSING):
            return self._finish(self._miss(out, reask=False))
        return self._answer(event, match, out)

    def _answers_perspective(self, command: str) -> bool:
        """At the step that asks for the perspective, "i'm just reflecting" is
        its answer, not a request to change the perspective."""
        return command == "perspective" and any(i.perspective for i in self.step.intents.values())

    def _entry(self, text: str, intent: str) -> JournalEntry:
        return JournalEntry(section=self.p.section, prompt=self.last_prompt, answer=text,
                            intent=intent, step=self.p.step, amends=self._amending)

    def _heard_yes_no(self, out: list[Action], match: Match,
                      yes: Callable[[list[Action]], list[Action]],
                      no: Callable[[list[Action]], list[Action]]) -> list[Action]:
        if match.intent == "yes":
            return yes(out)
        if match.intent in ("no", "unsure"):
            return no(out)
        return self._miss(out, reask=False)

    def _continue_reading(self, out: list[Action]) -> list[Action]:
        self.mode = READING
        return self._read_next(out)

    def _choose_instead(self, out: list[Action]) -> list[Action]:
        self.mode = CHOOSING
        out.append(self.say("choose_instead"))
        out.append(self._listen())
        return out

    def _heard_paused(self, out: list[Action], match: Match) -> list[Action]:
        if match.intent in ("resume", "yes") or (match.intent == "read_section" and self.p.reading):
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
        if match.intent not in (NONE, "no", "unsure") and match.score >= ACCEPT:
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

    def _reprompt(self, out: list[Action]) -> list[Action]:
        """Return the user to where they were after an aside."""
        if self.mode == PAUSED:
            out.append(self._listen())
            return out
        if self.mode in (READING, READING_STOPPED):
            self.mode = READING_STOPPED
            out.append(self.say("reading_stopped"))
            out.append(self._listen())
            return out
        if self.mode in (FINISHED, CHOOSING, WELCOME_BACK):
            out.append(self._listen())
            return out
        return self._ask(out)

    def _miss(self, out: list[Action], reask: bool = True) -> list[Action]:
        self.misses += 1
        choice = self.mode == STEP and self.step.kind == "choice"
        if choice and self.misses >= 3 and self.step.default:
            # Don't hold someone at a question they can't get past.
            intent = self.step.intents[self.step.default]
            if intent.perspective and not self.p.perspective:
                self.p = replace(self.p, perspective=intent.perspective)
            out.append(self.say("choice_default"))
            return self._advance(out, intent.next or self.step.next)
        out.append(self.say("didnt_catch"))
        if choice and self.misses >= 2:
            out.append(self._help_for_mode())
        elif self.misses >= 2:
            out.append(self.say("offer_help"))
        if reask and self.mode == STEP:
            return self._ask(out)
        out.append(self._listen())
        return out

    def _safety(self, out: list[Action]) -> list[Action]:
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

    def _safety_check(self, out: list[Action]) -> list[Action]:
        """Only the learned layer heard danger: point to help and ask, rather
        than stop an exercise on a guess (its false alarms are a question)."""
        self._mode_before_check = self.mode
        self.mode = SAFETY_CHECK
        out.append(Say(self.phrases.pick("safety_check", self.rng), kind="safety", interruptible=False))
        out.append(self._listen())
        return out

    def _safe_after_all(self, out: list[Action]) -> list[Action]:
        self.mode = self._mode_before_check
        out.append(self.say("safety_check_safe"))
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

    # ----------------------------------------------------------- commands
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

    def _where(self) -> Say:
        sec = self.section
        if self.mode in (READING, READING_STOPPED):
            return self.say("where_reading", section=sec.spoken_title,
                            n=str(self.p.sentence + 1), total=str(len(sec.sentences)))
        order = [s for s in sec.step_order() if self._allowed(sec.steps[s])]
        n = order.index(self.p.step) + 1 if self.p.step in order else 1
        return self.say("where_am_i", section=sec.spoken_title, n=str(n), total=str(len(order)))

    def _change_perspective(self, out: list[Action]) -> list[Action]:
        for sec in self.script.sections:
            for step in sec.steps.values():
                if any(i.perspective for i in step.intents.values()):
                    self._return_to = (self.p.section, self.p.step)
                    self.history.append((self.p.section, self.p.step))
                    self.p = replace(self.p, section=sec.id, step=step.id, reading=False)
                    return self._ask(out)
        return self._miss(out)

    # ------------------------------------------------------------ answers
    def _guard_ok(self, intent: str, text: str) -> bool:
        """A guarded command needs one of its markers at an open question."""
        markers = self.guards.get(intent)
        if not markers:
            return True
        padded = f" {' '.join(self.matcher.normalise(text).split())} "
        return any(f" {' '.join(self.matcher.normalise(m).split())} " in padded for m in markers)

    def _step_intents(self) -> dict[str, list[str]]:
        return {n: i.examples for n, i in self.step.intents.items()}

    def _answer(self, event: Heard, match: Match, out: list[Action],
                found: Match | None = None) -> list[Action]:
        step = self.step
        text = event.text.strip()
        if step.kind == "offer_read":
            if match.intent == "yes":
                return self._finish(self._start_reading(out, None))
            if match.intent in ("no", "unsure"):
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
        entry = self._entry(text, found.intent)
        if step.kind == "prompt":
            self._last_answer = (replace(self.p), self.last_prompt, text)
        intent = step.intents.get(found.intent)
        if intent is not None and intent.perspective:
            self.p = replace(self.p, perspective=intent.perspective)
        ack_options = (intent.ack if intent and intent.ack else step.ack) or self.phrases.options("answer_saved")
        out.append(Say(speakable(self._pick(f"ack.{self.p.section}.{step.id}.{found.intent}", ack_options)), kind="ack"))
        if self._return_to is not None and intent is not None and intent.perspective:
            section, step_id = self._return_to
            self._return_to = None
            self.p = replace(self.p, section=section)
            return self._finish(self._goto_step(out, step_id), entry)
        next_id = intent.next if intent and intent.next else step.next
        if step.heavy:
            self._heavy_next = next_id
            self.mode = HEAVY_OFFER
            out.append(self.say("heavy_offer"))
            out.append(self._listen())
            return self._finish(out, entry)
        return self._finish(self._advance(out, next_id), entry)
