"""What a killed `reflect` session left on disk: the saved place, the
journal, the files' modes; and `reflect status` on it. Shared by the kill -9
tests of typed and of spoken sessions."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("REFLECT_SCRIPTS_DIR", None)
    return env


def spoken_titles() -> dict[str, str]:
    from assistant.content.scripts import load_scripts
    return {s.id: s.spoken_title for s in load_scripts().sections}


def read_state(d: Path):
    """(progress dict or None, raw bytes) of state.json as on disk."""
    path = d / "state.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None
    data = json.loads(raw)  # an atomic replace: must always parse
    return data["progress"], raw


def read_journal(d: Path) -> tuple[list[dict], int]:
    """Complete, readable lines of journal.jsonl, and how many were not."""
    path = d / "journal.jsonl"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    good, bad = [], 0
    complete = raw[:raw.rfind(b"\n") + 1] if b"\n" in raw else b""
    for line in complete.split(b"\n"):
        if not line.strip():
            continue
        try:
            good.append(json.loads(line.decode("utf-8")))
        except ValueError:
            bad += 1
    if raw[len(complete):].strip():
        bad += 1  # a torn last line
    return good, bad


def key(e: dict) -> tuple:
    return (e.get("section"), e.get("step"), e.get("prompt"), e.get("answer"), e.get("time"))


def check_modes(d: Path) -> None:
    assert stat.S_IMODE(d.stat().st_mode) == 0o700, oct(d.stat().st_mode)
    for f in d.iterdir():
        assert stat.S_IMODE(f.lstat().st_mode) == 0o600, (f.name, oct(f.lstat().st_mode))


def status(data: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", "status", "--json", "--data-dir", str(data)],
                          capture_output=True, text=True, env=env(), cwd=ROOT, timeout=60)
