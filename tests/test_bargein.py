import time
from pathlib import Path

import pytest

from assistant.asr import block_rms
from assistant.audio import Mic, Player
from assistant.bargein import BargeIn
from assistant.tts import Tts
from voiceutil import espeak_wav, play_into_mic


def test_learns_echo_and_ignores_it():
    b = BargeIn()
    # Only we speak: the mic hears 20 % of our level, varying.
    for i in range(200):
        played = 0.2 + 0.1 * (i % 5) / 5
        assert not b.push(0.2 * played * (1 + 0.3 * (i % 3)), played)
    assert 0.1 < b.ratio < 0.4


def test_user_above_echo_triggers_after_hold():
    b = BargeIn()
    for _ in range(100):
        b.push(0.04, 0.2)
    hits = [b.push(0.25, 0.2) for _ in range(10)]
    assert hits.index(True) == 7  # 8 blocks x 20 ms >= 150 ms


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


def _play_and_watch(player, mic, text, seconds, user_wav=None, user_at=1.0):
    b = BargeIn(ratio=0.3)
    tts = Tts()
    s = tts.synth(text)
    mic.drain()
    player.play(s.pcm, s.samplerate)
    t0 = time.monotonic()
    proc = None
    while time.monotonic() - t0 < seconds and player.playing:
        if user_wav and proc is None and time.monotonic() - t0 >= user_at:
            proc = play_into_mic(user_wav, wait=False)
        block = mic.read(0.1)
        if block and b.push(block_rms(block), player.recent_level()):
            player.stop()
            return time.monotonic() - t0
    player.stop()
    return None


@pytest.fixture(scope="module")
def devices(sound_server):
    player, mic = Player(), Mic()
    yield player, mic
    player.close()
    mic.close()


TEXT = ("Trust is something that two people in a relationship can build together "
        "when they decide to trust each other. Stop. Wait. Sometimes trust is broken.")


def test_no_self_trigger_with_echo(devices):
    import subprocess

    root = Path(__file__).resolve().parent.parent
    subprocess.run([str(root / "scripts/sound-server.sh"), "--echo", "55"], check=True)
    try:
        assert _play_and_watch(*devices, TEXT, 6.0) is None
    finally:
        subprocess.run([str(root / "scripts/sound-server.sh"), "--no-echo"], check=True)


def test_user_over_echo_triggers(devices, tmp_path):
    import subprocess

    root = Path(__file__).resolve().parent.parent
    stop = espeak_wav("stop", tmp_path / "stop.wav", "en-us+f3")
    subprocess.run([str(root / "scripts/sound-server.sh"), "--echo", "55"], check=True)
    try:
        t = _play_and_watch(*devices, TEXT, 6.0, user_wav=stop, user_at=2.0)
    finally:
        subprocess.run([str(root / "scripts/sound-server.sh"), "--no-echo"], check=True)
    assert t is not None and 2.0 < t < 2.0 + 0.8
