"""A short utterance Whisper heard as words that say no command is heard again
with the commands in mind; the second hearing counts only when it says one
(hearing/turns.py). Whisper is a stand-in here: the rule is pure logic."""

from __future__ import annotations

from assistant.hearing.recognisers import RATE
from assistant.hearing.turns import PROMPT, PROMPT_UP_TO, Hearing


class _Whisper:
    def __init__(self, plain: str, prompted: str) -> None:
        self.plain, self.prompted, self.prompts = plain, prompted, []

    def transcribe(self, pcm: bytes, prompt: str | None = None) -> tuple[str, float]:
        self.prompts.append(prompt)
        return (self.prompted if prompt else self.plain), 0.8


class _Stream:
    name = "stream"

    def start(self, expect, open_=False) -> None:
        pass


def _hear(plain: str, prompted: str, seconds: float = 1.5, expect=()) -> tuple[str, list]:
    hearing = Hearing(_Stream())
    hearing.is_command = lambda text: text.startswith(("resume", "slow"))
    hearing.start(expect, open_=True)
    w = _Whisper(plain, prompted)
    text, _ = hearing._transcribe(w, b"\0\0" * int(seconds * RATE))
    return text, w.prompts


def test_a_misheard_short_command_is_heard_again_and_taken():
    assert _hear("renew please", "resume please") == ("resume please", [None, PROMPT])


def test_the_second_hearing_counts_only_when_it_says_a_command():
    assert _hear("yes i think so", "yes i think so") == ("yes i think so", [None, PROMPT])
    assert _hear("i never checked", "next") == ("i never checked", [None, PROMPT])


def test_a_command_nothing_or_a_long_answer_is_heard_once():
    assert _hear("slow down", "slower") == ("slow down", [None])
    assert _hear("", "resume") == ("", [None])
    assert _hear("renew please", "resume please", seconds=PROMPT_UP_TO + 0.5) == ("renew please", [None])


def test_a_phrase_the_step_expects_is_heard_once():
    assert _hear("not really", "resume", expect=("not really",)) == ("not really", [None])
