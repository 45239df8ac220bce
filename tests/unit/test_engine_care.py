"""The dialog engine, driven with typed utterances over the real content:
ending a spoken session, the safety net's questions and replies, and the
offer of a moment after a heavy question."""

from __future__ import annotations

import pytest

from assistant.dialog.events import Silence
from assistant.storage.records import Progress
from reflectkit.enginekit import Driver


def fresh() -> Driver:
    d = Driver()
    d.start()
    return d


def _voice() -> Driver:
    d = Driver()
    d.engine.confirm_quit = True  # as a spoken session runs it
    d.start()
    return d


def test_a_spoken_goodbye_asks_first_and_yes_ends():
    d = _voice()
    said = d.say("goodbye")
    assert not d.quit and "?" in said
    d.say("yes")
    assert d.quit


@pytest.mark.parametrize("then", ["no", "what", "yes shaky", None])
def test_anything_but_a_clear_yes_carries_on_where_we_were(then):
    """Noise heard as "goodbye" must not end a hands-free session: "no",
    nonsense, a shaky "yes" or silence all go back to the question."""
    d = _voice()
    d.say("no")  # to the offer to read: now at the perspective question
    step = d.progress.step
    d.say("goodbye")
    if then is None:
        said = d.event(Silence())
    elif then == "yes shaky":
        said = d.say("yes", confidence=0.3)
    else:
        said = d.say(then)
    assert not d.quit
    assert d.progress.step == step and d.engine.mode == "step"
    assert "?" in said  # asked again where we were


def test_typed_goodbye_ends_at_once():
    d = fresh()
    d.say("goodbye")
    assert d.quit


class _Guessing:
    """The real safety net, plus a learned-layer hit on one given utterance:
    stands in for the backstop so the engine's handling of it is tested
    apart from what the model happens to score."""

    def __init__(self, net, guess: str) -> None:
        self.net, self.guess, self.reply = net, guess, net.reply

    def check(self, text: str):
        from assistant.safety.rules import SafetyHit

        if text == self.guess:
            return SafetyHit("unclear", "model 0.990 >= 0.950", "model")
        return self.net.check(text)


GUESS = "my sister has my dog now and i wrote some letters"


def guessing_driver():
    d = fresh()
    d.engine.safety = _Guessing(d.engine.safety, GUESS)
    return d


def test_a_learned_layer_hit_asks_and_points_to_help_before_stopping():
    d = guessing_driver()
    step = (d.progress.section, d.progress.step)
    d.said.clear()
    spoken = d.say(GUESS)
    assert d.engine.mode == "safety_check"
    assert "safe" in spoken.lower() and ("emergency" in spoken.lower() or "crisis" in spoken.lower())
    assert all(not s.interruptible for s in d.said if s.kind == "safety")
    assert d.entries[-1].intent == "safety_check" and d.entries[-1].answer == GUESS
    # "yes" (safe): back to the same question, nothing skipped.
    d.said.clear()
    d.say("yes")
    assert d.engine.mode != "safety_check" and not d.progress.paused
    assert (d.progress.section, d.progress.step) == step
    assert not any(s.kind == "safety" for s in d.said)


@pytest.mark.parametrize("answer", ["no", "i don't know", "not really", ""])
def test_anything_but_a_clear_yes_to_are_you_safe_gives_the_full_reply(answer):
    d = guessing_driver()
    d.say(GUESS)
    d.said.clear()
    d.say(answer) if answer else d.event(Silence())
    assert d.engine.mode == "paused" and d.progress.paused
    assert sum(s.kind == "safety" for s in d.said) >= 3  # say, help, offer


@pytest.mark.parametrize("answer, carries_on", [
    ("yes I'm safe, he's not violent, he's just impatient", True), ("i'm safe", True),
    ("yeah, I'm fine, honestly", True), ("i'm safe for now", False),
    ("i'm safe but he's coming home soon", False), ("i'm not safe", False)])
def test_a_clear_i_am_safe_carries_on_and_a_hedged_one_gives_the_full_reply(answer, carries_on):
    d = guessing_driver()
    d.say(GUESS)
    d.say(answer)
    if carries_on:
        assert d.engine.mode != "safety_check" and not d.progress.paused
    else:
        assert d.engine.mode == "paused" and d.progress.paused


def test_a_shaky_yes_to_are_you_safe_is_not_taken():
    d = guessing_driver()
    d.say(GUESS)
    d.say("yes", confidence=0.3)
    assert d.engine.mode == "paused"


def test_a_rule_hit_while_asking_gives_the_full_reply_at_once():
    d = guessing_driver()
    d.say(GUESS)
    d.said.clear()
    d.say("i want to kill myself")
    assert d.engine.mode == "paused" and sum(s.kind == "safety" for s in d.said) >= 3


def test_a_sure_command_outweighs_the_learned_layer_but_not_the_rules():
    from assistant.dialog.engine import safety_stands
    from assistant.safety.rules import SafetyHit
    from assistant.understanding.match import Match

    sure = Match("pause", 97.0, None, [])
    guess, rule = SafetyHit("unclear", "model", "model"), SafetyHit("suicide", "x", "pattern")
    assert not safety_stands(guess, sure)
    assert safety_stands(rule, sure)
    assert safety_stands(guess, Match("none", 40.0, None, []))
    assert not safety_stands(None, sure)


@pytest.mark.parametrize("words", ["no, keep going", "continue", "nope, carry on", "i'm fine", "next"])
def test_declining_the_offer_of_a_moment_goes_on_to_the_next_question(words):
    d = Driver(progress=Progress(section="what_is_trust", step="trust_choice", perspective="hurt"))
    d.start()
    d.say("yes")  # welcome back: continue
    assert d.progress.step == "trust_choice"
    d.say("it feels so hard, someone keeping their promises over a long time")  # an answer that weighs
    assert d.engine.mode == "heavy_offer"
    d.say(words)
    assert d.engine.mode == "step" and d.progress.step != "trust_choice" and not d.progress.paused


def test_accepting_the_offer_of_a_moment_pauses():
    d = Driver(progress=Progress(section="what_is_trust", step="trust_choice", perspective="hurt"))
    d.start()
    d.say("yes")
    d.say("it feels so hard, someone keeping their promises over a long time")  # an answer that weighs
    d.say("yes please")
    assert d.progress.paused


def test_an_answer_a_safety_check_interrupted_is_taken_once_safe_not_asked_again():
    """At the question of who is speaking, an opening the learned layer took
    for possible danger is asked about; "yes I'm safe" takes it as said: the
    perspective is chosen, the next question asked, one journal entry kept."""
    opening = "my husband had a second phone he kept in his gym bag and he won't show me what's on it"
    d = fresh()
    d.say("no")  # not now: to the question of who is speaking
    assert d.progress.step == "who"
    d.engine.safety = _Guessing(d.engine.safety, opening)
    d.say(opening)
    assert d.engine.mode == "safety_check"
    d.said.clear()
    d.say("yes I'm safe")
    assert d.progress.perspective == "hurt" and d.progress.step != "who"
    first, taken = [e for e in d.entries if e.answer == opening]
    assert first.intent == "safety_check" and taken.intent == "hurt"
    assert taken.amends and (taken.section, taken.step) == (first.section, first.step)  # in its place
    assert "yes I'm safe" not in [e.answer for e in d.entries]
    assert d.said[-1].text.endswith("?")


def test_both_of_us_late_in_an_answer_is_no_correction():
    """Setting right begins an answer ("we both did"); said at its end it is
    part of the answer ("... I wrecked that for both of us")."""
    d = Driver()
    d.start()
    d.say("no")
    d.say("i cheated on my wife with a coworker")
    assert d.progress.perspective == "hurter"
    d.say("when i don't have to perform. she used to be that for me. honestly, i wrecked that for both of us")
    assert d.progress.perspective == "hurter"
    d2 = Driver()
    d2.start()
    d2.say("no")
    d2.say("i cheated on my wife with a coworker")
    d2.say("we both did actually, she had an affair too")
    assert d2.progress.perspective == "both"


def test_the_offer_of_a_moment_follows_an_answer_that_weighs_not_every_heavy_question():
    from assistant.dialog.modes import HEAVY_OFFER
    d = Driver()
    d.start()
    d.say("no")
    d.say("someone broke my trust")
    offers = 0
    for _ in range(12):
        if d.engine.mode == HEAVY_OFFER:
            offers += 1
            d.say("no, keep going")
        elif d.engine.step.kind == "offer_read":
            d.say("no thanks")
        else:
            d.say("i'm not sure")
    assert offers == 0, "short plain answers to heavy questions brought the offer"
    while d.engine.step.kind == "offer_read" or d.engine.mode == HEAVY_OFFER:
        d.say("no thanks")
    for _ in range(10):
        if d.engine.mode == HEAVY_OFFER:
            break
        d.say("it hurts so much, i can't stop crying when i think about it")
    assert d.engine.mode == HEAVY_OFFER


@pytest.mark.parametrize("opening, perspective", [
    ("I'm the one who lied I was using again coke and told her I was clean for most of last year", "hurter"),
    ("I relapsed last year and lied about it and while I was in rehab he slept with someone "
     "so we've both really hurt each other", "both"),
])
def test_a_situation_told_in_words_the_rules_stop_on_is_taken_on_resuming(opening, perspective):
    """The safety rules stop on the opening (the full reply, a pause); on
    resuming, the situation it tells is taken rather than asked for again,
    and the words stay in the journal only as what the safety net heard."""
    d = fresh()
    d.say("no")
    d.say(opening)
    assert d.engine.mode == "paused" and not d.progress.perspective
    d.said.clear()
    d.say("yes I'm safe")
    assert d.progress.perspective == perspective and d.progress.step != "who"
    assert [e.intent for e in d.entries if e.answer == opening] == ["safety"]
    assert d.said[-1].text.endswith("?")


def test_after_a_safety_stop_at_the_choice_words_without_a_situation_ask_for_it():
    d = fresh()
    d.say("no")
    d.say("i don't want to be alive anymore")
    assert d.engine.mode == "paused"
    d.say("resume")
    assert d.progress.step == "who" and not d.progress.perspective
    assert d.engine.mode == "step"
