"""Every phrasing of a yes/no question is asked the same way round.

A prompt step with a ``yes`` or ``no`` intent has several phrasings (one is
chosen at random) but one set of yes-acks and no-acks. If one phrasing asks
the opposite way ("could you trust them again?" beside "could you never
trust them again?"), a "yes" to it gets the reply meant for "no".

POLARITY is a hand-reviewed table of every phrasing of every such step and
what answering "yes" to it means. A new or changed phrasing fails the
coverage test until someone has read it, checked that "yes" and "no" to it
fit the step's yes-acks and no-acks, and added it here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.content.article import speakable
from assistant.storage.records import Progress
from reflectkit.enginekit import Driver, content

POLARITY: list[tuple[str, str, str, str]] = [
    # (section file, step id, phrasing, what "yes" means)
    ("02_stalking.toml", "urge_to_check",
     "The article says that when trust is there, you don't need to check up on your partner. "
     "Have you felt the urge to check up on someone?",
     "I have felt the urge to check up on a partner"),
    ("02_stalking.toml", "urge_to_check",
     "Trust, the article says, means not needing to check up on your partner. "
     "Have you found yourself wanting to check?",
     "I have found myself wanting to check"),
    ("02_stalking.toml", "urge_to_check",
     "Have you ever felt the pull to check up on a partner, to make sure everything was as they said?",
     "I have felt the pull to check up on a partner"),

    # No yes intent: "yes" gets the step's acks (a worry is there), "no" that none is.
    ("02_stalking.toml", "talk_concerns",
     "Trust, the article says, means feeling able to talk about any concerns. "
     "Is there a worry you'd like to be able to raise with your partner?",
     "there is a worry I'd like to raise with my partner"),
    ("02_stalking.toml", "talk_concerns",
     "With trust, you can talk about your worries openly. Is there a concern you wish you could say out loud?",
     "there is a concern I wish I could say out loud"),
    ("02_stalking.toml", "talk_concerns",
     "The article links trust to talking about concerns freely. What would you want to say, if it felt safe to say it?",
     "(open question) there is something I'd want to say; 'no' means nothing"),

    ("03_rebuilding.toml", "why_broken",
     "Do you have a sense of why the trust was broken?",
     "I have a sense of why the trust was broken"),
    ("03_rebuilding.toml", "why_broken",
     "When you think about what happened, do you have a sense of why the trust was broken?",
     "I have a sense of why the trust was broken"),
    ("03_rebuilding.toml", "why_broken",
     "The article suggests considering the reason behind a lie or betrayal. Do you have a sense of why it happened?",
     "I have a sense of why it happened"),

    ("03_rebuilding.toml", "not_ok",
     "Whatever happened, the article says it matters to make clear that what they did wasn't okay. "
     "Have you been able to say that?",
     "I have been able to say that what they did wasn't okay"),
    ("03_rebuilding.toml", "not_ok",
     "It's important, the article says, to make it clear the betrayal wasn't okay. Have you told them that?",
     "I have told them the betrayal wasn't okay"),
    ("03_rebuilding.toml", "not_ok",
     "Have you been able to let them know that what happened was not all right?",
     "I have let them know it was not all right"),

    ("04_communicate.toml", "talked_yet",
     "One of the biggest parts of rebuilding trust is talking about what happened. "
     "Have you and your partner been able to talk about it?",
     "we have been able to talk about it"),
    ("04_communicate.toml", "talked_yet",
     "The article says talking about it, even when it's painful, is key. Have you been able to talk it through together?",
     "we have talked it through together"),
    ("04_communicate.toml", "talked_yet",
     "Have the two of you been able to sit down and talk about what happened?",
     "we have sat down and talked about it"),

    ("05_forgiveness.toml", "forgive_self",
     "The article says you may also need to forgive yourself. Do you blame yourself in some way for what happened?",
     "I blame myself in some way"),
    ("05_forgiveness.toml", "forgive_self",
     "Blaming yourself can keep you stuck in self doubt, the article says. Is there something you blame yourself for?",
     "there is something I blame myself for"),
    ("05_forgiveness.toml", "forgive_self",
     "Sometimes the hardest person to forgive is ourselves. Do you carry any blame for what happened?",
     "I carry some blame (self-blame) for what happened"),

    ("08_apology.toml", "apologised",
     "A genuine apology starts with acknowledging that you made a mistake. "
     "Have you been able to apologise to your partner?",
     "I have apologised to my partner"),
    ("08_apology.toml", "apologised",
     "The article says a genuine apology is a good way to begin making amends. Have you apologised yet?",
     "I have apologised"),
    ("08_apology.toml", "apologised",
     "Have you had the chance to tell your partner, plainly, that you were wrong?",
     "I have told my partner plainly that I was wrong"),

    ("08_apology.toml", "counsellor_option",
     "Sometimes a partner keeps monitoring, even after real progress. The article says a couples counsellor "
     "can help then. How do you feel about that kind of support?",
     "(open question) I'm for that kind of support"),
    ("08_apology.toml", "counsellor_option",
     "If progress stalls and checking up continues, a couples counsellor is one option the article mentions. "
     "Would that be something you'd consider?",
     "I would consider a couples counsellor"),
    ("08_apology.toml", "counsellor_option",
     "Some couples find a counsellor helps them work through what's left. How would you feel about that, if it came to it?",
     "(open question) I'd be for a counsellor if it came to it"),

    ("09_timing.toml", "patience",
     "The article says have patience with yourself, and don't let your partner rush you. Do you feel rushed?",
     "I feel rushed"),
    ("09_timing.toml", "patience",
     "Do you feel any pressure from your partner to be over this sooner than you are?",
     "I feel pressure from my partner to be over it sooner"),
    ("09_timing.toml", "patience",
     "Is anyone, maybe even you, pushing you to heal faster than you can?",
     "someone (maybe me) is pushing me to heal faster than I can"),

    ("10_worth_it.toml", "owned_up",
     "The article says that when someone makes a mistake and owns up to it, working on trust may be the right move. "
     "Have you fully owned up to what happened?",
     "I have fully owned up"),
    ("10_worth_it.toml", "owned_up",
     "Owning up to a mistake is part of what makes rebuilding possible. Have you told your partner the whole truth?",
     "I have told my partner the whole truth"),
    ("10_worth_it.toml", "owned_up",
     "Have you been able to take full ownership of what happened, with nothing held back?",
     "I have taken full ownership, nothing held back"),

    ("10_worth_it.toml", "never_trust_again",
     "If you know you could never fully trust your partner again, the article says it's best to say so early. "
     "Does any part of you feel that way?",
     "part of me feels I could never fully trust my partner again"),
    ("10_worth_it.toml", "never_trust_again",
     "Some people realise they can never trust their partner again, whatever they do. "
     "Does that feel close to where you are?",
     "I feel close to never being able to trust my partner again"),
    # Was "Do you believe you could fully trust your partner again, in time?",
    # where "yes" (trust could come back) got the reply meant for "never".
    ("10_worth_it.toml", "never_trust_again",
     "Even with time, does some part of you feel you could never fully trust your partner again?",
     "even with time, part of me feels I could never fully trust my partner again"),

    ("10_worth_it.toml", "counsellor",
     "Every relationship goes through rough patches, and there's no shame in reaching out. "
     "A counsellor can offer an unbiased view. Is that something you'd consider?",
     "I would consider a counsellor"),
    ("10_worth_it.toml", "counsellor",
     "The article says a counsellor can help both partners work through underlying issues. "
     "How do you feel about that as an option?",
     "(open question) I'm for a counsellor as an option"),
    ("10_worth_it.toml", "counsellor",
     "Reaching out for help is nothing to be ashamed of. Would talking to a counsellor be something you'd think about?",
     "I would think about talking to a counsellor"),
]


def _yes_no_steps():
    """(file, section, step) of every step with a yes or no intent, as loaded."""
    out = []
    for section in content().script.sections:
        for step in section.steps.values():
            if "yes" in step.intents or "no" in step.intents:
                out.append((Path(section.source).name, section, step))
    return out


STEPS = _yes_no_steps()
CASES = [(f, s.id, step.id, text) for f, s, step in STEPS for text in step.say]


def test_every_phrasing_of_a_yes_no_question_is_reviewed():
    loaded = {(f, step.id): set(step.say) for f, _, step in STEPS}
    table: dict[tuple[str, str], set[str]] = {}
    for f, step_id, text, means in POLARITY:
        assert means.strip(), f"{f} {step_id}: say what 'yes' means"
        table.setdefault((f, step_id), set()).add(text)
    assert len(POLARITY) == sum(len(v) for v in table.values()), "a phrasing is listed twice"
    for key in sorted(loaded.keys() | table.keys()):
        unreviewed = loaded.get(key, set()) - table.get(key, set())
        gone = table.get(key, set()) - loaded.get(key, set())
        assert not unreviewed and not gone, (
            f"{key[0]} step '{key[1]}': phrasings not reviewed for yes/no polarity: {sorted(unreviewed)}; "
            f"reviewed phrasings no longer in the script: {sorted(gone)}")


def _at(section, step, text: str) -> Driver:
    """An engine that has just asked ``step`` with the phrasing ``text``."""
    perspective = next(p for p in step.perspectives if p in section.perspectives)
    wanted = speakable(text)
    for seed in range(1, 200):
        d = Driver(progress=Progress(section=section.id, step=step.id, perspective=perspective), seed=seed)
        d.start()
        d.say("yes")  # welcome back: carry on where we were
        assert (d.progress.section, d.progress.step) == (section.id, step.id)
        if d.engine.last_prompt == wanted:
            return d
    raise AssertionError(f"{section.id}.{step.id}: never asked as {text!r}")


@pytest.mark.parametrize("answer", ["yes", "no"])
@pytest.mark.parametrize("file,section_id,step_id,text", CASES,
                         ids=[f"{c[1]}.{c[2]}.{c[2 + 1][:24]}" for c in CASES])
def test_yes_and_no_get_the_reply_for_that_answer(file, section_id, step_id, text, answer):
    section = content().script.by_id(section_id)
    step = section.steps[step_id]
    d = _at(section, step, text)
    d.said.clear()
    d.say(answer)
    intent = step.intents.get(answer)
    taken_as = answer if intent else "none"  # no such intent: a free answer, the step's acks
    assert d.entries and d.entries[-1].intent == taken_as, f"{answer!r} was taken as {d.entries[-1].intent!r}"
    assert d.entries[-1].prompt == speakable(text)
    expected = {speakable(a) for a in (intent.ack if intent and intent.ack else step.ack)}
    acks = [s.text for s in d.said if s.kind == "ack"]
    assert acks and acks[0] in expected, f"{answer!r} to {text!r} got {acks}"
