"""Where the dialog is: moving between steps and sections, reading a section
aloud sentence by sentence, pausing and resuming.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.content.article import heading_sentence, speakable
from assistant.content.scripts import SectionScript, Step
from assistant.dialog.events import Action, Say
from assistant.dialog.modes import CHOOSING, FINISHED, PAUSED, READING, READING_STOPPED


class Navigation:
    """Part of the Engine (engine.py): movement, reading and pause, over its state."""

    # ----------------------------------------------------------- movement
    def _allowed(self, step: Step) -> bool:
        return not self.p.perspective or self.p.perspective in step.perspectives

    def _section_allowed(self, section: SectionScript) -> bool:
        return not self.p.perspective or self.p.perspective in section.perspectives

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
        earlier = self._answered_earlier(self.step)
        if earlier is not None:  # never ask what the person has already told
            return self._took_earlier(out, *earlier)
        return self._ask(out)

    def _advance(self, out: list[Action], next_id: str | None = None) -> list[Action]:
        self.history.append((self.p.section, self.p.step))
        return self._goto_step(out, next_id or self.step.next)

    def _finished(self, out: list[Action]) -> list[Action]:
        self.p = replace(self.p, finished=True, reading=False)
        self.mode = FINISHED
        out.append(self.say("finished"))
        summary = self._summary()
        if summary is not None:
            out.append(summary)
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
        earlier = self._answered_earlier(self.step)
        if earlier is not None:  # never ask what the person has already told
            return self._took_earlier(out, *earlier)
        return self._ask(out)

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

    def _continue_reading(self, out: list[Action]) -> list[Action]:
        self.mode = READING
        return self._read_next(out)

    # -------------------------------------------------------------- pause
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
        held, self._held_choice = self._held_choice, None
        if self.p.finished:
            self.mode = FINISHED
            out.append(self.say("finished"))
            out.append(self._listen())
            return out
        if self.p.reading:
            self.mode = READING
            return self._read_next(out)
        if held and self.step.kind == "choice" and not self.p.perspective:
            return self._retake_choice(out, held)
        return self._ask(out)

    def _choose_instead(self, out: list[Action]) -> list[Action]:
        self.mode = CHOOSING
        out.append(self.say("choose_instead"))
        out.append(self._listen())
        return out
