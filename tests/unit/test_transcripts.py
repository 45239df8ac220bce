"""Whole typed sessions of the twelve development personas (three per
perspective, scripts/transcripts.py): no question asked twice, the offer of
a moment not on a schedule, and a closing summary in their own words."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from transcripts import people, session  # noqa: E402

from reflectkit.enginekit import content  # noqa: E402

PEOPLE = people()


@pytest.mark.parametrize("person", PEOPLE, ids=[p["id"] for p in PEOPLE])
def test_a_whole_typed_session(person):
    _, figures = session(content(), person, seed=PEOPLE.index(person))
    assert figures["finished"]
    assert figures["asked twice"] == 0
    assert figures["no answer of theirs"] == 0, "a question of another perspective was asked"
    assert figures["offers of a moment"] <= 4
    assert figures["summary quotes"] == "3 of 3"
    assert figures["thanks at the end"] <= 1
