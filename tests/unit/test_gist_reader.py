"""What an answer to a yes/no question says: the gist reader's view and the
keywords' weighed (understanding/decide.py), and answers read through the
shipped reader at their step."""

from __future__ import annotations

import pytest

from assistant.content.phrases import load_guards
from assistant.understanding.decide import GIST_DOUBT, GIST_EXACT, GIST_OVERRULE, GIST_SURE, choose_gist, decide
from assistant.understanding.match import NONE, Match
from reflectkit.enginekit import content

TAKES = ("yes", "no", "unsure")
SURE, DOUBT, BELOW = GIST_SURE, (GIST_DOUBT + GIST_SURE) / 2, GIST_DOUBT - 0.01


@pytest.mark.parametrize("found, meant, read, taken", [
    (Match("yes", 90.0), "yes", ("yes", BELOW), "yes"),                # agree
    (Match("unsure", 100.0), "unsure", ("yes", SURE), "yes"),          # the reader is sure
    (Match("no", 90.0), "no", ("yes", DOUBT), NONE),                    # it doubts: no side taken
    (Match("no", GIST_EXACT), "no", ("yes", BELOW), "no"),                   # it hardly knows: "not really"
    (Match("no", 90.0), "no", ("yes", BELOW), NONE),                    # a "no" inside longer words
    (Match("no", 80.0), "no", ("other", SURE), NONE),                   # a story, not a bare no
    (Match("checked_phone", 90.0), "yes", ("no", GIST_OVERRULE), "no"),  # "i've not checked his phone"
    (Match("checked_phone", 90.0), "yes", ("no", SURE), "checked_phone"),   # the step's own keywords
    (Match("held_back", 90.0), "yes", ("no", 1.0), "held_back"),   # "i've wanted to but i haven't": firm
    (Match("checked_phone", 90.0), "yes", ("other", SURE), "checked_phone"),
    (Match("went_badly", 90.0), None, ("yes", DOUBT), "went_badly"),   # a content answer of its own
    (Match(NONE, 0.0), None, ("no", SURE), "no"),
    (Match(NONE, 0.0), None, ("no", DOUBT), NONE),
    (Match("afraid_to_raise", 90.0), "yes", ("unsure", GIST_OVERRULE), NONE),  # no reply for unsure
    (Match("no", GIST_EXACT), "no", ("other", SURE), "no"),              # "he never told me why"
    (Match("yes", 90.0), "yes", None, "yes"),                           # no reader installed
])
def test_the_keywords_and_the_gist_reader_are_weighed(found, meant, read, taken):
    takes = ("no",) if found.intent == "afraid_to_raise" else TAKES
    assert choose_gist(found, meant, read, takes, firm=found.intent == "held_back").intent == taken


@pytest.mark.parametrize("step, answer, gist", [
    ("forgiveness.forgive_self", "a bit", "yes"),
    ("forgiveness.forgive_self", "kinda yeah", "yes"),
    ("forgiveness.forgive_self", "not anymore i did for a long time", "no"),
    ("stalking.urge_to_check", "i've not checked his phone no i don't want to know", "no"),
    ("stalking.urge_to_check", "i went through her messages last night", "yes"),
    ("apology.apologised", "i did say sorry yeah more than once", "yes"),
    ("timing.patience", "no one's rushing me", "no"),
    ("rebuilding.why_broken", "he was lonely and i was never home", "yes"),  # a reason told
    ("rebuilding.why_broken", "honestly no idea he never said", "no"),
    ("worth_it.counsellor", "probably not", "no"),
    ("timing.patience", "i honestly can't tell", "unsure"),
    # the urge, felt and not acted on, is a yes to the question on the urge
    ("stalking.urge_to_check", "i've wanted to look so many times but i never have", "yes"),
    ("stalking.urge_to_check", "part of me wanted to but i stopped myself", "yes"),
    ("stalking.urge_to_check", "no never", "no"),
    # a truth told in part is no full owning up
    ("worth_it.owned_up", "i said it was just texting, it was more than that", "no"),
    ("communicate.talked_yet", "we're starting to", "yes"),
])
def test_answers_are_read_at_their_yes_no_question(step, answer, gist):
    c = content()
    section, step_id = step.split(".")
    at = c.script.by_id(section).steps[step_id]
    d = decide(c.matcher, answer, at, load_guards())
    intent = at.intents.get(d.intent)
    assert not d.command
    assert (intent.means if intent is not None and intent.means else d.intent) == gist
