"""`reflect` run as a subprocess of the tests, against this checkout, and
what to show when it did not end as expected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reflect(*args: str, stdin: bytes = b"", env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m assistant ARGS` with ``stdin`` piped in; output captured as bytes."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.pop("REFLECT_SCRIPTS_DIR", None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin,
                          capture_output=True, env=e, timeout=timeout, cwd=ROOT)


def _text(out) -> str:
    if out is None:
        return "(not captured)"
    if isinstance(out, bytes):
        out = out.decode("utf-8", "replace")
    return out.rstrip() or "(empty)"


def shown(r: subprocess.CompletedProcess) -> str:
    """A finished process's exit code, standard error and output, for an
    assertion's message: ``assert r.returncode == 0, shown(r)``."""
    return f"exit code {r.returncode}\n--- stderr:\n{_text(r.stderr)}\n--- stdout:\n{_text(r.stdout)}"
