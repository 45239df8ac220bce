"""Which command: the command reader's view weighed with the words' match
(understanding/decide.py, weigh_command), and requests in everyday wording
read through the shipped reader."""

from __future__ import annotations

import pytest

from assistant.understanding.decide import (
    READ_OVERRULE,
    READ_TAKE,
    READ_VETO,
    VETO_BELOW,
    is_command,
    weigh_command,
)
from assistant.understanding.match import ACCEPT, NONE, Match
from reflectkit.enginekit import content

NOT_NEGATED = lambda intent: False  # noqa: E731


@pytest.mark.parametrize("found, read, section, taken", [
    (Match(NONE, 40.0), ("pause", READ_TAKE), None, "pause"),                 # words found nothing
    (Match(NONE, 40.0), ("pause", READ_TAKE - 0.01), None, NONE),             # the reader unsure
    (Match("slower", 81.0), ("faster", READ_OVERRULE), None, "faster"),       # "talking slowly, go quicker"
    (Match("slower", 81.0), ("faster", READ_TAKE), None, "slower"),           # overruling needs more
    (Match("resume", 70.0), ("resume", READ_TAKE), None, "resume"),           # not quite sure words, confirmed
    (Match("goto_section", 90.0), (NONE, READ_VETO), None, "goto_section"),   # sure words stand
    (Match("help", VETO_BELOW - 1), (NONE, READ_VETO), None, NONE),           # "it could really help us"
    (Match("help", VETO_BELOW - 1), (NONE, READ_VETO - 0.01), None, "help"),
    (Match("perspective", 80.0), (NONE, 0.99), None, "perspective"),          # the person's own words decide
    (Match(NONE, 30.0), ("perspective", 0.99), None, NONE),
    (Match("yes", 100.0), ("quit", 0.9), None, "yes"),                        # "that's right" is a yes
    (Match(NONE, 30.0), ("goto_section", 0.99), None, NONE),                  # going needs a where
    (Match(NONE, 30.0), ("goto_section", 0.99), "forgiveness", "goto_section"),
    (Match(NONE, 30.0), ("read_section", 0.99), None, "read_section"),        # this section
    (Match("pause", 80.0), None, None, "pause"),                              # no reader installed
])
def test_the_words_and_the_command_reader_are_weighed(found, read, section, taken):
    m = weigh_command(found, read, section, NOT_NEGATED)
    assert m.intent == taken
    if taken not in (NONE, found.intent):
        assert m.score == ACCEPT
    if taken == "goto_section":
        assert m.section == section


def test_a_negation_turns_the_readers_command_round():
    m = weigh_command(Match(NONE, 40.0), ("stop_reading", 0.99), None, lambda intent: True)
    assert m.intent == NONE


@pytest.mark.parametrize("text, intent", [
    ("sorry my sister's on the phone can we stop there for a bit", "pause"),
    ("okay i'm back where were we", "resume"),
    ("sorry i missed that could you say it one more time", "repeat"),
    ("you're going way too quick for me", "slower"),
    ("hush a minute", "stop_reading"),
    ("right that's enough for tonight bye", "quit"),
    ("which part are we in now", "where_am_i"),
    ("sorry about that let's crack on", "resume"),
    ("talk quicker please i haven't got all day", "faster"),   # a reason after it, no reversal
])
def test_everyday_requests_are_commands(text, intent):
    m = content().matcher.match(text)
    assert is_command(m) and m.intent == intent, m


@pytest.mark.parametrize("text", [
    "i needed a break from him after i found out",
    "i want him to stop checking my phone",
    "we went back to how things were before",
    "reading her messages was the worst thing i ever did",
    "i couldn't stop crying when i read it",
    "please don't stop reading",
    "i want to stop but i can't",
    "enough is enough i'm not doing this a third time",
])
def test_answers_with_command_words_stay_answers(text):
    m = content().matcher.match(text)
    assert not is_command(m), m


@pytest.mark.parametrize("words, turned", [
    ("please dont stop", True),
    ("i cant go on", True),
    ("hurry it along i havent got all night", False),
    ("i havent got all night hurry it along", True),   # before it: read as turned round
    ("i never want to hear it", True),                 # none of its words: any negator
])
def test_a_negator_turns_a_command_round_only_before_its_words(words, turned):
    from assistant.understanding.keywords import turned_round
    own = frozenset({"stop", "go", "on", "hurry", "along"})
    assert turned_round(words.split(), own) is turned


@pytest.mark.parametrize("text", ["read me the part about what trust means",
                                  "can we talk about what trust actually means"])
def test_what_trust_means_is_the_what_is_trust_section(text):
    m = content().matcher.match(text)
    assert m.section == "what_is_trust", m
