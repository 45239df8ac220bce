"""The dialog engine: a pure state machine from events to actions.

It knows nothing of audio, files or clocks. Text mode, voice mode and tests
drive it through `Engine.handle(event)`; see assistant/dialog/events.py for the
driver protocol.

The Engine class holds the state and routes each event; its parts live in
sibling modules, as mixins over that state: moving and reading
(navigation.py), commands and their asides (commands.py), answers
(answers.py) and the safety stop (safety_stop.py).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Callable, Sequence

from assistant.content.article import speakable
from assistant.content.phrases import Phrases
from assistant.content.scripts import Script, SectionScript, Step
from assistant.content.words import DECLINES, alternation
from assistant.dialog.answers import Answers
from assistant.dialog.commands import Commands
from assistant.dialog.events import (
    Action,
    DeviceLost,
    Event,
    Heard,
    Interrupted,
    Listen,
    PlaybackFinished,
    Save,
    Say,
    Silence,
    Started,
)
from assistant.dialog.modes import (
    ANSWERS,
    CHOOSING,
    CONFIRM_DELETE,
    CONFIRM_INTENT,
    CONFIRM_QUIT,
    FINISHED,
    HEAVY_OFFER,
    PAUSED,
    READING,
    READING_STOPPED,
    SAFETY_CHECK,
    STEP,
    WELCOME_BACK,
)
from assistant.dialog.memory import Memory
from assistant.dialog.navigation import Navigation
from assistant.dialog.safety_stop import SafetyStop, safety_stands
from assistant.safety.rules import SafetyNet
from assistant.storage.records import JournalEntry, Progress
from assistant.understanding.decide import decide, is_command
from assistant.understanding.match import NONE, Match
from assistant.understanding.words import IntentMatcher

__all__ = ["Engine", "safety_stands"]

# The word lists of these patterns are content/words.toml's [safety_check].
SAYS_SAFE = re.compile(rf"^(?:(?:{alternation('safety_check', 'yes')})\b[\s,.!]*)?(?:i'?m|i am) "
                       rf"(?:{alternation('safety_check', 'safe')})\b")
"""To "are you safe right now?": "yes, I'm safe, he's just impatient" (no rule fired on it)."""
HEDGED = re.compile(rf"\b(?:{alternation('safety_check', 'hedges')})\b")
"""Words that make a "yes, I'm safe" less than a clear yes: the safe reading is a stop."""
GO_ON = ("resume", "next")
"""Commands that, said to the offer of a moment, decline it."""
FINE = re.compile(rf"\b(i'?m|i am)\s+({alternation('safety_check', 'fine')})\b")
"""Said to the offer of a moment, "I'm fine" declines it (to "are you safe?" it is a yes)."""


class Engine(Answers, Commands, SafetyStop, Navigation, Memory):
    """The conversation's state, and the routing of each event to the part that answers it."""

    def __init__(self, script: Script, matcher: IntentMatcher, safety: SafetyNet,
                 phrases: Phrases, progress: Progress | None = None,
                 rng: random.Random | None = None,
                 grammar: dict[str, tuple[str, ...]] | None = None,
                 guards: dict[str, tuple[str, ...]] | None = None,
                 confirm_quit: bool = False, crisis: str = "",
                 journal: Sequence[JournalEntry] = ()) -> None:
        self.script = script
        self.kept: list[JournalEntry] = list(journal)
        """The person's answers: the journal so far, then this session's."""
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
        self._held: str | None = None
        """The answer a safety check interrupted, taken once the person is safe."""
        self._return_to: tuple[str, str] | None = None
        self._saved: Progress | None = None
        self._heavy_next = "end"
        self._barged_in = False
        self._mode_before_confirm = STEP
        self._last_answer: tuple[Progress, str, str] | None = None
        """(place, prompt, words) of the open answer just taken: the place it
        was given at, so that words that continue it are taken together."""
        self._amending = False
        self._chosen: tuple[str, str, int] | None = None
        """(section, step) where the perspective was chosen, and the turns
        since: "no, I'm the one who..." right after it corrects it."""

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

    def _start(self, out: list[Action]) -> list[Action]:
        if not self._resumed:
            out.append(self.say("welcome"))
            return self._goto_step(out, self.section.start)
        if self.p.finished:
            self.mode = FINISHED
            out.append(self.say("welcome_back_finished"))
        else:
            self.mode = WELCOME_BACK
            out.append(self.say("welcome_back", section=self.section.spoken_title,
                                recall=self._recall_last()))
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

    # ------------------------------------------------------------- heard
    def _heard(self, event: Heard, out: list[Action], barged_in: bool = False,
               weighed: bool = False) -> list[Action]:
        """``weighed``: the safety net has already heard these words (an
        answer held over a safety check, taken once the person is safe)."""
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
        hit = None if weighed else self.safety.check(text)
        if hit is not None and (hit.layer != "model" or self.mode == SAFETY_CHECK):
            return self._finish(self._safety(out, text), self._entry(text, "safety"))
        match = self.matcher.match(text)
        if not safety_stands(hit, match):
            hit = None
        if self.mode == SAFETY_CHECK:
            said = text.lower()
            says_safe = (match.intent == "yes" or SAYS_SAFE.match(said)) and not HEDGED.search(said)
            if says_safe and event.confidence >= 0.5:
                return self._finish(self._safe_after_all(out))  # "yes, I'm safe" is no reflection
            return self._finish(self._safety(out), self._entry(text, "safety"))
        if hit is not None:
            return self._finish(self._safety_check(out, text), self._entry(text, "safety_check"))
        if self.mode == CONFIRM_QUIT:
            if match.intent in ("yes", "quit") and event.confidence >= 0.5:
                return self._finish(self._quit(out, confirmed=True))
            return self._finish(self._carry_on(out))  # anything else: the safe reading
        if barged_in and self.mode == READING_STOPPED and event.confidence < 0.5 and match.intent != NONE:
            # Unsure words over our own voice (often misheard): the reading has stopped; say so.
            match, event = replace(match, intent="stop_reading"), replace(event, confidence=0.5)
        if event.confidence < 0.5 and match.intent != NONE and self.mode not in (PAUSED,):
            # A shaky recognition of a command: ask rather than act.
            return self._finish(self._confirm(out, match))
        mode = self.mode
        if mode == PAUSED:
            return self._finish(self._heard_paused(out, match, text))
        if mode == CONFIRM_INTENT:
            return self._finish(self._heard_confirm(out, match))
        if mode == CONFIRM_DELETE:
            return self._finish(self._heard_delete(out, match))
        if barged_in and mode == READING_STOPPED:
            # Barge-in with something that is not a command: keep reading.
            if not is_command(match):
                return self._finish(self._continue_reading(out))
        if mode in (READING, READING_STOPPED):
            # While reading, "stop" means stop reading, whatever ties with it.
            tied = [i for i, sc in match.alternatives if sc >= match.score]
            if match.intent != "stop_reading" and "stop_reading" in tied:
                match = replace(match, intent="stop_reading")
        if mode == READING_STOPPED and not is_command(match) and self.matcher.says(text, "resume"):
            # Asked "go on, or next?", words around "carry on" ("okay you can
            # carry on home", a mishearing of "now") mean go on.
            return self._finish(self._continue_reading(out))
        if mode == STEP:
            corrected = self._perspective_correction(text)
            if self._chosen is not None:  # one more turn since the choice
                self._chosen = self._chosen[:2] + (self._chosen[2] + 1,)
            if corrected is not None:
                return self._finish(self._correct_perspective(out, corrected))
            # Command or answer (understanding/decide.py): the step's own answers
            # win over a global command they resemble ("i just want to reflect"
            # is an answer to "which fits you?").
            decision = decide(self.matcher, text, self.step, self.guards, match)
            if decision.command:
                return self._finish(self._command(out, decision.match, text))
            return self._answer(event, decision.match, out, decision.found)
        if mode == HEAVY_OFFER and (match.intent in GO_ON or FINE.search(text.lower())):
            # "Would you like to take a moment?" "No, keep going" / "I'm fine": on
            # to the next question (as a command, "continue" re-asked this one).
            return self._finish(self._advance(out, self._heavy_next))
        if decide(self.matcher, text, match=match).command:
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

    def _heard_yes_no(self, out: list[Action], match: Match,
                      yes: Callable[[list[Action]], list[Action]],
                      no: Callable[[list[Action]], list[Action]]) -> list[Action]:
        if match.intent == "yes":
            return yes(out)
        if match.intent in DECLINES:
            return no(out)
        return self._miss(out, reask=False)

    # ------------------------------------------------------- after asides
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
