"""A shortened soak (scripts/soak.py, 60 s): noise, long silences, nonsense and
real answers on the virtual sound card; memory and queues stay bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reflectkit.cli import shown

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_soak_60_seconds(sound_server, tmp_path):
    data = tmp_path / "data"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "soak.py"), "--duration", "60",
                        "--warmup", "20", "--json", "--quiet", "--data-dir", str(data), "--seed", "3"],
                       capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert "Traceback" not in r.stderr, r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"\nsoak 60 s: RSS {summary['rss_after_warmup_mb']} -> {summary['rss_end_mb']} MB "
          f"({summary['rss_growth_mb_per_min']} MB/min), peak mic queue {summary['peak_mic_queue_blocks']}, "
          f"heard {summary['heard']}, user {summary['user']}, turns {summary['turns']}")
    assert r.returncode == 0, (r.returncode, summary)
    assert summary["crashed"] is None
    assert 55 <= summary["duration_s"] <= 90, summary["duration_s"]
    assert summary["samples"] >= 50
    # The session ran: it spoke, listened and heard the simulated user.
    assert summary["events"].get("action:Say", 0) >= 3 and summary["heard"] >= 1, summary["events"]
    # Bounded: memory after warm-up (the speech cache is filling: allow a little),
    # the microphone queue (below), descriptors and threads.
    assert summary["rss_growth_after_warmup_mb"] < 25, summary
    # After an answer the microphone is not read while Whisper finishes (about
    # 0.8 s) and the reply's first speech is made (at most SpeechFeed's 1 s
    # hold and its first piece): 53-69 blocks on an idle machine, up to 121
    # late in a full test run. A loop that falls behind or sticks grows past 3 s.
    assert summary["peak_mic_queue_blocks"] is not None and summary["peak_mic_queue_blocks"] < 150
    assert summary["fds_end"] <= summary["fds_after_warmup"] + 3
    assert summary["threads_end"] <= 8
    assert summary["peak_tts_cache"] <= 64
    # What it saved on the way loads.
    st = subprocess.run([sys.executable, "-m", "assistant", "status", "--json", "--data-dir", str(data)],
                        capture_output=True, text=True, cwd=ROOT, timeout=60,
                        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert st.returncode == 0 and st.stderr == "" and json.loads(st.stdout)["section"], shown(st)
