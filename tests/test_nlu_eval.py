"""The NLU targets on the held-out sets (never tuned on; see tests/data/heldout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.dialog.session import load_content
from assistant.understanding.evaluation import evaluate

HELDOUT = Path(__file__).resolve().parent / "data" / "heldout"


@pytest.fixture(scope="module")
def content():
    return load_content()


def test_heldout_command_paraphrases(content):
    r = evaluate(content, HELDOUT / "command_paraphrases.tsv")
    assert r["accuracy"] >= 0.95, [e for e in r["errors"]]


def test_heldout_out_of_scope_answers_are_none(content):
    r = evaluate(content, HELDOUT / "out_of_scope.txt")
    assert r["accuracy"] >= 0.90, [e for e in r["errors"]]
