"""Who is speaking: the reader over the sentence vector and word n-grams, and
how its view and the keywords' are weighed (understanding/decide.py)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.understanding.decide import READ_DOUBT, READ_SURE, choose_perspective
from assistant.understanding.match import NONE, Match
from assistant.understanding.reader import TextReader, ngrams, train
from reflectkit.enginekit import Driver

INTENTS = {"hurt": "hurt", "hurter": "hurter", "both": "both", "reflect": "reflect"}


def test_ngrams_are_runs_of_one_to_three_words():
    assert ngrams(["he", "cheated", "on", "me"]) == [
        "he", "cheated", "on", "me", "he_cheated", "cheated_on", "on_me", "he_cheated_on", "cheated_on_me"]


def test_training_learns_word_order_the_vector_cannot_tell(tmp_path):
    """The same (here: empty) sentence vector, told apart by word order alone;
    the stored head reads the same after loading."""
    texts = [("he cheated on me", "hurt"), ("she lied to me", "hurt"),
             ("i cheated on him", "hurter"), ("i lied to her", "hurter")] * 3
    words = [t.split() for t, _ in texts]
    reader = train(np.zeros((len(texts), 4)), words, [p for _, p in texts], ("hurt", "hurter"),
                   steps=500)
    assert reader.read(np.zeros(4), "she cheated on me".split())[0] == "hurt"
    assert reader.read(np.zeros(4), "i cheated on her".split())[0] == "hurter"
    reader.save(tmp_path / "head.npz")
    again = TextReader.load(tmp_path / "head.npz")
    assert again.read(np.zeros(4), "i lied to him".split()) == reader.read(np.zeros(4), "i lied to him".split())


def test_no_head_file_means_no_reader(tmp_path):
    assert TextReader.load(tmp_path / "absent.npz") is None


@pytest.mark.parametrize("found, read, taken", [
    (Match("hurt", 90.0), ("hurt", 0.6), "hurt"),             # agree
    (Match("hurt", 90.0), ("hurter", READ_SURE), "hurter"),    # the reader is sure
    (Match("hurt", 90.0), ("hurter", READ_DOUBT - 0.01), "hurt"),  # it doubts: the keywords stand
    (Match("hurt", 90.0), ("hurter", (READ_DOUBT + READ_SURE) / 2), NONE),  # neither sure: ask
    (Match(NONE, 0.0), ("both", READ_SURE), "both"),
    (Match(NONE, 0.0), ("both", READ_SURE - 0.01), NONE),
    (Match("hurt", 90.0), None, "hurt"),                        # no reader installed
])
def test_the_keywords_and_the_reader_are_weighed(found, read, taken):
    assert choose_perspective(found, read, INTENTS).intent == taken


def test_agreeing_readings_are_as_sure_as_the_surer():
    assert choose_perspective(Match("hurter", 70.0), ("hurter", 0.99), INTENTS).score == pytest.approx(99.0)


@pytest.mark.parametrize("opening, perspective", [
    ("second one", "hurter"),  # an option named by its place, not "one second"
    ("i found out my wife had been gambling our savings away", "hurt"),
    ("my wife found out i'd been gambling our savings away", "hurter"),
])
def test_at_the_question_who_is_speaking_is_read(opening, perspective):
    d = Driver()
    d.start()
    d.say("no")  # not now: to the question of who is speaking
    d.say(opening)
    assert d.progress.perspective == perspective
