"""The store: atomic, private, versioned, and never silently lossy."""

from __future__ import annotations

import json
import os
import stat

from assistant.storage.records import JournalEntry, Progress
from assistant.storage.store import SCHEMA, Store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def entry(answer: str) -> JournalEntry:
    return JournalEntry(section="rebuilding", prompt="Why?", answer=answer, intent="none", step="why")


def test_round_trip_and_modes(tmp_path):
    d = tmp_path / "data"
    s = Store(d)
    s.save(Progress(section="rebuilding", step="why", perspective="hurt"), entry("a misunderstanding"))
    assert mode(d) == 0o700
    assert mode(s.state_path) == 0o600 and mode(s.journal_path) == 0o600
    again = Store(d)
    p = again.load_progress()
    assert p.section == "rebuilding" and p.step == "why" and p.perspective == "hurt"
    assert [e.answer for e in again.load_journal()] == ["a misunderstanding"]
    assert again.load_journal()[0].time  # filled in by the store


def test_modes_even_with_permissive_umask_and_existing_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o777)
    old = os.umask(0)
    try:
        s = Store(d)
        s.save(Progress(section="x", step="y"), entry("hello"))
        s.save(Progress(section="x", step="z"))
    finally:
        os.umask(old)
    assert mode(d) == 0o700
    for f in d.iterdir():
        assert mode(f) == 0o600, f


def test_atomic_write_leaves_no_temp_files(tmp_path):
    s = Store(tmp_path)
    for i in range(20):
        s.save_progress(Progress(section="a", step=f"s{i}"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["state.json", "state.json.prev"]
    assert json.loads(s.state_path.read_text())["schema"] == SCHEMA


def test_corrupt_state_is_backed_up_and_last_good_copy_used(tmp_path):
    s = Store(tmp_path)
    s.save_progress(Progress(section="a", step="one"))
    s.save_progress(Progress(section="a", step="two"))
    s.state_path.write_text("{ this is not json")
    again = Store(tmp_path)
    p = again.load_progress()
    assert p is not None and p.step == "one"  # the previous good copy
    assert len(again.notices) == 1 and "could not be read" in again.notices[0]
    backups = list(tmp_path.glob("state.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text() == "{ this is not json"
    assert mode(backups[0]) == 0o600


def test_empty_truncated_and_garbage_state(tmp_path):
    for content in (b"", b'{"schema": 1, "progress": {"sec', b"\x00\xff\xfe garbage", b"[1, 2]",
                    b'{"schema": 1, "progress": {"section": 5, "step": []}}'):
        d = tmp_path / str(abs(hash(content)))
        s = Store(d)
        s.state_path.write_bytes(content)
        again = Store(d)
        assert again.load_progress() is None
        assert again.notices


def test_future_version_is_kept_aside(tmp_path):
    s = Store(tmp_path)
    s.state_path.write_text(json.dumps({"schema": SCHEMA + 1, "progress": {}}))
    again = Store(tmp_path)
    assert again.load_progress() is None
    assert "newer version" in again.notices[0]
    assert list(tmp_path.glob("state.json.future-*"))


def test_old_version_is_migrated(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps({"section": "apology", "step": "why"}))
    p = Store(tmp_path).load_progress()
    assert p.section == "apology" and p.step == "why"


def test_damaged_journal_keeps_every_good_entry_and_a_backup(tmp_path):
    s = Store(tmp_path)
    for a in ("one", "two", "three"):
        s.append_journal(entry(a))
    with open(s.journal_path, "ab") as f:
        f.write(b'{"v": 1, "section": "x", "answ')  # torn last line
    with open(s.journal_path, "ab") as f:
        f.write(b"\n\xff\xfe\n")
    again = Store(tmp_path)
    assert [e.answer for e in again.load_journal()] == ["one", "two", "three"]
    assert again.notices and "could not be read" in again.notices[0]
    backup = list(tmp_path.glob("journal.jsonl.damaged-*"))
    assert len(backup) == 1 and b"answ" in backup[0].read_bytes()
    # Appending after repair works and keeps modes.
    again.append_journal(entry("four"))
    assert [e.answer for e in Store(tmp_path).load_journal()][-1] == "four"
    assert mode(again.journal_path) == 0o600


def test_delete_journal_removes_it_and_its_backups(tmp_path):
    s = Store(tmp_path)
    s.append_journal(entry("secret"))
    (tmp_path / "journal.jsonl.damaged-1").write_text("old secret")
    assert s.delete_journal() == 2
    assert s.load_journal() == []
    assert not list(tmp_path.glob("journal*"))


def test_unicode_and_long_answers_survive(tmp_path):
    s = Store(tmp_path)
    text = "Ich vertraue ihm nicht — 信頼 — ثقة " + "x" * 5000
    s.append_journal(entry(text))
    assert Store(tmp_path).load_journal()[0].answer == text


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("REFLECT_HOME", str(tmp_path / "home"))
    s = Store()
    assert s.dir == tmp_path / "home" and s.dir.is_dir()


def test_a_directory_or_fifo_where_a_file_belongs_is_moved_aside(tmp_path):
    """Not a regular file: moved aside whole (nothing in it lost), one notice,
    and the session goes on; a FIFO must not block the read."""
    (tmp_path / "journal.jsonl").mkdir(mode=0o755)
    (tmp_path / "journal.jsonl" / "kept.txt").write_text("x")
    os.mkfifo(tmp_path / "state.json")
    s = Store(tmp_path)
    assert s.load_progress() is None
    assert s.load_journal() == []
    assert len(s.notices) == 2
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("journal.jsonl.not-a-file-")]
    assert len(kept) == 1 and (kept[0] / "kept.txt").read_text() == "x"
    assert mode(kept[0]) == 0o700
    s.append_journal(entry("after"))
    assert [e.answer for e in Store(tmp_path).load_journal()] == ["after"]
