"""Where the packaged content lives and how it is read (TOML, text)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ContentError(Exception):
    """A content file is malformed. The message names the file and key."""


def content_dir() -> Path:
    return Path(str(resources.files("assistant") / "content"))


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into ContentError."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ContentError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ContentError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise ContentError(f"{path}: cannot be read: {e.strerror}") from None
