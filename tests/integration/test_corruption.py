"""Corrupt or foreign progress and journal files, through the `reflect` CLI.

Whatever is in the data directory, `reflect --text`, `reflect status` and
`reflect journal`: never show a traceback; move a bad file aside to a
backup (byte for byte, 0600) and say so in one sentence on stderr; carry on
with the session; never drop a readable journal entry; and say nothing the
next time (the damage was dealt with once).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reflectkit.cli import shown

ROOT = Path(__file__).resolve().parents[2]

ORIGINAL_ANSWERS = ["first answer about safety", "second answer about promises"]
FORGIVING = "letting it go completely in the end"  # to the introduction's question after safety
# Welcomed back: "yes" continues, then free answers. Started fresh: "yes" reads
# the introduction, the perspective is chosen, then free answers.
STREAM = "\n".join(["yes", "new answer alpha", "i just want to reflect on trust", "new answer beta",
                    "no", "new answer gamma", "resume", "no", "new answer delta"]) + "\n"


def reflect(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.pop("REFLECT_SCRIPTS_DIR", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, text=True,
                          capture_output=True, env=e, timeout=60, cwd=ROOT)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def journal_answers(d: Path) -> list[str]:
    r = reflect("journal", "--json", "--data-dir", str(d))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return [e["answer"] for e in json.loads(r.stdout)]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A data directory after a real session: state, previous state, two answers."""
    d = tmp_path_factory.mktemp("saved") / "data"
    r = reflect("--text", "--data-dir", str(d),
                stdin="no\ni just want to reflect on trust\n" + ORIGINAL_ANSWERS[0] + "\n" + FORGIVING
                      + "\nno\n" + ORIGINAL_ANSWERS[1] + "\n")
    assert r.returncode == 0, r.stderr
    assert journal_answers(d) == SAVED_ANSWERS
    assert (d / "state.json").exists() and (d / "state.json.prev").exists()
    return d


SAVED_ANSWERS = ["i just want to reflect on trust", ORIGINAL_ANSWERS[0], FORGIVING, ORIGINAL_ANSWERS[1]]


@pytest.fixture
def data(saved, tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(saved, d)
    return d


def one_notice(stderr: str) -> str:
    """The single line the user is told; checks its shape."""
    assert "Traceback" not in stderr, stderr
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("reflect: ") and line.endswith("."), line
    return line


def backup_named_in(notice: str, d: Path, original: bytes) -> Path:
    live = {"state.json", "state.json.prev", "journal.jsonl"}
    names = [p for p in d.iterdir() if p.name in notice and p.name not in live]
    assert len(names) == 1, (notice, sorted(p.name for p in d.iterdir()))
    backup = names[0]
    assert backup.read_bytes() == original, "the backup must keep the file byte for byte"
    assert mode(backup) == 0o600
    return backup


def session_goes_on(d: Path, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the session printed nothing"
    answers = journal_answers(d)
    assert any(a.startswith("new answer") for a in answers), (answers, result.stdout)
    again = reflect("--text", "--data-dir", str(d), stdin="yes\n")
    assert again.returncode == 0 and again.stderr == "", again.stderr  # told once, not every time
    st = reflect("status", "--json", "--data-dir", str(d))
    assert st.returncode == 0 and st.stderr == "" and json.loads(st.stdout)["section"], shown(st)
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in d.iterdir():  # (something that was a directory is kept as one, owner only)
        assert mode(f) == (0o700 if f.is_dir() else 0o600), f


# ------------------------------------------------------------------ state.json
def _cut(raw: bytes) -> bytes:
    return raw[:len(raw) // 2]


STATE_CASES = {
    "empty": lambda raw: b"",
    "truncated": _cut,
    "zeros": lambda raw: b"\0" * len(raw),  # what a crash on some file systems leaves
    "garbage": lambda raw: bytes(range(256)) * 4,
    "not utf-8": lambda raw: raw.replace(b'"progress"', b'"pr\xffgress"'),
    "json array": lambda raw: b"[1, 2, 3]",
    "json string": lambda raw: b'"hello"',
    "foreign object": lambda raw: json.dumps({"name": "another program", "volume": 7}).encode(),
    "wrong types": lambda raw: json.dumps({"schema": 1, "progress": {"section": 5, "step": []}}).encode(),
    "negative sentence": lambda raw: json.dumps({"schema": 1, "progress": {"section": "introduction",
                                                                           "sentence": -3}}).encode(),
    "schema not a number": lambda raw: json.dumps({"schema": "one", "progress": {}}).encode(),
    "unknown old schema": lambda raw: json.dumps({"schema": -1, "progress": {}}).encode(),
    "deeply nested": lambda raw: b"[" * 100000,
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_damaged_state_moved_aside_session_continues(data, case):
    path = data / "state.json"
    bad = STATE_CASES[case](path.read_bytes())
    path.write_bytes(bad)
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    notice = one_notice(r.stderr)
    assert "saved place" in notice
    backup = backup_named_in(notice, data, bad)
    assert ".corrupt-" in backup.name
    # The previous good copy was used: the user is welcomed back, not started over.
    assert "welcome back" in r.stdout.lower() or "again" in r.stdout.lower(), r.stdout[:300]
    answers = journal_answers(data)
    assert answers[:len(SAVED_ANSWERS)] == SAVED_ANSWERS
    session_goes_on(data, r)


def test_future_version_state_and_prev_kept_aside(data):
    future = json.dumps({"schema": 99, "progress": {"section": "apology", "hologram": True}}).encode()
    (data / "state.json").write_bytes(future)
    (data / "state.json.prev").write_bytes(future)
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    notice = one_notice(r.stderr)
    assert "newer version" in notice
    backup = backup_named_in(notice, data, future)
    assert ".future-" in backup.name
    prev_backups = list(data.glob("state.json.prev.future-*"))
    assert len(prev_backups) == 1 and prev_backups[0].read_bytes() == future
    session_goes_on(data, r)
    assert journal_answers(data)[:len(SAVED_ANSWERS)] == SAVED_ANSWERS


def test_both_state_copies_damaged_starts_fresh_keeps_journal(data):
    (data / "state.json").write_bytes(b"{ torn")
    (data / "state.json.prev").write_bytes(b"\0\0\0")
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    one_notice(r.stderr)
    assert r.stdout.startswith(("Welcome to Reflect", "Hello, and welcome")), r.stdout[:200]
    assert len(list(data.glob("state.json.corrupt-*"))) == 1
    assert len(list(data.glob("state.json.prev.corrupt-*"))) == 1
    session_goes_on(data, r)
    assert journal_answers(data)[:len(SAVED_ANSWERS)] == SAVED_ANSWERS


def test_only_a_damaged_prev_is_reported(data):
    (data / "state.json").unlink()
    (data / "state.json.prev").write_bytes(b"garbage")
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    notice = one_notice(r.stderr)
    backup_named_in(notice, data, b"garbage")
    session_goes_on(data, r)


def test_state_that_is_a_directory(data):
    (data / "state.json").unlink()
    (data / "state.json").mkdir()
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    notice = one_notice(r.stderr)
    assert "saved place" in notice
    session_goes_on(data, r)


def test_status_on_a_damaged_state_answers_and_tells(data):
    (data / "state.json").write_bytes(b"\xff\xfe{{{")
    r = reflect("status", "--json", "--data-dir", str(data))
    assert r.returncode == 0, shown(r)
    one_notice(r.stderr)
    status = json.loads(r.stdout)
    assert status["section"] and status["journal_entries"] == len(SAVED_ANSWERS)


# --------------------------------------------------------------- journal.jsonl
GOOD = [json.dumps({"v": 1, "section": "introduction", "prompt": "Q?", "answer": a, "intent": "none",
                    "step": "safe", "time": "2024-01-01T00:00:00+00:00"}) for a in ORIGINAL_ANSWERS]


def _lines(*lines: bytes | str) -> bytes:
    return b"".join((x.encode() if isinstance(x, str) else x) + b"\n" for x in lines)


JOURNAL_CASES = {
    # name: (file bytes, readable answers expected, lines that cannot be read)
    "torn last line": (_lines(*GOOD) + GOOD[0][:25].encode(), ORIGINAL_ANSWERS, 1),
    "garbage in the middle": (_lines(GOOD[0], b"\x00\x01\x02 junk \xff", GOOD[1]), ORIGINAL_ANSWERS, 1),
    "binary junk": (bytes(range(256)) * 8, [], 9),  # 9 "lines" between the 8 newlines
    "zeros": (b"\0" * 300, [], 1),
    "future version line": (_lines(GOOD[0], GOOD[1].replace('"v": 1', '"v": 2')), ORIGINAL_ANSWERS[:1], 1),
    "wrong types": (_lines(GOOD[0], json.dumps({"v": 1, "answer": 42, "section": None}), GOOD[1]),
                    ORIGINAL_ANSWERS, 1),
    "foreign json": (_lines("[1, 2]", '"text"', "null", GOOD[0], GOOD[1]), ORIGINAL_ANSWERS, 3),
    "not utf-8": (_lines(GOOD[0], GOOD[1].encode().replace(b"second", b"s\xe9cond")),
                  ORIGINAL_ANSWERS[:1], 1),
    "deeply nested": (_lines(GOOD[0], b"[" * 100000, GOOD[1]), ORIGINAL_ANSWERS, 1),
    "utf-8 bom": (b"\xef\xbb\xbf" + _lines(*GOOD), ORIGINAL_ANSWERS[1:], 1),
}


@pytest.mark.parametrize("case", sorted(JOURNAL_CASES))
def test_damaged_journal_kept_as_backup_good_entries_stay(data, case):
    bad, readable, unreadable = JOURNAL_CASES[case]
    (data / "journal.jsonl").write_bytes(bad)
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    notice = one_notice(r.stderr)
    assert f"{unreadable} journal line(s) could not be read" in notice, notice
    backup = backup_named_in(notice, data, bad)
    assert backup.name.startswith("journal.jsonl.damaged-")
    answers = journal_answers(data)
    assert answers[:len(readable)] == readable
    assert len([a for a in answers if not a.startswith("new answer")]) >= len(readable)
    session_goes_on(data, r)


def test_empty_journal_is_just_empty(data):
    (data / "journal.jsonl").write_bytes(b"")
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    assert r.stderr == "", r.stderr
    assert not list(data.glob("journal.jsonl.*"))
    session_goes_on(data, r)


def test_journal_that_is_a_directory_is_moved_aside(data):
    (data / "journal.jsonl").unlink()
    (data / "journal.jsonl").mkdir()
    (data / "journal.jsonl" / "notes.txt").write_text("mine")
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    assert "journal" in one_notice(r.stderr)
    kept = list(data.glob("journal.jsonl.not-a-file-*"))
    assert len(kept) == 1 and (kept[0] / "notes.txt").read_text() == "mine"
    session_goes_on(data, r)


def test_blank_and_crlf_lines_are_not_damage(data):
    (data / "journal.jsonl").write_bytes(b"\n\n" + GOOD[0].encode() + b"\r\n  \n" + GOOD[1].encode() + b"\r\n")
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    assert r.stderr == "", r.stderr
    assert journal_answers(data)[:2] == ORIGINAL_ANSWERS
    session_goes_on(data, r)


def test_journal_command_on_a_damaged_journal(data):
    bad = _lines(*GOOD) + b'{"v": 1, "answ'
    (data / "journal.jsonl").write_bytes(bad)
    r = reflect("journal", "--json", "--data-dir", str(data))
    assert r.returncode == 0, shown(r)
    backup_named_in(one_notice(r.stderr), data, bad)
    assert [e["answer"] for e in json.loads(r.stdout)] == ORIGINAL_ANSWERS
    md = data.parent / "export.md"
    r = reflect("journal", "--export", str(md), "--data-dir", str(data))
    assert r.returncode == 0 and r.stderr == "", shown(r)
    assert all(a in md.read_text() for a in ORIGINAL_ANSWERS)


def test_torn_line_then_new_answers_are_not_glued_to_it(data):
    """A kill mid-append leaves a line without newline; the next answer must not join it."""
    torn = _lines(*GOOD) + b'{"v": 1, "section": "introduction", "answer": "half'
    (data / "journal.jsonl").write_bytes(torn)
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    assert r.returncode == 0, shown(r)
    one_notice(r.stderr)
    raw = (data / "journal.jsonl").read_bytes()
    assert raw.endswith(b"\n")
    for line in raw.splitlines():
        json.loads(line)  # every line on disk is whole
    session_goes_on(data, r)


def test_both_files_damaged_two_sentences(data):
    (data / "state.json").write_bytes(b"")
    (data / "journal.jsonl").write_bytes(_lines(GOOD[0], "}{", GOOD[1]))
    r = reflect("--text", "--data-dir", str(data), stdin=STREAM)
    assert r.returncode == 0 and "Traceback" not in r.stderr, shown(r)
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and all(x.startswith("reflect: ") and x.endswith(".") for x in lines), r.stderr
    assert journal_answers(data)[:2] == ORIGINAL_ANSWERS
    session_goes_on(data, r)
