"""Shared fixtures. The voice tests use a virtual PulseAudio sound card."""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_cards = itertools.count()

CARD_FIXTURES = frozenset({"sound_server", "card", "echo_card"})
"""Fixtures that start or use the virtual PulseAudio sound card: a test that
asks for one of them (directly or through another fixture) is an ``audio`` test."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark ``audio`` every test that needs the sound card through a fixture,
    before ``-m`` selects, so ``-m "not audio"`` leaves them all out."""
    for item in items:
        if CARD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.audio)


@pytest.fixture(autouse=True)
def _restore_pulse_env():
    """Opening a device by PulseAudio name sets PULSE_SINK / PULSE_SOURCE in
    this process (assistant.voice.devices.resolve_device). A test that opened a private
    card's device in-process would otherwise send every later subprocess to a
    sink that no longer exists (ALSA error -5 on open)."""
    saved = {k: os.environ.get(k) for k in ("PULSE_SINK", "PULSE_SOURCE")}
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def sound_server() -> None:
    """Virtual devices spk / mic_feed / mic (scripts/sound-server.sh, idempotent)."""
    subprocess.run([str(ROOT / "scripts" / "sound-server.sh"), "--no-echo"], check=True)


@pytest.fixture
def card(sound_server):
    """Private virtual devices for one test (P_spk, P_feed, P_mic): other voice
    sessions on the same server (another test run) cannot hear or disturb it."""
    from reflectkit.voicerun import Card

    c = Card(f"t{os.getpid()}x{next(_cards)}")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def echo_card(card):
    """The same, with the speaker looped back into the microphone at 55 %
    volume (about -16 dB, quieter than the user): the assistant hears itself."""
    card.echo(55)
    try:
        yield card
    finally:
        card.no_echo()


@pytest.fixture
def clean_env(monkeypatch):
    """No device chosen by environment: a test's Player/Mic gets the card it names."""
    monkeypatch.delenv("PULSE_SINK", raising=False)
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
