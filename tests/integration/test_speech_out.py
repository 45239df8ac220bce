"""Speech out: the neural voice by default, espeak-ng as the fallback, text
spoken piece by piece while the rest is synthesised."""

from __future__ import annotations

import time
import wave

import numpy as np
import pytest

from assistant.speech.piper import PIPER_VOICE, piper_voice_files
from assistant.speech.tts import FIRST_CLAUSE_WORDS, Tts, TtsError, pieces
from assistant.voice.devices import Player
from assistant.voice.speaking import SpeechFeed
from reflectkit.voicerun import speak_on_card

# ---------------------------------------------------------------- pure


def test_a_long_first_sentence_starts_at_its_first_clause():
    text = ("The article says trust means feeling safe, physically and emotionally. "
            "When do you feel most safe with someone?")
    assert pieces(text) == [("The article says trust means feeling safe,", 0.05),
                            ("physically and emotionally.", 0.2),
                            ("When do you feel most safe with someone?", 0.0)]


def test_short_sentences_are_not_cut_and_nothing_is_lost():
    text = "Thank you. Shall I read it to you? Yes, or no, as you like."
    got = pieces(text)
    assert [p for p, _ in got] == ["Thank you.", "Shall I read it to you?", "Yes, or no, as you like."]
    long = "Trust is, as the article says, a choice that one makes again and again over years."
    assert len(long.split()) > FIRST_CLAUSE_WORDS
    assert " ".join(p for p, _ in pieces(long)) == long
    assert pieces("Hello there.", stream=False) == [("Hello there.", 0.0)]


# ---------------------------------------------------------------- voices


def test_the_neural_voice_is_the_default_where_installed():
    assert piper_voice_files(), "scripts/install.sh installs the neural voice"
    tts = Tts()
    assert tts.engine == "piper" and tts.voice == "joe"
    s = tts.synth("Trust is something two people build together.")
    assert s.samplerate == 22050 and 1.0 < s.seconds < 6.0
    assert 0.4 * 32767 < np.abs(s.pcm).max() <= 32767  # a quiet sentence at its gain (piper._gain)


def test_without_the_neural_voice_one_note_and_espeak(monkeypatch, tmp_path):
    monkeypatch.setenv(PIPER_VOICE.env, str(tmp_path))  # an empty folder: nothing installed
    notes: list[str] = []
    tts = Tts(note=notes.append)
    assert tts.engine == "espeak"
    assert len(notes) == 1 and "espeak-ng" in notes[0] and "fetch_models.py piper" in notes[0]
    assert tts.synth("Hello there.").seconds > 0.3
    with pytest.raises(TtsError, match="no neural voice"):
        Tts("piper:nobody")


def test_espeak_on_request_and_voices_listed_with_the_one_in_use():
    tts = Tts("espeak")
    assert tts.engine == "espeak"
    marked = [v for v in tts.voices() if v.in_use]
    assert len(marked) == 1 and marked[0].engine == "espeak"
    neural = Tts()
    marked = [v for v in neural.voices() if v.in_use]
    assert [(v.engine, v.id) for v in marked] == [("piper", "joe")]
    assert any(v.engine == "espeak" for v in neural.voices())


def test_slower_and_faster_change_the_neural_voice_length():
    tts = Tts(rate=165)
    # Long enough that the voice's own random variation in timing averages out.
    text = ("Let us take a slow breath together, and then we can look at what the article "
            "says about trust, one part at a time.")
    normal = tts.synth(text).seconds
    tts.adjust_rate(-2)
    slow = tts.synth(text).seconds
    tts.adjust_rate(+4)
    fast = tts.synth(text).seconds
    assert slow > 1.15 * normal and fast < 0.9 * normal, (slow, normal, fast)


def test_a_phrase_said_before_comes_from_the_cache():
    tts = Tts()
    text = "Would you like to take a moment before we continue?"
    tts.synth(text)
    t = time.perf_counter()
    tts.synth(text)
    assert time.perf_counter() - t < 0.02


# ---------------------------------------------------------------- on the sound card


@pytest.mark.audio
def test_speech_is_played_whole_while_later_pieces_are_synthesised(card, clean_env):
    tts = Tts()
    text = ("The article says trust means feeling safe, physically and emotionally. "
            "It takes time to build. When do you feel most safe with someone?")
    whole = tts.synth(text).seconds
    tts.clear_cache()
    _, span = speak_on_card(card, tts, text, limit=whole + 5)
    assert span, "nothing was played"
    assert span > 0.85 * whole, f"played {span:.1f} s of {whole:.1f} s"


@pytest.mark.audio
def test_nothing_is_queued_after_a_stop(card, clean_env):
    tts = Tts()
    text = "First a short one. " + " ".join(f"Then sentence number {w} follows." for w in
                                             ("two", "three", "four", "five"))
    tts.clear_cache()
    player = Player(card.spk)
    try:
        time.sleep(0.3)
        feed = SpeechFeed(tts, player, text)
        player.stop()
        feed.cancel()
        time.sleep(1.5)  # the feed thread would have queued the other sentences by now
        assert not player.playing
        assert not player.append(np.ones(100, dtype=np.int16), 22050, feed.token)
    finally:
        player.close()


def test_read_to_a_file_pauses_longer_between_paragraphs(tmp_path):
    from assistant.cli.main import main
    from assistant.cli.speech import PAUSE_PARAGRAPH, PAUSE_SENTENCE, reading

    out = tmp_path / "forgiveness.wav"
    assert main(["--data-dir", str(tmp_path), "read", "forgiveness", "--to", str(out)]) == 0
    with wave.open(str(out)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    frame = rate // 100
    loud = np.abs(pcm[:len(pcm) // frame * frame].reshape(-1, frame)).max(axis=1) > 300
    gaps, run = [], 0
    for is_loud in loud:
        if is_loud:
            if run:
                gaps.append(run / 100)
            run = 0
        else:
            run += 1
    texts, pauses = reading("Forgiveness & Recovery")
    paragraph_ends = pauses.count(PAUSE_PARAGRAPH)
    assert paragraph_ends >= 2
    long_gaps = [g for g in gaps if g >= PAUSE_PARAGRAPH]
    assert len(long_gaps) >= paragraph_ends - 1  # the last paragraph ends the file
    assert all(g < PAUSE_PARAGRAPH + 0.5 for g in gaps)
    assert sum(1 for g in gaps if g >= PAUSE_SENTENCE) >= len(texts) - 1


def test_likely_replies_are_prepared_in_the_background():
    tts = Tts()
    replies = ["Thank you for telling me that, it matters.", "I hear you. Take your time."]
    tts.prefetch(replies, first_only=True)
    deadline = time.monotonic() + 10
    first = [pieces(r)[0] for r in replies]
    while time.monotonic() < deadline and len(tts._cache) < len(first):
        time.sleep(0.05)
    t = time.perf_counter()
    got = next(tts.stream(replies[0]))
    assert time.perf_counter() - t < 0.02 and got.seconds > 0.5
    assert not any(k[0] == pieces(replies[1])[1][0] for k in tts._cache), "only first pieces"


def test_the_engine_names_the_acknowledgements_it_may_say_next():
    from assistant.dialog import events as ev
    from assistant.dialog.session import load_content, new_engine

    engine = new_engine(load_content(meaning=False), seed=3)
    listens = [a for a in engine.handle(ev.Started()) if isinstance(a, ev.Listen)]
    actions = engine.handle(ev.Heard("no", 0.9))  # no reading: the first question
    listen = next(a for a in actions if isinstance(a, ev.Listen))
    assert listens and listen.replies
    said = [a.text for a in engine.handle(ev.Heard("someone broke my trust", 0.9))
            if isinstance(a, ev.Say)]
    assert said[0] in listen.replies


def test_reflect_voices_marks_the_voice_in_use(capsys, tmp_path):
    from assistant.cli.main import main

    assert main(["voices", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "* joe" in out and "In use: Piper neural voice 'joe'" in out
    assert main(["voices", "--data-dir", str(tmp_path), "--voice", "espeak:en-gb"]) == 0
    out = capsys.readouterr().out
    marked = [line for line in out.splitlines() if line.startswith("  *")]
    assert len(marked) == 1 and "en-gb" in marked[0] and "In use: espeak-ng" in out
    assert main(["voices", "--data-dir", str(tmp_path), "--voice", "piper:nobody"]) == 1
    assert "no neural voice called 'nobody'" in capsys.readouterr().err
