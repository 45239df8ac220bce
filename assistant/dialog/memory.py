"""What the person said, given back: the last thing they said at a welcome
back, and a few of their own answers at the end of the article.

Only answers worth hearing again are given back: words of their own (a
handful, not "yes" or the situation they chose), never what the safety net
stopped on, and never cut: an answer too long to say back whole is left
out rather than shortened.
"""

from __future__ import annotations

from assistant.content.scripts import GENERIC_ANSWERS, PERSPECTIVES
from assistant.dialog.events import Say
from assistant.storage.records import JournalEntry

RECALL_WORDS = (4, 30)
"""Fewest and most words of an answer said back."""
NEVER_GIVEN_BACK = frozenset(("safety", "safety_check"))
"""Intents of answers never said back: what the safety net heard."""
NOT_RECALLED = NEVER_GIVEN_BACK | {*GENERIC_ANSWERS, *PERSPECTIVES}
"""Intents of answers never said back."""
SUMMARY_ANSWERS = 3
"""Answers said back at the end of the article (from different sections)."""


def recallable(entry: JournalEntry) -> bool:
    words = len(entry.answer.split())
    return entry.intent not in NOT_RECALLED and RECALL_WORDS[0] <= words <= RECALL_WORDS[1]


def quoted(words: str) -> str:
    words = words.strip()
    return f"\u201c{words}{'' if words[-1:] in '.!?' else '.'}\u201d"


def summary_answers(entries: list[JournalEntry], n: int = SUMMARY_ANSWERS) -> list[JournalEntry]:
    """The latest answer worth giving back from each section, the last ``n`` sections'."""
    by_section: dict[str, JournalEntry] = {}
    for entry in entries:
        if recallable(entry):
            by_section.pop(entry.section, None)  # in order of the latest answer
            by_section[entry.section] = entry
    return list(by_section.values())[-n:]


class Memory:
    """Part of the Engine (engine.py): the answers kept, this session and before."""

    def _remember(self, entry: JournalEntry) -> None:
        """Keep an answer just taken; a continued answer takes its first part's place."""
        if entry.amends and self.kept and (self.kept[-1].section, self.kept[-1].step) == (entry.section, entry.step):
            self.kept[-1] = entry
        else:
            self.kept.append(entry)

    def _answered_earlier(self, step) -> tuple[JournalEntry, str] | None:
        """An answer kept (this session or before) that holds a phrase giving
        one of ``step``'s answers (its ``given_by``: "i check his phone every
        night" to "have you felt the urge to check?"), and that intent's name;
        None when the question is still to be asked. The opening counts: it
        is often where people say most."""
        given = {n: i.given_by for n, i in step.intents.items() if i.given_by}
        if step.kind != "prompt" or not given:
            return None
        for entry in reversed(self.kept):
            words = len(entry.answer.split())
            if entry.intent in NEVER_GIVEN_BACK or not RECALL_WORDS[0] <= words <= RECALL_WORDS[1]:
                continue
            for name, phrases in given.items():
                if self.matcher.holds(entry.answer, phrases):
                    return entry, name
        return None

    def _took_earlier(self, out: list, entry: JournalEntry, intent_name: str) -> list:
        """Instead of asking: the person's earlier words, the reply to them,
        and on to the next question."""
        intent = self.step.intents[intent_name]
        out.append(Say(self.phrases.pick("answered_earlier", self.rng, words=quoted(entry.answer)), kind="ack"))
        if intent.ack:
            out.append(Say(self._pick(f"ack.{self.p.section}.{self.step.id}.{intent_name}", intent.ack), kind="ack"))
        return self._advance(out, intent.next or self.step.next)

    def _recall_last(self) -> str:
        """' The last thing you told me was: "..."' for a welcome back, or ''."""
        last = next((e for e in reversed(self.kept) if recallable(e)), None)
        if last is None:
            return ""
        return " " + self.phrases.pick("recall_last", self.rng, words=quoted(last.answer))

    def _summary(self) -> Say | None:
        """A few of the person's own answers, one per section, latest first."""
        chosen = summary_answers(self.kept)
        if not chosen:
            return None
        titles = {s.id: s.spoken_title for s in self.script.sections}
        parts = [self.phrases.pick("summary_item", self.rng, section=titles.get(e.section, e.section),
                                   words=quoted(e.answer)) for e in chosen]
        return Say(" ".join([self.phrases.pick("summary_intro", self.rng), *parts,
                             self.phrases.pick("summary_end", self.rng)]), kind="info")
