"""An answer the person goes on with after the reply has begun (they had
paused, not finished): the two parts are one answer, at the step it was given
at, and one entry in the journal."""

from __future__ import annotations

from assistant.dialog.events import Heard, Interrupted
from assistant.storage.records import JournalEntry, Progress
from assistant.storage.store import Store
from reflectkit.enginekit import Driver


def at_open_question() -> Driver:
    d = Driver()
    d.start()
    d.say("no")  # no reading
    d.say("i just want to reflect on trust")
    return d


def test_words_over_the_reply_continue_the_answer():
    d = at_open_question()
    place = d.progress
    d.say("when they keep their promises")
    after_first = d.progress
    d.engine.handle(Interrupted())  # protocol: the Heard that follows carries the turn
    d.event(Heard("and when they tell me the truth even when it's hard", continues=True))
    first, whole = d.entries[-2:]
    assert first.answer == "when they keep their promises" and not first.amends
    assert whole.amends and whole.answer == ("when they keep their promises and when they "
                                             "tell me the truth even when it's hard")
    assert (whole.section, whole.step, whole.prompt) == (first.section, first.step, first.prompt)
    assert (whole.section, whole.step) == (place.section, place.step)
    assert (d.progress.section, d.progress.step) == (after_first.section, after_first.step)


def test_continuing_needs_an_answer_just_given():
    d = at_open_question()
    d.say("when they keep their promises")
    d.say("repeat that")  # another turn came between
    n = len(d.entries)
    d.event(Heard("and something else", continues=True))
    assert all(not e.amends for e in d.entries[n:])


def test_the_journal_keeps_one_entry_for_a_continued_answer(tmp_path):
    store = Store(tmp_path)
    store.save(Progress(section="a", step="s"), JournalEntry("a", "Q?", "part one", "none", step="s"))
    store.save(Progress(section="a", step="t"),
               JournalEntry("a", "Q?", "part one and part two", "none", step="s", amends=True))
    store.save(Progress(section="a", step="u"), JournalEntry("a", "R?", "next answer", "none", step="t"))
    entries = store.load_journal()
    assert [e.answer for e in entries] == ["part one and part two", "next answer"]
    assert not entries[0].amends and entries[0].time
    assert Store(tmp_path).notices == []
