"""Shared fixtures. The voice tests use a virtual PulseAudio sound card."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sound_server() -> None:
    """Virtual devices spk / mic_feed / mic (scripts/sound-server.sh, idempotent)."""
    subprocess.run([str(ROOT / "scripts" / "sound-server.sh"), "--no-echo"], check=True)
