"""The one way Reflect writes a file: whole or not at all, private by default.

The bytes go to a temporary file beside the target (named after the writer's
pid, so a killed writer's leftovers can be recognised), are flushed to disk,
and the file is renamed over the target; the directory is flushed too, so a
crash or power cut leaves either the old file or the new one.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
"""Owner only: the journal and everything beside it."""


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_atomic(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace ``path`` with ``data``; OSError if it cannot be written (the old
    file, if any, is then untouched and no temporary file is left)."""
    path = Path(path)
    tmp = temp_name(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchmod(fd, mode)  # the umask or an older file may say otherwise
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
