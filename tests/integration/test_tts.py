import wave

import numpy as np
import pytest

from assistant.hearing.recognisers import SphinxRecognizer, recognise_stream
from assistant.speech.tts import MAX_RATE, MIN_RATE, Tts, TtsError, resample, write_wav
from reflectkit.voicerun import feeder


@pytest.fixture(scope="module")
def tts():
    return Tts()


def test_synth_gives_pcm_and_keeps_stdout_clean(tts, capfd):
    s = tts.synth("Trust is something two people build together.")
    assert s.pcm.dtype == np.int16 and s.samplerate == 22050
    assert 1.0 < s.seconds < 6.0
    assert np.abs(s.pcm).max() > 1000
    assert "Audio saved" not in capfd.readouterr().out


def test_sentence_synthesis_is_fast_and_cached(tts):
    import time

    t = time.perf_counter()
    a = tts.synth("Shall I read the introduction to you?")
    assert time.perf_counter() - t < 0.5
    assert tts.synth("Shall I read the introduction to you?") is a


def test_rate_changes_length_and_is_clamped(tts):
    text = "Let us take a slow breath together."
    tts.rate = 165
    normal = tts.synth(text).seconds
    tts.adjust_rate(-2)
    slow = tts.synth(text).seconds
    tts.adjust_rate(+4)
    fast = tts.synth(text).seconds
    assert slow > normal > fast
    tts.adjust_rate(-100)
    assert tts.rate == MIN_RATE
    tts.adjust_rate(+100)
    assert tts.rate == MAX_RATE
    tts.rate = 165


def test_volume_scales_amplitude():
    loud, soft = Tts(volume=1.0), Tts(volume=0.3)
    a = np.abs(loud.synth("Hello there.").pcm.astype(float)).mean()
    b = np.abs(soft.synth("Hello there.").pcm.astype(float)).mean()
    assert b < 0.6 * a


def test_voice_by_name_and_unknown_voice():
    t = Tts(voice="en-gb")
    assert "en" in t.voice
    with pytest.raises(TtsError, match="no voice"):
        t.set_voice("klingon-xx")


def test_spoken_text_is_recognisable(tts):
    """Round trip: our own synthesised voice decodes to the words we said."""
    s = tts.synth("go on")
    pcm = resample(s.pcm, s.samplerate, 16000).tobytes()
    res = recognise_stream(feeder(pcm), SphinxRecognizer(), ["stop", "go on", "goodbye"],
                           silence=0.5)
    assert res is not None and res.text == "go on"


def test_write_wav(tts, tmp_path):
    out = tmp_path / "x.wav"
    secs = write_wav(str(out), [tts.synth("One."), tts.synth("Two.")])
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert abs(w.getnframes() / w.getframerate() - secs) < 0.01
    assert not (tmp_path / "x.wav.part").exists()


def test_resample_length():
    x = np.arange(22050, dtype=np.int16)
    assert len(resample(x, 22050, 16000)) == 16000


def test_cache_is_bounded_by_size_not_only_by_count():
    from assistant.speech.tts import Tts

    t = Tts(cache_size=64, cache_bytes=300_000)
    for i in range(12):
        t.synth(f"This is sentence number {i}, long enough to take a couple of seconds to say.")
    assert t._cached <= 300_000 and 1 <= len(t._cache) < 12
    assert t._cached == sum(s.pcm.nbytes for s in t._cache.values())
