"""Progress and journal on disk: crash-safe, private, versioned.

- state.json: progress, replaced atomically (temp file, fsync, rename, fsync
  of the directory); the previous good copy is kept as state.json.prev.
- journal.jsonl: one JSON object per line, appended and fsynced per entry,
  so a kill at any moment loses at most the line being written.
- Unreadable, truncated or future-version files are moved aside to a
  timestamped backup (never deleted) and the user is told in one sentence.
- Files are 0600 and the directory 0700, whoever creates them.
"""

from __future__ import annotations

import json
import os
from dataclasses import MISSING, asdict, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from assistant.storage.atomic import FILE_MODE, fsync_dir, write_atomic
from assistant.storage.records import JournalEntry, Progress

SCHEMA = 1
STATE = "state.json"
JOURNAL = "journal.jsonl"
DIR_MODE = 0o700


class StoreError(Exception):
    """The data directory cannot be used (permissions, disk)."""


def default_data_dir() -> Path:
    env = os.environ.get("REFLECT_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "reflect"


def _progress_from(data: dict) -> Progress:
    names = {f.name: f.type for f in fields(Progress)}
    clean = {}
    for k, v in data.items():
        if k in names:
            clean[k] = v
    p = Progress(**clean)
    # Types are checked so that a hand-edited file cannot crash the engine.
    if not (isinstance(p.section, str) and isinstance(p.step, str) and isinstance(p.sentence, int)
            and isinstance(p.perspective, str) and p.sentence >= 0):
        raise ValueError("progress fields have the wrong types")
    return p


# Migrations from older schema versions: version -> function to the next one.
def _from_v0(data: dict) -> dict:
    """Version 0 (pre-release) stored the progress fields at the top level."""
    if "section" not in data:
        raise ValueError("not a saved place (another program's file?)")
    return {"schema": 1, "progress": {k: v for k, v in data.items() if k != "schema"}}


MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _from_v0}


_ENTRY_DEFAULTS = {f.name: "" if f.default is MISSING else f.default for f in fields(JournalEntry)}
"""What a journal line without a field means (and the type the field must have)."""


class Store:
    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.dir = Path(data_dir) if data_dir else default_data_dir()
        self.notices: list[str] = []
        """One-sentence messages for the user (backups made, files repaired)."""
        self._ensure_dir()
        self._remove_stale_temp_files()

    # ------------------------------------------------------------ files
    @property
    def state_path(self) -> Path:
        return self.dir / STATE

    @property
    def journal_path(self) -> Path:
        return self.dir / JOURNAL

    def _ensure_dir(self) -> None:
        try:
            self.dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            os.chmod(self.dir, DIR_MODE)
        except OSError as e:
            raise StoreError(f"Cannot use the data directory {self.dir}: {e.strerror}.") from None
        for path in [*self.dir.glob(STATE + "*"), *self.dir.glob(JOURNAL + "*")]:
            try:  # copied in with cp or made by hand: private again
                if path.is_file() and not path.is_symlink():
                    os.chmod(path, FILE_MODE)
            except OSError:
                pass

    def _remove_stale_temp_files(self) -> None:
        """Temp files (named after their writer's pid) left by a killed process."""
        for path in self.dir.glob(f".{STATE}.*"):
            pids = [int(part) for part in path.name.split(".") if part.isdigit()]
            if not pids or pids[-1] == os.getpid():
                continue
            try:
                os.kill(pids[-1], 0)
            except ProcessLookupError:
                path.unlink(missing_ok=True)  # its writer is gone
            except OSError:
                pass  # alive (another user's process)

    def _open_private(self, path: Path, flags: int) -> int:
        fd = os.open(path, flags, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # the umask or an older file may say otherwise
        return fd

    def _write_atomic(self, path: Path, data: bytes) -> None:
        write_atomic(path, data, FILE_MODE)

    def _backup(self, path: Path, why: str) -> Path:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = path.with_name(f"{path.name}.{why}-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
        os.replace(path, target)
        os.chmod(target, DIR_MODE if target.is_dir() else FILE_MODE)
        return target

    # --------------------------------------------------------- progress
    def _read_state(self, path: Path) -> Progress:
        if not path.is_file():  # a directory, or a FIFO that would block the read
            raise ValueError("not a regular file")
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("schema", 0)
        if not isinstance(version, int):
            raise ValueError("bad schema version")
        if version > SCHEMA:
            raise FutureVersion(version)
        while version < SCHEMA:
            if version not in MIGRATIONS:
                raise ValueError(f"unknown schema version {version}")
            data = MIGRATIONS[version](data)
            version = data["schema"]
        progress = data.get("progress")
        if not isinstance(progress, dict):
            raise ValueError("no progress")
        return _progress_from(progress)

    def load_progress(self) -> Progress | None:
        """The saved progress, None when there is none. Never raises on bad
        files: they are moved aside and the previous good copy is used."""
        path = self.state_path
        prev = path.with_name(STATE + ".prev")
        if not path.exists():
            return self._load_prev(prev, tell=True) if prev.exists() else None
        try:
            return self._read_state(path)
        except FutureVersion as e:
            backup = self._backup(path, "future")
            self.notices.append(f"Your saved place was written by a newer version (schema {e.version}); "
                                f"I kept it as {backup.name} and started from the last good copy or fresh.")
        except (ValueError, UnicodeDecodeError, OSError, TypeError, RecursionError):
            backup = self._backup(path, "corrupt")
            self.notices.append(f"Your saved place could not be read; I kept the damaged file as "
                                f"{backup.name} and used the last good copy or started fresh.")
        return self._load_prev(prev)

    def _load_prev(self, prev: Path, tell: bool = False) -> Progress | None:
        if not prev.exists():
            return None
        try:
            return self._read_state(prev)
        except (ValueError, UnicodeDecodeError, OSError, TypeError, RecursionError, FutureVersion) as e:
            backup = self._backup(prev, "future" if isinstance(e, FutureVersion) else "corrupt")
            if tell:
                self.notices.append(f"Your saved place could not be read; I kept the file as "
                                    f"{backup.name} and started fresh.")
            return None

    def save_progress(self, progress: Progress) -> None:
        data = json.dumps({"schema": SCHEMA, "saved": _now(), "progress": asdict(progress)},
                          ensure_ascii=False, indent=1).encode("utf-8")
        path = self.state_path
        if path.exists():
            # Keep the last good copy: a hard link costs no data copy.
            link = path.with_name(f".{STATE}.prev.{os.getpid()}")
            try:
                if link.exists():
                    link.unlink()
                os.link(path, link)
                os.replace(link, path.with_name(STATE + ".prev"))
            except OSError:
                pass
        self._write_atomic(path, data)

    # ---------------------------------------------------------- journal
    def append_journal(self, entry: JournalEntry) -> JournalEntry:
        if not entry.time:
            entry = JournalEntry(**{**asdict(entry), "time": _now()})
        line = json.dumps({"v": SCHEMA, **asdict(entry)}, ensure_ascii=False) + "\n"
        fd = self._open_private(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def load_journal(self) -> list[JournalEntry]:
        """Every readable entry. Unreadable lines are never dropped silently:
        the whole file is kept as a backup and the good lines rewritten."""
        path = self.journal_path
        if not path.exists():
            return []
        if not path.is_file():  # a directory or FIFO where the journal belongs
            backup = self._backup(path, "not-a-file")
            self.notices.append(f"Where your journal belongs there was something else; I kept it as "
                                f"{backup.name} and started a new journal.")
            return []
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise StoreError(f"Cannot read the journal {path}: {e.strerror}.") from None
        entries: list[JournalEntry] = []
        good: list[str] = []
        bad = 0
        for line in raw.split(b"\n"):
            if not line.strip():
                continue
            try:
                obj = json.loads(line.decode("utf-8"))
                if not isinstance(obj, dict) or obj.get("v", 1) > SCHEMA:
                    raise ValueError
                entry = JournalEntry(**{f.name: obj.get(f.name, _ENTRY_DEFAULTS[f.name])
                                        for f in fields(JournalEntry)})
                if not all(isinstance(getattr(entry, name), type(default))
                           for name, default in _ENTRY_DEFAULTS.items()):
                    raise ValueError
            except (ValueError, UnicodeDecodeError, TypeError, RecursionError):
                bad += 1
                continue
            good.append(line.decode("utf-8"))
            if entry.amends and entries and (entries[-1].section, entries[-1].step) == (entry.section, entry.step):
                # The same answer, continued after a pause: one entry, first said then.
                entries[-1] = replace(entry, time=entries[-1].time or entry.time, amends=False)
                continue
            entries.append(entry)
        if bad:
            backup = self._backup(path, "damaged")
            self._write_atomic(path, ("\n".join(good) + "\n" if good else "").encode("utf-8"))
            self.notices.append(f"{bad} journal line(s) could not be read; the original journal is kept "
                                f"as {backup.name} and the {len(entries)} good entries remain.")
        return entries

    def delete_journal(self) -> int:
        """Delete the journal and its backups. Returns files removed."""
        removed = 0
        for path in self.dir.glob(JOURNAL + "*"):
            path.unlink()
            removed += 1
        fsync_dir(self.dir)
        return removed

    # ---------------------------------------------------------- both
    def save(self, progress: Progress, entry: JournalEntry | None = None) -> None:
        # The answer first: a kill between the two leaves it in the journal
        # and the place one step behind (asked again), never the reverse.
        if entry is not None:
            self.append_journal(entry)
        self.save_progress(progress)


class FutureVersion(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(version)
        self.version = version


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
