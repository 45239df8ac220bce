"""Carrying out the engine's actions: the runner, and voice mode over fakes (no sound)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.dialog.events import (
    AdjustRate,
    DeleteJournal,
    Heard,
    Interrupted,
    Listen,
    PlaybackFinished,
    Quit,
    Save,
    Say,
    Silence,
)
from assistant.dialog.runner import carry_out, drive
from assistant.hearing.recognisers import Result
from assistant.storage.records import Progress
from assistant.voice.session import Barged, VoiceSession

SAVE = Save(Progress(section="s", step="a"))
LISTEN = Listen(("yes", "no"), open=True)


class Recorder:
    """A port that records each call; ``barge_at``: the Say text it is talked over at."""

    def __init__(self, barge_at: str = "", heard: list | None = None) -> None:
        self.calls: list[tuple] = []
        self.barge_at = barge_at
        self.heard = heard if heard is not None else [Heard("yes")]

    def say(self, action, listen, answered):
        self.calls.append(("say", action.text, listen, answered))
        if action.text == self.barge_at:
            return [Interrupted(), Heard("stop")]
        return None

    def save(self, action):
        self.calls.append(("save", action))

    def adjust_rate(self, delta):
        self.calls.append(("rate", delta))

    def delete_journal(self):
        self.calls.append(("delete",))

    def listen(self, action):
        self.calls.append(("listen", action))
        return self.heard

    def quit(self):
        self.calls.append(("quit",))


def test_actions_are_carried_out_in_order_and_the_listen_last():
    port = Recorder()
    events = carry_out([SAVE, Say("one"), AdjustRate(-1), LISTEN, DeleteJournal(), Say("two")], port, True)
    assert port.calls == [("save", SAVE), ("say", "one", LISTEN, True), ("rate", -1), ("delete",),
                          ("say", "two", LISTEN, True), ("listen", LISTEN)]
    assert events == [Heard("yes")]


def test_a_say_talked_over_drops_the_rest():
    port = Recorder(barge_at="one")
    events = carry_out([Say("one"), SAVE, Say("two"), LISTEN], port)
    assert port.calls == [("say", "one", LISTEN, False)]
    assert events == [Interrupted(), Heard("stop")]


def test_each_say_is_told_what_follows_it():
    """The next Say of the list, else the Say's own ``then`` (a reading's next
    sentence): a voice prepares it while this one plays."""
    thens = []

    class Port(Recorder):
        def say(self, action, listen, answered):
            thens.append((action.text, action.then))
            return super().say(action, listen, answered)

    carry_out([Say("one"), SAVE, Say("two", then="unused"), LISTEN], Port())
    carry_out([Say("a sentence", kind="reading", then="the next one")], Port())
    assert thens == [("one", "two"), ("two", "unused"), ("a sentence", "the next one")]


def test_quit_ends_at_once():
    port = Recorder()
    assert carry_out([Say("bye"), Quit(), SAVE, LISTEN], port) == []
    assert port.calls == [("say", "bye", LISTEN, False), ("quit",)]


def test_without_a_listen_the_playback_is_finished():
    assert carry_out([Say("a sentence", kind="reading")], Recorder()) == [PlaybackFinished()]
    assert carry_out([SAVE], Recorder()) == [PlaybackFinished()]
    assert carry_out([], Recorder()) == []


def test_drive_sends_what_comes_back_until_nothing_does():
    script = {"start": [Say("one", kind="reading")], "PlaybackFinished": [Say("two"), LISTEN],
              "yes": [Say("bye"), Quit()]}

    class Engine:
        def __init__(self):
            self.got = []

        def handle(self, event):
            key = "start" if event == "start" else type(event).__name__ if not isinstance(event, Heard) else event.text
            self.got.append(event)
            return script[key]

    engine, port = Engine(), Recorder()
    drive(engine, port, "start")
    assert engine.got == ["start", PlaybackFinished(), Heard("yes")]
    assert [c[1] for c in port.calls if c[0] == "say"] == ["one", "two", "bye"]
    assert port.calls[-1] == ("quit",)


# ------------------------------------------------------------ voice mode


class FakeIO:
    """VoiceIO without sound: ``barge`` maps a Say text to what is said over it;
    ``answers`` are what each listen hears (None: the listen timed out)."""

    def __init__(self, barge=None, answers=(), commands=("stop",)) -> None:
        self.barge = barge or {}
        self.answers = list(answers)
        self.said: list[tuple] = []
        self.prepared: list[str] = []
        self.listened: list[tuple] = []
        self.rates: list[int] = []
        self.tts = SimpleNamespace(adjust_rate=self.rates.append)
        self.rec = SimpleNamespace(is_command=lambda text: text in commands)

    def say(self, text, interruptible, expect=(), open_=False, then=""):
        self.said.append((text, interruptible, tuple(expect), open_))
        self.prepared.append(then)
        if text in self.barge:
            return Barged(self.barge[text])
        return None

    def listen(self, expect, open_, timeout, replies=()):
        self.listened.append((tuple(expect), open_, timeout))
        return self.answers.pop(0)


class FakeStore:
    def __init__(self) -> None:
        self.saved: list = []
        self.deleted = 0

    def save(self, progress, entry=None):
        self.saved.append((progress, entry))

    def delete_journal(self):
        self.deleted += 1


def voice(io):
    return VoiceSession(engine=None, store=FakeStore(), io=io)


def test_voice_listens_after_speaking_and_remembers_an_open_question():
    io = FakeIO(answers=[Result("i trust her", 0.8)])
    s = voice(io)
    events = s.execute([SAVE, Say("thanks"), AdjustRate(1), DeleteJournal(), LISTEN])
    assert events == [Heard("i trust her", 0.8)]
    assert io.said == [("thanks", True, ("yes", "no"), False)]
    assert io.listened == [(("yes", "no"), True, True)]
    assert io.rates == [1] and s.store.deleted == 1 and s.store.saved == [(SAVE.progress, None)]
    assert s._heard_open is True


def test_voice_silence_and_words_not_understood():
    io = FakeIO(answers=[None, Result("", 0.7)])
    s = voice(io)
    assert s.execute([Listen(open=False)]) == [Silence()]
    assert s._heard_open is False
    assert s.execute([Listen(open=False)]) == [Heard("", 0.0)]


def test_voice_without_a_listen():
    io = FakeIO()
    s = voice(io)
    assert s.execute([Say("a sentence", kind="reading")]) == [PlaybackFinished()]
    assert s.execute([]) == []
    assert s.execute([Say("bye"), Quit(), LISTEN]) == []
    assert io.listened == []


@pytest.mark.parametrize("answered, words, continues", [
    (True, "and when he listens", True),     # the rest of the answer
    (True, "stop", False),                   # a command
    (True, "", False),                       # not understood
    (False, "and when he listens", False),   # not after an answer
])
def test_voice_words_said_over_a_reply(answered, words, continues):
    io = FakeIO(barge={"thank you": Result(words, 0.6)})
    s = voice(io)
    events = s.execute([SAVE, Say("thank you"), Say("next question"), LISTEN], answered)
    assert events == [Interrupted(), Heard(words, 0.6 if words else 0.0, continues=continues)]
    assert io.said == [("thank you", True, ("yes", "no"), answered)]  # the rest is dropped
    assert io.listened == []
    assert s._heard_open is continues


def test_voice_without_a_command_check_nothing_continues():
    io = FakeIO(barge={"thank you": Result("and more", 0.9)})
    io.rec = SimpleNamespace()
    s = voice(io)
    assert s.execute([Say("thank you"), LISTEN], True) == [Interrupted(), Heard("and more", 0.9)]
    assert s._heard_open is False
