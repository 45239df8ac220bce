"""Audio devices on the virtual sound card: playback cut-off, capture, device
choice by name or index, and clear errors for devices that are not there.

Each test has its own virtual devices (the ``card`` fixture), opened by their
PulseAudio names, the way `--output-device NAME` opens them."""

import time

import numpy as np
import pytest

from assistant.hearing.frontend import block_rms
from assistant.hearing.recognisers import SphinxRecognizer, recognise_stream
from assistant.speech.tts import Tts
from assistant.voice.devices import (
    AudioDeviceError,
    Mic,
    Player,
    list_devices,
    resolve_device,
)
from reflectkit.voicerun import Recorder, espeak_wav, levels, play_into_mic, read_pcm

LONG = ("Trust is something that two people in a relationship can build together "
        "when they decide to trust each other, and it takes time to grow.")


@pytest.fixture(scope="module")
def tts():
    return Tts()


def test_stop_cuts_playback_off(card, clean_env, tts):
    player = Player(card.spk)
    rec = Recorder(f"{card.spk}.monitor")
    try:
        s = tts.synth(LONG)
        assert s.seconds > 4
        player.play(s.pcm, s.samplerate)
        time.sleep(1.5)
        assert player.playing
        t_stop = time.monotonic()
        player.stop()
        assert not player.playing
        time.sleep(1.0)
    finally:
        player.close()
        pcm = rec.stop()
    i = rec.index_at(t_stop)
    before = levels(pcm[2 * (i - 8000):2 * i])  # the half second before stop()
    after = levels(pcm[2 * i:])
    assert before.mean() > 0.01, "nothing was playing before stop()"
    loud = np.nonzero(after > 0.003)[0]
    last = (loud[-1] + 1) * 0.01 if len(loud) else 0.0
    assert last < 0.3, f"still sounding {last:.2f} s after stop()"
    assert after[int(0.3 / 0.01):].max(initial=0) < 0.003


def test_wait_returns_when_played_out(card, clean_env, tts):
    player = Player(card.spk)
    try:
        s = tts.synth("Hello there.")
        t0 = time.monotonic()
        player.play(s.pcm, s.samplerate)
        assert player.wait(10)
        took = time.monotonic() - t0
        assert s.seconds <= took < s.seconds + 0.6
        assert not player.playing and player.alive()
        assert player.recent_level(window=took + 0.5) > 0.01  # it knows what it played
    finally:
        player.close()


def test_mic_captures_what_is_played_into_the_feed(card, clean_env, tmp_path):
    mic = Mic(card.mic)
    try:
        wav = espeak_wav("go on", tmp_path / "go.wav", "en-us")
        quiet = [mic.read(1.0) for _ in range(10)]
        assert all(b is not None and len(b) == 640 for b in quiet)  # 20 ms blocks
        assert max(block_rms(b) for b in quiet) < 0.003
        mic.drain()
        play_into_mic(wav, feed=card.feed, wait=False)
        res = recognise_stream(lambda: mic.read(1.0), SphinxRecognizer(),
                               ["stop", "go on", "goodbye"], silence=0.5, timeout=5.0)
        assert mic.last_time > 0
    finally:
        mic.close()
    assert res is not None and res.text == "go on"
    # About as long as what was played (no lost or doubled blocks).
    said = len(read_pcm(wav)) / 2 / 16000
    assert said - 0.1 < res.audio_seconds < said + 1.2


def test_device_by_name_and_index(card, clean_env, tts):
    devs = list_devices()
    outs = [d for d in devs if d.outputs > 0]
    ins = [d for d in devs if d.inputs > 0]
    assert outs and ins
    # By index, by (part of) a PortAudio name, by PulseAudio sink/source name.
    assert resolve_device(str(outs[0].index), "output") == outs[0].index
    assert resolve_device(outs[0].index, "output") == outs[0].index
    assert resolve_device(outs[0].name.upper(), "output") == outs[0].index
    pulse = resolve_device(card.spk, "output")
    assert devs[pulse].name.lower().startswith("pulse")
    assert resolve_device(card.mic, "input") == resolve_device("pulse", "input")
    # A player opened by the sink's name plays into that sink and no other.
    rec = Recorder(f"{card.spk}.monitor")
    player = Player(card.spk)
    try:
        s = tts.synth("Hello there, this is your speaker.")
        player.play(s.pcm, s.samplerate)
        player.wait(10)
        time.sleep(0.3)
    finally:
        player.close()
        pcm = rec.stop()
    assert levels(pcm).max() > 0.01


@pytest.mark.parametrize("spec", ["no-such-device", "9999", "-5"])
@pytest.mark.parametrize("kind", ["input", "output"])
def test_missing_device_is_a_clear_error(sound_server, clean_env, spec, kind):
    with pytest.raises(AudioDeviceError) as e:
        resolve_device(spec, kind)
    msg = str(e.value)
    assert ("microphone" if kind == "input" else "speaker") in msg
    assert "reflect devices" in msg and "--text" in msg and "\n" not in msg


def test_missing_device_when_opening(sound_server, clean_env):
    with pytest.raises(AudioDeviceError, match="speaker"):
        Player("no-such-speaker")
    with pytest.raises(AudioDeviceError, match="microphone"):
        Mic("no-such-mic")


class _GoneMic:
    """A microphone that stopped delivering (unplugged, sound server gone)."""

    last_time = 0.0

    def read(self, timeout):
        time.sleep(min(timeout, 0.05))
        return None

    def drain(self):
        pass


class _SilentPlayer:
    latency = 0.0

    def __init__(self):
        self.playing = False

    samplerate = 22050

    def play(self, pcm, samplerate=None):
        self.playing = True
        return 1

    def append(self, pcm, samplerate, token):
        return self.playing

    def stop(self):
        self.playing = False

    def wait(self, timeout=None):
        self.playing = False
        return True

    def recent_level(self, window=0.4, at=None):
        return 0.0

    def alive(self, stall=2.0):
        return True


class _Store:
    def __init__(self):
        self.saved = []

    def save(self, progress, entry=None):
        self.saved.append(progress)


def test_microphone_lost_mid_session_saves_and_exits_3(monkeypatch, capsys, tts):
    """The engine gets DeviceLost, its Save is carried out, one clear message, exit 3."""
    from assistant.dialog.session import load_content, new_engine
    from assistant.voice import session as voice
    from assistant.voice.config import VoiceConfig
    from assistant.voice.session import Captions, VoiceIO, VoiceSession

    monkeypatch.setattr(voice, "DEVICE_GONE", 0.3)
    engine = new_engine(load_content(), seed=1)
    store = _Store()
    io = VoiceIO(VoiceConfig(), tts, _SilentPlayer(), _GoneMic(), SphinxRecognizer(), Captions())
    t0 = time.monotonic()
    assert VoiceSession(engine, store, io).run() == 3
    assert time.monotonic() - t0 < 10
    assert store.saved and store.saved[-1].paused  # the place is saved, as a break
    err = capsys.readouterr().err
    assert "microphone went away" in err and "saved" in err and "--text" in err
