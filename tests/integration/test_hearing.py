"""Hearing with real recognisers (no sound card): the streaming recogniser and
Whisper through `recognise_stream`, as a live session and `reflect hear` use
them; the synthesised user speaks over a quiet room's noise floor."""

from __future__ import annotations

from functools import partial

import pytest

from assistant.cli.hear import default_step, expectation
from assistant.dialog.session import load_content
from assistant.hearing.recognisers import RATE, AsrError, SphinxRecognizer, recognise_stream
from assistant.hearing.turns import Hearing, make_hearing, trails_off
from assistant.understanding.evaluation import predict, says_command
from reflectkit.speech import in_room, speak, speak_with_pauses

BLOCK = 640


@pytest.fixture(scope="module")
def content():
    return load_content()


@pytest.fixture(scope="module")
def hearing(content):
    h = make_hearing("whisper")
    assert h.wait_for_whisper(60), "Whisper did not load"
    h.is_command = partial(says_command, content.matcher)
    return h


@pytest.fixture(scope="module")
def open_step(content):
    step = default_step(content)
    expect, open_ = expectation(content, step)
    assert open_
    return step, expect


class Feed:
    """Blocks of one utterance then quiet, counting how many were read."""

    def __init__(self, pcm: bytes, tail: float = 5.0, wait_for=None) -> None:
        data = pcm + b"\0" * (int(tail * RATE) * 2)
        self.blocks = [data[i:i + BLOCK] for i in range(0, len(data), BLOCK)]
        self.read_count = 0
        self.wait_for = wait_for

    def __call__(self):
        if self.read_count >= len(self.blocks):
            return None
        pending = self.wait_for.pending_words() if self.wait_for else None
        if pending is not None:  # real time would have let the background decoding finish
            pending.result()
        self.read_count += 1
        return self.blocks[self.read_count - 1]

    @property
    def seconds(self) -> float:
        return self.read_count * BLOCK / 2 / RATE


def test_trailing_words_do_not_end_a_thought():
    assert trails_off("and the thing is")
    assert trails_off("I trusted him, but")
    assert trails_off("i was going to say um")
    assert not trails_off("I don't think I can trust him again.")
    assert not trails_off("it still hurts")


def test_natural_command_at_an_open_question(hearing, content, open_step):
    step, expect = open_step
    pcm = in_room(speak("sorry could you say that one more time", "en-gb", 160), -60)
    feed = Feed(pcm, wait_for=hearing)
    res = recognise_stream(feed, hearing, expect, silence=0.8, timeout=None, open_=True)
    assert res.engine == "whisper", res
    assert predict(content, res.text, step)[0] == "repeat", res
    # A command ends at the ordinary pause, not the long one of an answer.
    assert feed.seconds < 0.3 + len(pcm) / 2 / RATE + 1.6, feed.seconds


def test_answer_with_a_pause_is_one_answer(hearing, open_step):
    _, expect = open_step
    speech, last_start = speak_with_pauses(
        ["i think i wanted him to be honest with me", "and i guess i still do"], [1.8],
        "en-us+f3", 160)
    pcm = in_room(speech, -60)
    feed = Feed(pcm, wait_for=hearing)
    res = recognise_stream(feed, hearing, expect, silence=0.8, timeout=None, open_=True,
                           max_seconds=180)
    assert feed.seconds > 0.3 + len(speech) / RATE, "cut short at the pause"
    words = res.text.lower()
    assert "honest" in words and "still do" in words, res


def test_whisper_writes_nothing_for_room_noise(hearing):
    w = hearing.whisper
    from reflectkit.speech import pink_noise

    for dbfs in (-60, -45):
        pcm = (pink_noise(2 * RATE, dbfs) * 32767).astype("<i2").tobytes()
        assert w.transcribe(pcm) == ("", 0.0)
    assert w.transcribe(b"\0" * (2 * RATE * 2)) == ("", 0.0)


def test_exact_digital_silence_does_not_derail_the_grammar():
    """Exact zeros before a clean command made pocketsphinx miss it; the front
    end's dither keeps it on track."""
    words = ["go on", "stop", "let's take a break", "goodbye", "repeat that"]
    heard = []
    for text in words:
        speech = speak(text, "en-us", 150)
        pcm = in_room(speech, None, lead=1.5, tail=0.0)  # exact zeros around it
        res = recognise_stream(Feed(pcm), SphinxRecognizer(), words, silence=0.6, timeout=None)
        heard.append(res.text if res else "")
    assert heard == words


def test_without_whisper_the_streaming_recogniser_hears_alone(monkeypatch, tmp_path):
    monkeypatch.setenv("REFLECT_WHISPER_MODEL", str(tmp_path / "absent"))
    notes: list[str] = []
    h = make_hearing("auto", None, notes.append)
    assert h.has_whisper  # the directory is named, so loading is tried ...
    assert not h.wait_for_whisper(30) and h.whisper is None  # ... and fails
    assert len(notes) == 1 and "fetch_models.py whisper" in notes[0], notes
    pcm = in_room(speak("go on", "en-us", 150), -60)
    res = recognise_stream(Feed(pcm), h, ["go on", "stop"], silence=0.6, timeout=None)
    assert (res.text, res.engine) == ("go on", "sphinx")


def test_asking_for_whisper_when_it_is_absent_is_a_clear_error(monkeypatch):
    import assistant.hearing.whisper as wa

    monkeypatch.setattr(wa, "find_model", lambda: None)
    with pytest.raises(AsrError, match="fetch_models.py whisper"):
        make_hearing("whisper")
    notes: list[str] = []
    h = make_hearing("auto", None, notes.append)
    assert not h.has_whisper and h.name == "sphinx" and "not installed" in notes[0]


def test_sphinx_only_on_request():
    h = make_hearing("sphinx")
    assert isinstance(h, Hearing) and not h.has_whisper and h.name == "sphinx"
