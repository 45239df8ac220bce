"""Understanding by meaning (assistant/understanding/meaning.py) inside the command matcher.

The utterances here were written for these tests; none is an example in
commands.toml or a line of the evaluation sets.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.content.files import content_dir
from assistant.dialog.session import load_content, meaning_for
from assistant.understanding.match import ACCEPT, NONE
from assistant.understanding.meaning import INDEX_FILE, MeaningIndex, read_stored


@pytest.fixture(scope="module")
def content():
    c = load_content()
    assert c.matcher.meaning is not None, c.safety.model_error
    return c


def heard(content, text: str) -> tuple[str, str | None]:
    m = content.matcher.match(text)
    return (m.intent, m.section) if m.score >= ACCEPT else (NONE, None)


@pytest.mark.parametrize("text, intent", [
    ("you're dragging a bit could you pick up the pace", "faster"),
    ("i'm calling it a night", "quit"),
    ("give me that last sentence one more time", "repeat"),
])
def test_commands_in_words_no_example_has(content, text, intent):
    assert heard(content, text)[0] == intent


@pytest.mark.parametrize("text, section", [
    ("let's do the part about saying sorry properly", "apology"),
    ("read me what it says about being patient", "timing"),
])
def test_sections_named_by_what_they_are_about(content, text, section):
    intent, found = heard(content, text)
    assert intent in ("read_section", "goto_section") and found == section


@pytest.mark.parametrize("text", [
    "we keep stopping and starting every time it gets hard",
    "he told me to slow down and think",
    "she read about forgiveness in a magazine",
    "i'm not sure it was worth it in the end",
    "my sister said i should just delete his number",
    "i want to forgive myself first",
])
def test_statements_that_sound_like_commands_stay_answers(content, text):
    assert heard(content, text) == (NONE, None)


def test_every_packaged_text_has_a_stored_vector(content):
    """Else each is encoded at every start (scripts/build_meaning_index.py)."""
    stored = read_stored(content_dir() / INDEX_FILE)
    missing = [t for t in content.matcher.meaning.vectors if t not in stored]
    assert not missing, f"{len(missing)} texts, e.g. {missing[:3]}: run scripts/build_meaning_index.py"


def test_stored_vectors_are_the_encoders(content):
    index = content.matcher.meaning
    for text in list(index.vectors)[:: max(1, len(index.vectors) // 5)]:
        assert float(index.vectors[text] @ index._encode_text(text)) > 0.999


def test_without_the_sentence_model_the_word_matcher_works_alone(content):
    plain = load_content(meaning=False).matcher
    assert plain.meaning is None
    assert plain.match("let's take a break").intent == "pause"
    assert plain.match("read me what it says about being patient").score < ACCEPT


def test_a_missing_index_file_is_rebuilt_from_the_encoder(content, tmp_path):
    assert read_stored(tmp_path / "nothing.npz") == {}
    small = MeaningIndex(lambda t: content.matcher.meaning._encode_text(t),
                         {"pause": ["take a break"], "faster": ["talk faster"]}, ["he was late again"],
                         {"forgiveness": ["forgiveness"]}, stored={})
    found = small.command("let's take a short break")
    assert found is not None and found[0] == "pause"
    assert small.topic("the bit about forgiving someone", "X") == ("forgiveness", "the bit about X")
    assert np.isclose(np.linalg.norm(small.vectors["take a break"]), 1.0, atol=1e-3)


def test_meaning_for_is_none_without_the_model(content):
    class NoModel:
        model = None

    assert meaning_for(type("C", (), {"safety": NoModel, "script": content.script,
                                      "matcher": content.matcher})()) is None
