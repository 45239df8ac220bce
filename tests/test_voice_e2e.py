"""End to end: `reflect` run by voice alone on the virtual sound card.

A synthesised user (several espeak-ng voices) speaks into mic_feed; captions,
saved state and what reached the speaker (spk.monitor) are checked.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from voiceutil import VoiceRun, levels

ROOT = Path(__file__).resolve().parent.parent
ARGS = ("--engine", "sphinx", "--silence", "0.6")
BYE = r"^Reflect: .*goodbye\.$"


def reflect_json(data_dir: Path, *cmd: str):
    out = subprocess.run([sys.executable, "-m", "assistant", *cmd, "--json",
                          "--data-dir", str(data_dir)], capture_output=True, text=True,
                         cwd=str(ROOT), check=True).stdout
    return json.loads(out)


def loud_until(run: VoiceRun, t_from: float) -> float:
    """Seconds after ``t_from`` (monotonic) until spk.monitor fell silent for 0.3 s."""
    pcm = run.rec.pcm()
    t0_rec = run.rec.t0
    lv = levels(pcm)  # 10 ms frames
    start = max(0, int((t_from - t0_rec) / 0.01))
    quiet = 0
    for i in range(start, len(lv)):
        quiet = quiet + 1 if lv[i] < 0.003 else 0
        if quiet >= 30:
            return (i - 29) * 0.01 + t0_rec - t_from
    return float("inf")


@pytest.fixture
def echo(sound_server):
    subprocess.run([str(ROOT / "scripts/sound-server.sh"), "--echo", "55"], check=True)
    yield
    subprocess.run([str(ROOT / "scripts/sound-server.sh"), "--no-echo"], check=True)


def _session(tmp_path: Path, data: Path) -> VoiceRun:
    run = VoiceRun(data, tmp_path, *ARGS)
    run.wait_for(r"^Reflect: .*welcome", 30)
    run.wait_listening()
    m = run.mark()
    run.user("read me the section about forgiveness", "en-us")
    run.wait_for(r"^Reflect: Forgiveness", 20, since=m)
    # Barge in during the second sentence of the reading.
    run.wait_for(r"^Reflect: If you truly want", 30, since=m)
    time.sleep(1.5)
    m = run.mark()
    t_stop = run.user("stop", "en-us+f3")
    run.wait_for(r"^You: stop", 10, since=m)
    silent_after = loud_until(run, t_stop)
    run.wait_for(r"^Reflect: .*go on", 10, since=m)  # the engine's "stopped" prompt
    run.wait_listening()
    m = run.mark()
    run.user("go on", "en-gb")
    # Continues from the sentence it was cut off in.
    run.wait_for(r"^Reflect: If you truly want", 10, since=m)
    run.wait_for(r"^Reflect: .*(\?)$", 120, since=m)  # the reflective question
    run.wait_listening()
    m = run.mark()
    run.user("i'm not sure", "en-us+m5")
    run.wait_for(r"^You: ", 15, since=m)
    run.wait_listening()
    m = run.mark()
    run.user("let's take a break", "en-gb-x-rp+f2")
    run.wait_for(r"^Reflect: .*(break|saved)", 15, since=m)
    run.wait_listening()
    m = run.mark()
    run.user("resume", "en-us")
    run.wait_for(r"^Reflect: .*(pick up|go on|back)", 15, since=m)
    run.wait_listening()
    m = run.mark()
    run.user("goodbye", "en-gb")
    run.wait_for(BYE, 15, since=m)
    assert run.finish() == 0
    return run, silent_after


@pytest.mark.slow
def test_spoken_session_and_relaunch(sound_server, tmp_path):
    data = tmp_path / "data"
    run, silent_after = _session(tmp_path, data)
    heard = run.heard()
    assert "read me the section about forgiveness" in heard
    assert "stop" in heard and "go on" in heard
    assert silent_after < 0.6, f"speaker still playing {silent_after:.2f} s after 'stop'"
    status = reflect_json(data, "status")
    assert status["section"] == "forgiveness" and not status["paused"]
    # Relaunch: welcomed back where we stopped.
    again = VoiceRun(data, tmp_path, *ARGS)
    again.wait_for(r"^Reflect: .*welcome back", 30)
    again.wait_listening()
    m = again.mark()
    again.user("goodbye", "en-us+f3")
    again.wait_for(BYE, 15, since=m)
    assert again.finish() == 0
    assert reflect_json(data, "status")["section"] == "forgiveness"


@pytest.mark.slow
def test_echo_does_not_self_trigger(echo, tmp_path):
    data = tmp_path / "data"
    run = VoiceRun(data, tmp_path, *ARGS)
    run.wait_for(r"^Reflect: .*welcome", 30)
    run.wait_listening()
    m = run.mark()
    run.user("read me the section about forgiveness", "en-us")
    run.wait_for(r"^Reflect: This means you don't want", 120, since=m)
    heard_during_reading = [l for _, l in run.lines[m:] if l.startswith("You:")]
    assert heard_during_reading == ["You: read me the section about forgiveness"]
    run.wait_listening()
    m = run.mark()
    run.user("goodbye", "en-gb")
    run.wait_for(BYE, 20, since=m)
    assert run.finish() == 0


def test_silence_reprompts_then_pauses(sound_server, tmp_path):
    data = tmp_path / "data"
    cfg = tmp_path / "voice.toml"
    cfg.write_text("listen_timeout = 2.0\n")
    run = VoiceRun(data, tmp_path, *ARGS, "--config", str(cfg))
    run.wait_for(r"^Reflect: .*welcome", 30)
    m = run.mark()
    run.wait_for(r"^Reflect: .*(break|saved|rest)", 40, since=m)
    run.wait_listening()
    m = run.mark()
    run.user("resume", "en-us")
    run.wait_for(r"^Reflect: ", 15, since=m)
    run.wait_listening()
    m = run.mark()
    run.user("goodbye", "en-us")
    run.wait_for(BYE, 20, since=m)
    assert run.finish() == 0


def test_no_microphone_exits_3(sound_server, tmp_path):
    r = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(tmp_path),
                        "--input-device", "no-such-mic"], capture_output=True, text=True,
                       cwd=str(ROOT), timeout=60)
    assert r.returncode == 3
    assert "reflect devices" in r.stderr and "--text" in r.stderr
