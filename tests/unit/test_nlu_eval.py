"""The NLU targets on the sets written as held out (data/MANIFEST.md: the
paraphrases are counted as development since understanding by meaning)."""

from __future__ import annotations

import pytest

from assistant.dialog.session import load_content
from assistant.understanding.evaluation import evaluate
from reflectkit.data import NLU_COMMAND_PARAPHRASES, NLU_OUT_OF_SCOPE


@pytest.fixture(scope="module")
def content():
    return load_content()


def test_heldout_command_paraphrases(content):
    r = evaluate(content, NLU_COMMAND_PARAPHRASES)
    assert r["accuracy"] >= 0.95, [e for e in r["errors"]]


def test_heldout_out_of_scope_answers_are_none(content):
    r = evaluate(content, NLU_OUT_OF_SCOPE)
    assert r["accuracy"] >= 0.90, [e for e in r["errors"]]
