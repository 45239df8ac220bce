"""What the safety net's learned layer trains on: the labelled sets given,
the extra harmless sentences, the hand-written cases, and as more negatives
the NLU files' ordinary answers and the content's command and answer
examples. Used by scripts/train_safety_model.py, and by the safety tests to
check that no fresh line is also a training line."""

from __future__ import annotations

import csv

from reflectkit.data import NLU_LABELLED_FILES, NLU_OUT_OF_SCOPE_FILES
from reflectkit.safety_sets import EXTRA_NEGATIVE, read_lines


def nlu_negatives() -> list[str]:
    """Ordinary answers and commands from the NLU files: never danger."""
    out: list[str] = []
    for f in NLU_OUT_OF_SCOPE_FILES:
        out += read_lines(f)
    for f in NLU_LABELLED_FILES:
        with open(f, encoding="utf-8", newline="") as fh:
            out += [row["text"].strip() for row in csv.DictReader(fh, delimiter="\t") if row.get("text")]
    return out


def content_negatives() -> list[str]:
    """Every spoken command and step-answer example of the content: the
    commonest utterances of a session, none of them danger."""
    from assistant.content.files import content_dir, load_toml

    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "examples" and isinstance(v, list):
                    out.extend(e for e in v if isinstance(e, str) and "{" not in e)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(load_toml(content_dir() / "commands.toml").get("intents", {}))
    for f in sorted((content_dir() / "sections").glob("*.toml")):
        walk(load_toml(f))
    return out


def hand_written_cases() -> tuple[list[str], list[str]]:
    """The hand-written cases (reflectkit/safety_cases.py): the net as a whole
    (rules and the learned layer) is held to them, so the layer learns them too."""
    from reflectkit import safety_cases as cases

    danger = list(cases.PROBES) + [t for ts in cases.DANGER.values() for t in ts] + list(cases.RULES_DANGER)
    ordinary = list(cases.ORDINARY) + list(cases.RULES_ORDINARY)
    return danger, ordinary


def training_data(sets: dict[str, tuple[list[str], list[str]]]) -> tuple[list[str], list[str]]:
    """Every danger statement and every harmless sentence the layer trains
    on, given the labelled sets to train on (name -> (positives, negatives))."""
    always_pos, case_neg = hand_written_cases()
    always_neg = read_lines(EXTRA_NEGATIVE) + nlu_negatives() + content_negatives() + case_neg
    pos = [t for p, _ in sets.values() for t in p] + always_pos
    neg = [t for _, n in sets.values() for t in n] + always_neg
    return pos, neg
