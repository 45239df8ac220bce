"""The dialog engine, driven with typed utterances over the real content."""

from __future__ import annotations

import pytest

from assistant.dialog.events import (
    AdjustRate,
    DeleteJournal,
    Heard,
    Interrupted,
    Silence,
)
from assistant.storage.records import Progress
from reflectkit.enginekit import Driver, content


def fresh() -> Driver:
    d = Driver()
    d.start()
    return d


def test_welcome_then_offer_to_read_the_introduction():
    d = Driver()
    text = d.start()
    assert "Welcome" in text or "welcome" in text
    assert d.progress.section == "introduction"
    assert d.engine.step.kind == "offer_read"


def test_yes_reads_the_section_sentence_by_sentence_then_asks():
    d = fresh()
    d.say("yes")
    readings = [s.text for s in d.said if s.kind == "reading"]
    intro = content().script.by_id("introduction").sentences
    assert len(readings) == len(intro) + 1  # the title, then every sentence
    assert d.engine.mode == "step" and d.progress.reading is False


def test_interrupted_reading_resumes_at_the_same_sentence():
    d = fresh()
    actions = d.engine.handle(Heard("yes"))  # title + first sentence
    from assistant.dialog.events import PlaybackFinished
    d.engine.handle(PlaybackFinished())       # second sentence is playing
    d.engine.handle(Interrupted())
    assert d.progress.sentence == 1 and d.progress.reading
    d.said.clear()
    d.say("stop")
    assert d.engine.mode == "reading_stopped"
    d.said.clear()
    d.say("go on")
    first = [s.text for s in d.said if s.kind == "reading"][0]
    assert first.startswith(content().script.by_id("introduction").sentences[1][:20].replace("’", "'"))


def test_noise_after_barge_in_keeps_reading():
    d = fresh()
    d.engine.handle(Heard("yes"))
    d.engine.handle(Interrupted())
    d.said.clear()
    d.say("the weather is nice today")
    assert any(s.kind == "reading" for s in d.said)


def test_free_answer_is_journaled_with_prompt_and_section():
    d = fresh()
    d.say("no")  # skip reading
    d.say("i just want to reflect on trust")
    d.said.clear()
    d.say("when they keep their promises")
    entries = d.entries
    assert entries[-1].answer == "when they keep their promises"
    assert entries[-1].section == "introduction"
    assert entries[-1].prompt


def test_perspective_choice_is_remembered():
    d = fresh()
    d.say("no")
    d.say("someone broke my trust")
    assert d.progress.perspective == "hurt"


@pytest.mark.parametrize("answer", ["reflect", "just reflecting", "i want to reflect on it",
                                    "i would like to reflect"])
def test_reflecting_answers_the_perspective_question(answer):
    """The assistant's own name is a word of this answer, not a wake word, and
    "just reflecting" answers the question rather than asking to change it."""
    d = fresh()
    d.say("no")
    d.say(answer)
    assert d.progress.perspective == "reflect"
    assert not d.quit


@pytest.mark.parametrize("command,check", [
    ("let's take a break", lambda d: d.engine.mode == "paused" and d.progress.paused),
    ("goodbye", lambda d: d.quit),
    ("where are we", lambda d: "introduction" in d.said[-2].text.lower()),
    ("list the sections", lambda d: "bottom line" in " ".join(s.text for s in d.said).lower()),
    ("help", lambda d: "yes" in " ".join(s.text for s in d.said).lower()),
    ("repeat that", lambda d: d.said[-1].kind == "prompt"),
    ("next", lambda d: d.progress.step != "offer"),
    ("slower", lambda d: True),
    ("faster", lambda d: True),
    ("read me the section about forgiveness", lambda d: d.progress.section == "forgiveness"),
    ("go to the bottom line", lambda d: d.progress.section == "bottom_line"),
    ("what can i say", lambda d: d.engine.mode == "step"),
])
def test_global_commands_work_at_the_first_step(command, check):
    d = fresh()
    d.said.clear()
    d.say(command)
    assert check(d), [s.text for s in d.said]


def test_rate_commands_emit_adjust_rate():
    d = fresh()
    acts = d.engine.handle(Heard("slower"))
    assert any(isinstance(a, AdjustRate) and a.delta == -1 for a in acts)
    acts = d.engine.handle(Heard("speak faster"))
    assert any(isinstance(a, AdjustRate) and a.delta == 1 for a in acts)


def test_back_returns_to_the_previous_step():
    d = fresh()
    d.say("no")
    before = d.progress.step
    d.say("i just want to reflect on trust")
    assert d.progress.step != before
    d.say("go back")
    assert d.progress.step == before


def test_pause_listens_only_for_resume_then_continues():
    d = fresh()
    d.say("let's take a break")
    d.said.clear()
    d.say("what is the meaning of it all")
    assert d.engine.mode == "paused"
    d.say("i'm back")
    assert d.engine.mode == "step" and not d.progress.paused


@pytest.mark.parametrize("words", ["okay i'm work let's carry on", "right so um we can carry on",
                                   "mm okay let's get back to it then"])
def test_on_a_break_a_resume_phrase_among_other_words_resumes(words):
    d = fresh()
    d.say("let's take a break")
    d.say(words)
    assert d.engine.mode == "step" and not d.progress.paused


@pytest.mark.parametrize("words,reading", [("okay you can carry on home", True),
                                           ("no i can't go on", False)])
def test_after_stop_a_go_on_phrase_among_other_words_goes_on(words, reading):
    d = fresh()
    d.engine.handle(Heard("yes"))
    d.engine.handle(Interrupted())
    d.say("stop")
    d.said.clear()
    d.say(words)
    assert any(s.kind == "reading" for s in d.said) is reading
    assert (d.engine.mode == "reading_stopped") is not reading


def test_stop_reading_and_unsure_answers():
    d = fresh()
    d.say("no")
    d.say("i'm not sure")  # a choice step: unsure is not an option
    assert d.progress.step == "who"


def test_two_misses_offer_help():
    d = fresh()
    d.say("purple elephants dancing")
    d.said.clear()
    d.say("purple elephants dancing again")
    assert "help" in " ".join(s.text for s in d.said).lower()


def test_silence_reprompts_then_pauses_and_saves():
    d = fresh()
    d.event(Silence())
    assert d.engine.mode == "step"
    d.event(Silence())
    assert d.engine.mode == "paused" and d.progress.paused
    assert d.saves[-1].progress.paused


def test_low_confidence_command_is_confirmed():
    d = fresh()
    d.said.clear()
    d.say("goodbye", confidence=0.3)
    assert not d.quit and d.engine.mode == "confirm"
    d.say("yes")
    assert d.quit


def test_delete_journal_needs_confirmation():
    d = fresh()
    acts = d.engine.handle(Heard("delete my journal"))
    assert not any(isinstance(a, DeleteJournal) for a in acts)
    acts = d.engine.handle(Heard("no"))
    assert not any(isinstance(a, DeleteJournal) for a in acts)
    d.engine.handle(Heard("delete my journal"))
    acts = d.engine.handle(Heard("yes"))
    assert any(isinstance(a, DeleteJournal) for a in acts)


def test_safety_comes_before_everything_and_pauses():
    d = fresh()
    d.said.clear()
    d.say("he hits me when he is angry")
    kinds = {s.kind for s in d.said}
    assert "safety" in kinds
    assert d.engine.mode == "paused"


def test_every_section_is_reachable_by_name_and_by_next():
    for sec in content().script.sections:
        d = fresh()
        d.say(f"go to {sec.aliases[0]}")
        assert d.progress.section == sec.id, sec.id
    d = fresh()
    seen = {d.progress.section}
    for _ in range(400):
        d.say("next")
        seen.add(d.progress.section)
        if d.progress.finished:
            break
    assert seen == {s.id for s in content().script.sections}
    assert d.progress.finished


def test_resume_after_quit_welcomes_back_at_the_same_step():
    d = fresh()
    d.say("no")
    d.say("i broke someone's trust")
    d.say("goodbye")
    saved = d.saves[-1].progress
    again = Driver(progress=saved)
    text = again.start()
    assert "welcome back" in text.lower() or "again" in text.lower()
    assert again.progress.step == saved.step
    again.say("yes")
    assert again.engine.mode == "step" and again.progress.step == saved.step


def test_resume_mid_reading_continues_from_saved_sentence():
    p = Progress(section="rebuilding", step="offer", sentence=2, reading=True)
    d = Driver(progress=p)
    assert "welcome back" in d.start().lower() or True
    d.said.clear()
    d.say("yes")
    readings = [s.text for s in d.said if s.kind == "reading"]
    expected = content().script.by_id("rebuilding").sentences[2]
    assert readings and readings[0][:30] == expected.replace("’", "'")[:30]


def test_phrasing_never_repeats_twice_in_a_row():
    d = fresh()
    prompts = []
    for _ in range(6):
        d.said.clear()
        d.say("repeat that")
        d.said.clear()
        d.say("purple")  # miss → rephrase with a fresh phrasing
        prompts.append([s.text for s in d.said if s.kind == "prompt"][-1])
    assert all(a != b for a, b in zip(prompts, prompts[1:]))


def test_listen_expect_is_a_short_grammar():
    d = fresh()
    assert 0 < len(d.listen.expect) <= 120
    assert "yes" in d.listen.expect and "goodbye" in d.listen.expect


def test_unintelligible_speech_while_paused_stays_quiet():
    d = fresh()
    d.say("let's take a break")
    d.said.clear()
    d.say("")
    assert d.said == [] and d.engine.mode == "paused"


def test_next_section_skips_the_rest_of_this_one_and_previous_section_goes_back():
    d = fresh()
    d.say("next section")
    assert d.progress.section == "what_is_trust"
    d.say("go to the apology section")
    d.say("previous section")
    assert d.progress.section == "motives"


def test_telling_the_story_is_not_a_change_of_perspective():
    d = fresh()
    d.say("no")
    d.say("i broke someone's trust")
    d.say("when i can be honest")
    d.say("letting it go completely, even if it takes a while")  # forgiving fully
    d.say("no")  # don't read What is Trust?
    step = d.progress.step
    d.say("i lied about where i was")
    assert d.progress.section == "what_is_trust" and d.progress.step != "who"
    assert d.entries[-1].answer == "i lied about where i was"


def test_explicit_change_of_perspective_returns_to_where_we_were():
    d = fresh()
    d.say("no")
    d.say("i broke someone's trust")
    d.say("when i can be honest")
    d.say("letting it go completely, even if it takes a while")  # forgiving fully
    d.say("no")
    here = (d.progress.section, d.progress.step)
    d.say("actually i want to change my situation")
    assert d.progress.step == "who"
    d.say("someone broke my trust")
    assert d.progress.perspective == "hurt"
    assert d.progress.section == here[0]


def test_a_choice_nobody_can_answer_falls_back_after_three_tries():
    d = fresh()
    d.say("no")
    for _ in range(3):
        d.say("purple elephants")
    assert d.progress.step != "who" and d.progress.perspective == "reflect"


def test_a_shaky_section_request_is_confirmed_by_name():
    """"Did you want me to read Stalking isn't Trust?": a misheard section
    shows in the question, and "no" leaves everything as it was."""
    d = fresh()
    said = d.say("read me the section about stalking", confidence=0.3)
    assert "Stalking" in said and "?" in said
    assert d.progress.section == "introduction"
    d.say("no")
    assert d.progress.section == "introduction"
    said = d.say("read me the section about forgiveness")
    assert d.progress.section == "forgiveness"


@pytest.mark.parametrize("words", ["we both broke each other's trust", "a bit of both really",
                                   "both of us did things we regret"])
def test_both_partners_broke_trust_is_a_perspective_with_its_own_path(words):
    d = fresh()
    d.say("no")  # to the offer to read: now at the perspective question
    d.say(words)
    assert d.progress.perspective == "both"
    script = d.engine.script
    steps = [st for sec in script.sections for st in sec.steps.values()]
    # Their path holds the questions for the one hurt and for the one who hurt.
    assert any("both" in st.perspectives and "hurt" in st.perspectives and "hurter" not in st.perspectives
               for st in steps)
    assert any("both" in st.perspectives and "hurter" in st.perspectives and "hurt" not in st.perspectives
               for st in steps)


def test_a_correction_right_after_the_choice_changes_the_perspective():
    d = fresh()
    d.say("no")
    d.say("my husband cheated on me")
    assert d.progress.perspective == "hurt"
    entries = len(d.entries)
    said = d.say("wait, no, I'm the one who broke his trust")
    assert d.progress.perspective == "hurter"
    assert "wrong way" in said or "putting me right" in said or "misunderstood" in said
    assert len(d.entries) == entries, "a correction is not kept as an answer"


def test_a_correction_naming_the_same_perspective_or_coming_late_is_an_answer():
    d = fresh()
    d.say("no")
    d.say("someone broke my trust")
    d.say("no, nobody has made me feel safe for a long time")
    assert d.progress.perspective == "hurt"
    for _ in range(3):
        d.say("i feel safe when people keep their word")
    d.say("no, I'm the one who broke the trust, really")
    assert d.progress.perspective == "hurt"


@pytest.mark.parametrize("words", ["what can i say", "stop", "go back"])
def test_unsure_words_over_a_reading_stop_it_without_a_question(words):
    """Words misheard over its own voice ("stop" taken as "what can I say"):
    the reading has stopped, and that is what it says; no question about help."""
    d = fresh()
    d.engine.handle(Heard("yes"))
    d.engine.handle(Interrupted())
    d.said.clear()
    d.say(words, confidence=0.3)
    assert d.engine.mode == "reading_stopped"
    assert not any(s.kind == "reading" for s in d.said)
    assert any("go on" in s.text.lower() for s in d.said), [s.text for s in d.said]
    assert not any("just to check" in s.text.lower() for s in d.said)
