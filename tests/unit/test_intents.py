"""Global-command matching on recogniser-style text (assistant.understanding.words).

Paraphrases here are written for the tests: none is an example in
commands.toml, so they check that matching generalises. Speed is measured
by `reflect nlu --eval`, not asserted here.
"""

from __future__ import annotations

import pytest

from assistant.dialog.session import load_content
from assistant.understanding.match import ACCEPT, NONE
from assistant.understanding.normalise import Normaliser
from assistant.understanding.words import IntentMatcher


@pytest.fixture(scope="module")
def matcher() -> IntentMatcher:
    return load_content().matcher


def understood(matcher: IntentMatcher, text: str) -> str:
    m = matcher.match(text)
    return m.intent if m.score >= ACCEPT else NONE


PARAPHRASES = {
    "pause": ["could i have a little break", "hmm can we pause it for a while",
              "i gotta step out for a second", "let's stop for a few minutes i need some water"],
    "resume": ["okay i'm back we can go on", "let's keep on going", "alright continue please",
               "i'm ready to carry on now"],
    "repeat": ["sorry could you ask me that again", "i didn't quite hear the question",
               "what was that you said", "say that once more please"],
    "next": ["can we just skip that one", "let's go to the next one please",
             "i don't really want to answer this let's move on", "skip please"],
    "back": ["can we go back one question", "go back to the one before",
             "i'd like to return to the previous question"],
    "stop_reading": ["stop stop stop", "okay hold on a sec", "please be quiet", "wait a minute stop reading",
                     "hush please"],
    "slower": ["you're going way too fast for me", "please talk slower",
               "can you slow down a little bit", "slow it down a lil bit"],
    "faster": ["can you go a bit quicker", "you could speed up a little",
               "talk a bit faster please", "you are way too slow"],
    "help": ["i'm not sure what i can say here", "so what am i meant to do now",
             "can you tell me the commands", "how do i work this"],
    "where_am_i": ["which section are we on right now", "where are we at in the article",
                   "what section am i on"],
    "list_sections": ["which sections do you have", "what are all the topics",
                      "can you tell me what sections there are"],
    "quit": ["ok i'm gonna stop for today goodbye", "i need to go now bye",
             "let's end it for today", "close the session please"],
    "yes": ["yeah okay sure", "yes that's fine", "uh huh", "yep definitely"],
    "no": ["nah i'm good", "nah not really no", "nope"],
    "unsure": ["i'm not really all that sure", "i honestly don't know", "hmm maybe i suppose"],
    "perspective": ["actually it's me who lied to my partner",
                    "no wait i'm the one who broke their trust", "can i pick a different situation"],
    "delete_journal": ["please delete all my answers", "can you erase everything i've told you",
                       "get rid of everything in my journal"],
}


@pytest.mark.parametrize("intent,text", [(i, t) for i, ts in PARAPHRASES.items() for t in ts])
def test_paraphrase_of_each_command(matcher, intent, text):
    assert understood(matcher, text) == intent


@pytest.mark.parametrize("text", [
    "i can't stop thinking about it",
    "he came back late",
    "i keep going back to that night",
    "she said she needed a break from me",
    "he stopped answering my calls",
    "i read his messages last night",
    "i was too quick to forgive her",
    "she said goodbye to him at the station",
    "the next day she apologized",
    "she always repeats the same story",
    "i'm ready to trust again",
    "he deleted all his messages",
    "i wish i could go back in time",
    "we keep pausing the conversation when it gets hard",
    "the weather is nice today",
])
def test_answers_that_contain_command_words_stay_none(matcher, text):
    assert understood(matcher, text) == NONE


@pytest.mark.parametrize("text,intent,section", [
    ("can you read me the stalking section", "read_section", "stalking"),
    ("i'd like to hear the part about rebuilding trust", "read_section", "rebuilding"),
    ("um read me the going forward part please", "read_section", "going_forward"),
    ("read out the bit on apologizing", "read_section", "apology"),
    ("let's go to communication", "goto_section", "communicate"),
    ("could we do the questions on forgiveness", "goto_section", "forgiveness"),  # questions, not the text
    ("take me to forgiveness and recovery", "goto_section", "forgiveness"),
    ("i want to talk about my motives", "goto_section", "motives"),
    ("go to the intro", "goto_section", "introduction"),
    ("jump to the bottom line", "goto_section", "bottom_line"),
    # misheard "section", a name split in two, another form of the name
    ("take me to the timing session", "goto_section", "timing"),
    ("read me the part about for giving", "read_section", "forgiveness"),
    ("let's talk about communicating", "goto_section", "communicate"),
])
def test_section_slot(matcher, text, intent, section):
    m = matcher.match(text)
    assert (m.intent, m.section) == (intent, section)
    assert m.score >= ACCEPT


def test_read_without_a_name_reads_the_current_section(matcher):
    m = matcher.match("can you just read it out")
    assert m.intent == "read_section" and m.section is None


def test_only_section_intents_carry_a_section(matcher):
    m = matcher.match("go back to the previous question about forgiveness")
    assert m.section is None or m.intent in ("read_section", "goto_section")


@pytest.mark.parametrize("text,intent", [
    ("um uh pause", "pause"),
    ("hey so um could you like repeat that please", "repeat"),
    ("erm okay so what section are we in", "where_am_i"),
    ("lets take a break", "pause"),          # no apostrophe from the recogniser
    ("im back", "resume"),
    ("i am back", "resume"),
    ("dont read it", NONE),
    ("wait wait wait", "stop_reading"),      # stutter
    ("hold on hold on", "stop_reading"),
    ("uh huh", "yes"),                       # not the filler "uh" + "huh"
    ("um", NONE),
    ("", NONE),
])
def test_fillers_contractions_and_stutters(matcher, text, intent):
    assert understood(matcher, text) == intent


def test_normaliser_canonical_forms():
    n = Normaliser(["um", "please"], {"let us": "lets", "i am": "im", "ok": "okay"})
    assert n("Um, let's GO please!") == "lets go"
    assert n("let us go") == n("lets go") == n("let's go")
    assert n("I’m ok") == n("i am okay") == "im okay"
    assert n("stop stop stop") == "stop"
    assert n.light("Let's go!") == "let's go"


def test_scores_are_percentages_and_alternatives_differ(matcher):
    for text in ("stop", "goodbye", "read me the part about forgiveness", "he came back late"):
        m = matcher.match(text)
        assert 0.0 <= m.score <= 100.0
        assert all(0.0 <= s <= 100.0 for _, s in m.alternatives)
        assert m.intent not in [i for i, _ in m.alternatives]


def test_bare_stop_is_stop_reading_not_pause(matcher):
    # The engine turns stop_reading into a pause when nothing is being read.
    assert understood(matcher, "stop") == "stop_reading"
    assert understood(matcher, "can we pause") == "pause"
    assert understood(matcher, "stop for today") == "quit"


def test_grammar_phrases_keep_their_spelling(matcher):
    # Recogniser grammars get the examples as written (apostrophes kept).
    assert "let's take a break" in matcher.commands.phrases
    assert all("xsectionx" not in p for p in matcher.commands.phrases)


def test_step_intents_still_match_answers(matcher):
    intents = {"hurt": ["someone broke my trust", "i was the one who got hurt"],
               "hurter": ["i broke someone's trust", "i'm the one who hurt them"]}
    assert matcher.match_step("um i think someone broke my trust", intents).intent == "hurt"
    assert matcher.match_step("the weather is nice", intents).intent == NONE
    assert matcher.match_step("yes", {"yes": [], "no": []}).intent == "yes"


# ------------------------------------------------------- step answers
# Answers written for the tests, not copied from the scripts' examples.

def understood_at(text: str, step: str) -> str:
    """What the engine would act on for this answer at this step."""
    from assistant.understanding.evaluation import predict
    return predict(load_content(), text, step)[0]


@pytest.mark.parametrize("text, step, intent", [
    # Paraphrases worded unlike any example: keywords and stems.
    ("he was sleeping with someone from work", "what_is_trust.how_broken", "cheating"),
    ("she was never around when i needed her", "what_is_trust.how_broken", "not_there"),
    ("he's cheated more than once", "what_is_trust.how_broken", "cheating"),
    ("i'm absolutely raging", "stalking.feelings_after", "angry"),
    # A content answer that opens with yes or no is the content intent ...
    ("yeah i checked his phone", "stalking.urge_to_check", "checked_phone"),
    ("no we keep dodging the subject", "communicate.talked_yet", "avoiding"),
    ("yeah i said sorry but he wouldn't accept it", "apology.apologised", "not_accepted"),
    # ... a bare one stays yes, no or unsure.
    ("yeah i think so", "rebuilding.why_broken", "yes"),
    ("no i haven't", "stalking.urge_to_check", "no"),
    ("i'm not sure", "rebuilding.not_ok", "unsure"),
    # Negation: a negated keyword does not count.
    ("i don't think it's worth it anymore", "worth_it.worth_it_question", "not_worth_it"),
    ("honestly it's worth fighting for", "worth_it.worth_it_question", "feels_worth_it"),
    ("no i haven't looked at his phone", "stalking.urge_to_check", "no"),
    ("counselling isn't for me", "worth_it.counsellor", "reluctant"),
    # Answers that name a section or sound like a command stay answers.
    ("letting it go", "forgiveness.forgiveness_meaning", "letting_go"),
    ("patience", "bottom_line.take_away", "be_patient"),
    ("i need some time alone", "communicate.step_away", "time_alone"),
    # Free answers that fit no intent stay none.
    ("making a cup of tea", "communicate.step_away", NONE),
    ("we've been together for nine years", "what_is_trust.how_broken", NONE),
])
def test_step_answers(text, step, intent):
    assert understood_at(text, step) == intent


def test_commands_still_win_at_a_step():
    assert understood_at("can we take a break", "communicate.step_away") == "pause"
    assert understood_at("go back", "timing.how_long") == "back"


def test_keyword_stems_phrases_and_negation(matcher):
    from assistant.content.scripts import Examples
    intents = {"cheating": Examples(["he had an affair"], ["cheat", "sleeping with"]),
               "worth": Examples(["it is worth it"], ["worth"]),
               "not_worth": Examples(["it is not worth it"], ["not worth"])}
    assert matcher.match_step("she cheated on me twice", intents).intent == "cheating"
    assert matcher.match_step("he was sleeping around with her", intents).intent == "cheating"
    assert matcher.match_step("honestly it isn't worth the pain", intents).intent == "not_worth"
    assert matcher.match_step("i think we're worth the effort", intents).intent == "worth"
    assert matcher.match_step("the weather is nice", intents).intent == NONE


def test_dev_step_answers_reach_the_target():
    from assistant.understanding.evaluation import evaluate
    from reflectkit.data import NLU_DEV
    path = NLU_DEV / "step_answers.tsv"
    assert evaluate(load_content(), path)["accuracy"] >= 0.95


def test_bad_keywords_name_file_and_key(tmp_path):
    from assistant.content.files import ContentError, content_dir
    from assistant.content.scripts import load_scripts
    scripts = tmp_path / "sections"
    scripts.mkdir()
    for f in (content_dir() / "sections").glob("*.toml"):
        (scripts / f.name).write_text(f.read_text())
    target = scripts / "01_what_is_trust.toml"
    text = target.read_text().replace('"cheat", ', '"cheat3", ', 1)
    target.write_text(text)
    with pytest.raises(ContentError) as e:
        load_scripts(scripts)
    assert "01_what_is_trust.toml" in str(e.value)
    assert "steps.how_broken.intents.cheating.keywords[" in str(e.value)


def test_keyword_gaps_negation_inside_and_answers_vs_content():
    def at(text, step):
        return understood_at(text, step)
    # No gap after a possessive: "my trust" is not "my girlfriend's trust".
    assert at("i broke my girlfriend's trust", "introduction.who") == "hurter"
    # A negation inside the gap: "i can't trust him" is not "i trust him".
    assert at("i can't trust him anymore", "worth_it.never_trust_again") == "cannot_trust_again"
    # The step's own keyword says what no means ("not a clue" to "do you know why?").
    assert at("not a clue", "rebuilding.why_broken") == "no"
    assert at("he never told me why", "rebuilding.why_broken") == "no"
    assert at("no idea yet", "apology.avoid_repeat") == "unsure"
    # "didn't know" is not the unsure "don't know"; an opener breaks yes/unsure ties.
    assert at("she froze and didn't know what to say so she lied", "rebuilding.why_broken") == "panicked"
    assert at("yeah sometimes", "worth_it.never_trust_again") == "yes"
    assert at("i'm not sure it was a proper apology", "apology.apologised") == "unsure"
    # Weak ways of saying yes lose when the answer says much more.
    assert at("all the time honestly", "stalking.urge_to_check") == "yes"
    assert at("he says he's sorry all the time", "apology.apologised") == NONE


@pytest.mark.parametrize("text,intent", [
    ("reflect pause", "pause"), ("um reflect go on", "resume"), ("hey reflect help", "help"),
    ("reflect on forgiveness", "goto_section"),
])
def test_the_assistants_name_is_dropped_only_where_it_addresses_it(matcher, text, intent):
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize("text", ["my answer is here", "here is my answer", "i want to reflect on it"])
def test_one_word_of_an_example_is_not_the_example(matcher, text):
    """"answer" alone is not "i don't want to answer that" (next)."""
    assert matcher.match(text).intent not in ("next", "quit")


@pytest.mark.parametrize("text", ["i can't go on", "no i can't go on", "don't stop",
                                  "i don't want to carry on", "please don't continue"])
def test_a_negated_command_is_not_the_command(matcher, text):
    """"can't" is never near "can": the command turned round is not taken."""
    assert understood(matcher, text) not in ("resume", "stop_reading")


def test_says_finds_a_phrase_among_other_words_unless_negated(matcher):
    assert matcher.says("okay you can carry on home", "resume")
    assert not matcher.says("no i can't go on", "resume")
    assert not matcher.says("carry", "resume")
