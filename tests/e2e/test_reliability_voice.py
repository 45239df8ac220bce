"""Kill -9 during spoken sessions, and a device unplugged mid-session, on
the virtual sound card (the typed sessions: test_reliability.py).

21 rounds, a synthesised user answering whenever the assistant falls quiet,
killed during start-up or after 0-2 answers plus 0-3 s (speaking, listening,
recognising, saving): the same checks as for typed sessions.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reflectkit import ondisk

ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ voice
VOICE_KILLS = 21
VOICE_UTTERANCES = [
    ("yes", "en-us"), ("no", "en-gb"), ("i just want to reflect on trust", "en-us+f3"),
    ("i feel safe when people keep their word", "en-us"), ("let's take a break", "en-gb"),
    ("resume", "en-us+m5"), ("read me the section about forgiveness", "en-us"),
    ("stop", "en-us+f3"), ("go on", "en-gb"), ("i'm not sure", "en-us"),
    ("my partner lied to me about money", "en-us+m5"), ("next", "en-us"),
]


@pytest.mark.slow
def test_kill_9_during_voice_sessions(sound_server, tmp_path):
    """SIGKILL at random moments of spoken sessions on the virtual sound card."""
    from reflectkit.voicerun import VoiceRun, espeak_wav, play_into_mic

    rng = random.Random(int(os.environ.get("REFLECT_KILL_SEED", "20240917")) + 1)
    titles = ondisk.spoken_titles()
    wavs = [espeak_wav(text, tmp_path / f"u{i}.wav", voice) for i, (text, voice) in enumerate(VOICE_UTTERANCES)]
    data = tmp_path / "data"
    # Start at an open question (typed), so that spoken answers reach the journal.
    seed = subprocess.run([sys.executable, "-m", "assistant", "--text", "--data-dir", str(data)],
                          input="no\ni just want to reflect on trust\n", text=True, capture_output=True,
                          env=ondisk.env(), cwd=ROOT, timeout=60)
    assert seed.returncode == 0, seed.stderr
    started = time.monotonic()
    live_kills = greeted = 0
    heard: list[str] = []
    for round_no in range(VOICE_KILLS):
        progress, _ = ondisk.read_state(data) if data.exists() else (None, None)
        before_launch, _ = ondisk.read_journal(data) if data.exists() else ([], 0)
        run = VoiceRun(data, tmp_path, "--engine", "sphinx", "--silence", "0.6")
        stop = threading.Event()
        turns = [0]

        def speak() -> None:
            """The user answers when the assistant has spoken and fallen quiet,
            then waits for it to react (a reply, or 8 s) before speaking again."""
            while not stop.is_set() and run.proc.poll() is None:
                # (a caption is printed as its speech starts: give the audio time to begin)
                if run.said() and time.monotonic() - run.lines[-1][0] > 1.0 and run.speaker_quiet_for(0.8):
                    mark = run.mark()
                    play_into_mic(wavs[0] if turns[0] == 0 else rng.choice(wavs))  # "yes": go on
                    turns[0] += 1
                    until = time.monotonic() + 8
                    while run.mark() == mark and time.monotonic() < until and not stop.is_set():
                        stop.wait(0.1)
                    stop.wait(0.5)
                else:
                    stop.wait(0.1)

        user = threading.Thread(target=speak, daemon=True)
        try:
            t_round = time.monotonic()
            if rng.random() < 0.15:
                time.sleep(rng.uniform(0, 2.0))  # during start-up (models, devices)
            else:
                run.wait_for(r"^Reflect: ", 60)
                user.start()
                # After 0-2 answers, 0-3 s on: speaking, listening, recognising or saving.
                want, until = rng.randint(0, 2), time.monotonic() + 45
                while turns[0] < want and time.monotonic() < until and run.proc.poll() is None:
                    time.sleep(0.05)
                time.sleep(rng.uniform(0, 3.0))
            journal_before, _ = ondisk.read_journal(data) if data.exists() else ([], 0)
            alive = run.proc.poll() is None
            if alive:
                os.kill(run.proc.pid, signal.SIGKILL)
            rc = run.proc.wait(30)
            live_kills += alive and rc == -signal.SIGKILL
        finally:
            stop.set()
            if user.is_alive():
                user.join(15)
            if run.proc.poll() is None:
                run.proc.kill()
            run.finish()
        text = run.text()
        assert "Traceback" not in text, text
        heard += run.heard()
        said = run.said()
        greeting = next((s for s in said if re.search(r"welcome|hello|good to hear", s, re.I)), None)
        if greeting is not None:
            greeted += 1
            if progress is None:
                assert re.search(r"^(Welcome to Reflect|Hello, and welcome)", greeting), greeting
            elif progress["finished"]:
                assert re.search(r"end of the article|finished the article", greeting), greeting
            else:
                assert titles[progress["section"]] in greeting, (progress, greeting)

        if not data.exists():
            continue  # killed before the store was opened
        state_after, _ = ondisk.read_state(data)
        _, bad = ondisk.read_journal(data)
        assert bad <= 1
        st = ondisk.status(data)
        assert st.returncode == 0 and "Traceback" not in st.stderr, st.stderr
        if not bad:
            assert st.stderr == "", f"voice round {round_no}: unexpected notice: {st.stderr}"
        status = json.loads(st.stdout)
        if state_after is not None:
            for k in ("section", "step", "sentence", "reading", "paused", "finished"):
                assert status[k] == state_after[k], (round_no, k, status, state_after)
        strays = [f.name for f in data.iterdir() if f.name.startswith(".") and "tmp" in f.name]
        assert strays == [], strays
        journal_after, bad_after = ondisk.read_journal(data)
        assert bad_after == 0 and status["journal_entries"] == len(journal_after)
        keys_after = [ondisk.key(e) for e in journal_after]
        for snapshot in (before_launch, journal_before):
            keys = [ondisk.key(e) for e in snapshot]
            assert keys_after[:len(keys)] == keys, f"voice round {round_no}: journal entries lost"
        ondisk.check_modes(data)
    took = time.monotonic() - started
    print(f"\nvoice kill -9: {VOICE_KILLS} rounds, {live_kills} live kills, {greeted} greetings checked, "
          f"{len(heard)} utterances recognised, {len(ondisk.read_journal(data)[0])} journal entries, {took:.1f} s")
    assert live_kills >= 20
    assert greeted >= 12 and len(heard) >= 8, "the voice sessions never got going"


# ------------------------------------------------------------ devices
def _unload(name: str) -> None:
    """Unload the PulseAudio module that made source or sink ``name``."""
    mods = subprocess.run(["pactl", "list", "short", "modules"], capture_output=True, text=True).stdout
    for line in mods.splitlines():
        cols = line.split("\t")
        if len(cols) > 2 and re.search(rf"(sink|source)_name={re.escape(name)}( |$)", cols[2]):
            subprocess.run(["pactl", "unload-module", cols[0]], check=True)
            return
    raise AssertionError(f"no module made {name}")


@pytest.mark.slow
@pytest.mark.parametrize("which", ["microphone", "speaker"])
def test_a_device_unplugged_mid_session_saves_the_place_and_says_so(card, tmp_path, which):
    """The real thing, not a double: the card's microphone source (or speaker
    sink) is unloaded from PulseAudio while `reflect` is listening. It must
    save the place as a break, say in one sentence what went away, exit 3
    without a traceback or a hang, and the next launch welcomes back there."""
    from reflectkit.voicerun import VoiceRun

    data = tmp_path / "data"
    seed = subprocess.run([sys.executable, "-m", "assistant", "--text", "--data-dir", str(data)],
                          input="no\ni just want to reflect on trust\n", text=True,
                          capture_output=True, env=ondisk.env(), cwd=ROOT, timeout=60)
    assert seed.returncode == 0, seed.stderr
    before, _ = ondisk.read_state(data)
    run = VoiceRun(data, tmp_path, "--engine", "sphinx", card=card)
    try:
        run.wait_for(r"^Reflect: ", 60)
        run.wait_listening()
        _unload(card.mic if which == "microphone" else card.spk)
        t0 = time.monotonic()
        rc = run.proc.wait(20)
        took = time.monotonic() - t0
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
        run.finish()
    text = run.text()
    assert rc == 3, text
    assert "Traceback" not in text, text
    assert f"the {which} went away; your place is saved" in text, text
    print(f"\n{which} unloaded: exit 3 after {took:.1f} s")
    after, _ = ondisk.read_state(data)
    assert after["paused"] is True
    assert (after["section"], after["step"]) == (before["section"], before["step"])
    ondisk.check_modes(data)
    again = subprocess.run([sys.executable, "-m", "assistant", "--text", "--data-dir", str(data)],
                           input="", text=True, capture_output=True, env=ondisk.env(), cwd=ROOT, timeout=60)
    assert again.returncode == 0 and ondisk.spoken_titles()[before["section"]] in again.stdout, again.stdout
