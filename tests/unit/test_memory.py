"""Reflect remembers: the person's own words given back at a welcome back and
at the end of the article (the real engine, typed)."""

from __future__ import annotations

import pytest

from assistant.storage.records import JournalEntry, Progress
from reflectkit.enginekit import Driver, content


def entry(section: str, answer: str, intent: str = "none") -> JournalEntry:
    return JournalEntry(section=section, prompt="a question", answer=answer, intent=intent)


def test_a_welcome_back_gives_back_the_last_thing_said():
    d = Driver()
    d.start()
    d.say("no")
    d.say("someone broke my trust")
    d.say("when people keep their word and tell me the truth")
    again = Driver(progress=d.saves[-1].progress, journal=d.entries)
    text = again.start()
    assert "keep their word and tell me the truth" in text
    assert text.rstrip().endswith("?"), "the question comes last"


def test_what_is_not_given_back():
    place = Progress(section="forgiveness", step=content().script.by_id("forgiveness").start)
    long_answer = " ".join(["i keep going over it"] * 10)
    for kept in ([entry("forgiveness", "i want to hurt myself tonight", "safety")],
                 [entry("forgiveness", "yes", "yes")],
                 [entry("forgiveness", long_answer)]):
        text = Driver(progress=place, journal=kept).start()
        assert kept[0].answer not in text and "you said" not in text.lower() and "told me" not in text.lower()


def test_the_end_of_the_article_gives_back_a_few_answers():
    script = content().script
    last = script.sections[-1]
    kept = [entry("forgiveness", "i am not ready to forgive him yet"),
            entry("apology", "he said sorry but never said why"),
            entry("apology", "i need him to be honest about the phone")]
    d = Driver(progress=Progress(section=last.id, step=last.start, perspective="hurt"), journal=kept)
    d.start()
    said = ""
    for _ in range(12):  # answer until the article ends
        said = d.say("yes") + d.say("i think i am learning to trust myself again")
        if d.progress.finished:
            break
    assert d.progress.finished
    assert "i am not ready to forgive him yet" in said
    assert "be honest about the phone" in said and "never said why" not in said, "one per section"


def run_to(d: Driver, section: str, step: str, limit: int = 60) -> str:
    """Answer every question "i'm not sure" (and decline readings and
    pauses) until ``section.step`` is asked; what was said on the way."""
    said = []
    for _ in range(limit):
        if (d.progress.section, d.progress.step) == (section, step) and d.engine.mode == "step":
            return " ".join(said)
        said.append(d.say("no thanks" if d.engine.step.kind == "offer_read" else "i'm not sure, honestly"))
    raise AssertionError(f"{section}.{step} was never asked")


def test_a_question_already_answered_is_not_asked_but_given_back():
    """She said at the start that she checks his phone: "have you felt the
    urge to check?" is not asked; her words are given back, then the reply."""
    d = Driver()
    d.start()
    d.say("no")
    d.say("my husband cheated on me and now i check his phone every night when he's asleep")
    said = run_to(d, "stalking", "checking_hopes")
    assert "i check his phone every night" in said
    urge = content().script.by_id("stalking").steps["urge_to_check"]
    assert not any(q in said for q in urge.say), "the question already answered was asked"


def test_a_question_is_asked_when_no_earlier_answer_gives_it():
    d = Driver()
    d.start()
    d.say("no")
    d.say("my husband had an affair and i found out from his sister")
    said = run_to(d, "stalking", "urge_to_check")
    assert "you said earlier" not in said.lower() and "earlier you told me" not in said.lower()


def _at_a_yes_no_question() -> Driver:
    d = Driver()
    d.start()
    d.say("no")
    d.say("my partner cheated on me")
    for _ in range(40):
        step = d.engine.step
        if {"yes", "no"} <= {i.means or n for n, i in step.intents.items()}:
            return d
        d.say("no" if step.kind == "offer_read" else "when he listens to me without looking at his phone")
    raise AssertionError("no yes/no question reached")


@pytest.mark.parametrize("answer, added", [
    ("yes but only when he gives me a reason to", "only when he gives me a reason to"),
    ("no, though I have thought about it a lot", "I have thought about it a lot"),
    ("yeah. Though honestly, it was never about the money", "honestly, it was never about the money"),
])
def test_a_yes_or_no_that_qualifies_itself_hears_the_rest_said_back(answer, added):
    d = _at_a_yes_no_question()
    d.said.clear()
    d.say(answer)
    assert f"\u201c{added}.\u201d" in " ".join(s.text for s in d.said)


@pytest.mark.parametrize("answer", ["yes", "no but sort of", "yes, though I think so", "yes, definitely, every single day"])
def test_a_plain_or_barely_qualified_yes_or_no_is_not_quoted(answer):
    d = _at_a_yes_no_question()
    d.said.clear()
    d.say(answer)
    assert "\u201c" not in " ".join(s.text for s in d.said)
