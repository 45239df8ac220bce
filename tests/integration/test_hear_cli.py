"""`reflect hear FILE.wav...`: one process, one JSON object per file, any WAV
format, a clear line and exit 2 for a bad file while the others are heard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from reflectkit.cli import shown
from reflectkit.speech import in_room, speak, write_wav

ROOT = Path(__file__).resolve().parents[2]


def reflect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True,
                          text=True, cwd=str(ROOT), timeout=300)


def test_hear_many_files(tmp_path):
    import wave

    good = write_wav(tmp_path / "pause.wav", in_room(speak("hang on i need a little break", "en-us", 160), -60))
    # 44.1 kHz stereo: resampled and mixed down.
    pcm = np.frombuffer(in_room(speak("take me to the part on forgiveness please", "en-gb", 150), -60),
                        dtype=np.int16).astype(np.float32)
    from assistant.hearing.frontend import resample

    hi = resample(pcm, 16000, 44100).astype("<i2")
    stereo = tmp_path / "forgiveness.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.repeat(hi[:, None], 2, axis=1).tobytes())
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    r = reflect("hear", str(good), str(tmp_path / "missing.wav"), str(broken), str(stereo), "--json")
    assert r.returncode == 2, r
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [Path(x["file"]).name for x in rows] == ["pause.wav", "forgiveness.wav"]
    assert set(rows[0]) == {"file", "text", "intent", "section", "engine"}
    assert rows[0]["intent"] == "pause" and rows[0]["engine"] == "whisper", rows[0]
    assert rows[1]["intent"] == "goto_section" and rows[1]["section"] == "forgiveness", rows[1]
    errors = [line for line in r.stderr.splitlines() if line.startswith("reflect: ")]
    assert any("missing.wav: no such file" in e for e in errors), r.stderr
    assert any("broken.wav: not a readable WAV file" in e for e in errors), r.stderr
    assert "Traceback" not in r.stderr


def test_hear_at_a_step_and_in_words(tmp_path):
    wav = write_wav(tmp_path / "yes.wav", in_room(speak("yes i'd like that", "en-us+f3", 150), -60))
    r = reflect("hear", str(wav), "--step", "stalking.urge_to_check")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{wav}: ") and "-> yes" in r.stdout, r.stdout
    bad = reflect("hear", str(wav), "--step", "nowhere.step")
    assert bad.returncode == 1 and "no step 'nowhere.step'" in bad.stderr, shown(bad)
