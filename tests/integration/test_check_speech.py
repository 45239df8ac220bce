"""Everything the assistant says passes the speech check (scripts/check_speech.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_phrasing_is_speakable(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_speech.py"),
                        "--out", str(tmp_path), "--sample", "5"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 phrasing(s) to fix" in r.stdout
    assert len(list(tmp_path.glob("*.wav"))) == 5
