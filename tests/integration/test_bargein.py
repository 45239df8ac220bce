import time

import pytest

from assistant.hearing.frontend import block_rms
from assistant.speech.tts import Tts
from assistant.voice.bargein import BargeIn
from assistant.voice.devices import Mic, Player
from reflectkit.voicerun import espeak_wav, play_into_mic


def test_learns_echo_and_ignores_it():
    b = BargeIn()
    # Only we speak: the mic hears 10-26 % of our level, varying.
    for i in range(200):
        played = 0.2 + 0.1 * (i % 5) / 5
        assert not b.push(0.2 * played * (0.5 + 0.3 * (i % 3)), played)
    # It follows the loud end of the echo (0.26), not its average.
    assert 0.15 < b.ratio < 0.3 and b.learnt == 200
    # Our own loudest echo stays well below the threshold.
    assert b.threshold(0.3) > 2 * 0.26 * 0.3


def test_user_above_echo_triggers_after_hold():
    b = BargeIn()
    for _ in range(100):
        b.push(0.04, 0.2)
    hits = [b.push(0.25, 0.2) for _ in range(10)]
    assert hits.index(True) == 4  # 5 blocks x 20 ms >= 100 ms


def test_short_click_does_not_trigger():
    b = BargeIn()
    for _ in range(50):
        b.push(0.0, 0.2)
    assert not any(b.push(0.5, 0.2) for _ in range(4))
    assert not any(b.push(0.0, 0.2) for _ in range(5))
    assert not b.building


def test_quiet_room_user_triggers_without_playback():
    b = BargeIn()
    assert not any(b.push(0.001, 0.0) for _ in range(20))
    assert any(b.push(0.1, 0.0) for _ in range(10))


def _play_and_watch(player, mic, text, seconds, user_wav=None, user_at=1.0, feed="mic_feed"):
    b = BargeIn()  # the real start: no echo learnt yet
    tts = Tts()
    s = tts.synth(text)
    mic.drain()
    player.play(s.pcm, s.samplerate)
    t0 = time.monotonic()
    proc = None
    _play_and_watch.loudest = 0.0
    while time.monotonic() - t0 < seconds and player.playing:
        if user_wav and proc is None and time.monotonic() - t0 >= user_at:
            proc = play_into_mic(user_wav, wait=False, feed=feed)
        block = mic.read(0.1)
        if block:
            _play_and_watch.loudest = max(_play_and_watch.loudest, block_rms(block))
        if block and b.push(block_rms(block), player.recent_level(at=mic.last_time)):
            player.stop()
            return time.monotonic() - t0
    player.stop()
    return None


@pytest.fixture
def devices(echo_card, monkeypatch):
    """Player and microphone on private devices whose speaker is looped back
    into the microphone (55 %, about -16 dB)."""
    monkeypatch.delenv("PULSE_SINK", raising=False)
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
    player, mic = Player(echo_card.spk), Mic(echo_card.mic)
    yield player, mic, echo_card
    player.close()
    mic.close()


TEXT = ("Trust is something that two people in a relationship can build together "
        "when they decide to trust each other. Stop. Wait. Sometimes trust is broken.")


def test_no_self_trigger_with_echo(devices):
    player, mic, card = devices
    assert _play_and_watch(player, mic, TEXT, 6.0) is None
    # The echo was there: the microphone heard the playback.
    assert _play_and_watch.loudest > 0.01


def test_user_over_echo_triggers(devices, tmp_path):
    player, mic, card = devices
    stop = espeak_wav("stop", tmp_path / "stop.wav", "en-us+f3")
    t = _play_and_watch(player, mic, TEXT, 6.0, user_wav=stop, user_at=2.0, feed=card.feed)
    assert t is not None and 2.0 < t < 2.0 + 0.8
