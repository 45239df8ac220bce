#!/usr/bin/env python3
"""Whole typed sessions, one per person of data/development/sessions/personas.jsonl
(three per perspective), written out as transcripts and checked.

Each person answers every question with their own answer for it, declines
the offers to read a section, and says "no, keep going" or "I'm fine" to
the offer of a moment. Each transcript goes to docs/transcripts/ID.md, and a
table to docs/transcripts/README.md:

- questions: how many were asked; asked twice (a question repeated, a re-ask
  after a miss included);
- given back: times the person's own earlier words were said back in place
  of a question they had already answered;
- offers of a moment: after a heavy question whose answer weighed;
- summary: how many of the person's own answers the closing summary gives
  back, word for word.

    python scripts/transcripts.py            # write docs/transcripts/
    python scripts/transcripts.py --check    # print the table only
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(ROOT))

from assistant.dialog.events import Heard, Started  # noqa: E402
from assistant.dialog.modes import FINISHED, HEAVY_OFFER, SAFETY_CHECK, STEP  # noqa: E402
from assistant.dialog.runner import drive  # noqa: E402
from assistant.dialog.session import load_content, new_engine  # noqa: E402
from reflectkit.data import SESSIONS  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from eval_perspectives import _Quiet  # noqa: E402

OUT = ROOT / "docs" / "transcripts"
KEEP_GOING = ("no, keep going", "I'm fine", "nope, carry on")
TURNS = 200


class _Record(_Quiet):
    """The runner's port: keeps what Reflect says, in order, with its kind."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def say(self, action, listen, answered) -> None:
        self.said.append((action.kind, action.text))


def reply(engine, person: dict, turn: int) -> str | None:
    """What the person says now; None when the session is over."""
    if engine.mode == FINISHED:
        return None
    if engine.mode == SAFETY_CHECK:
        return "yes, I'm safe"
    if engine.mode == HEAVY_OFFER:
        return KEEP_GOING[turn % len(KEEP_GOING)]
    if engine.mode != STEP:
        return "go on"
    step = engine.step
    if step.kind == "offer_read":
        return "no thanks"
    if any(i.perspective for i in step.intents.values()) and not engine.p.perspective:
        return person["opening"]
    return person["answers"].get(f"{engine.p.section}.{engine.p.step}")


def session(content, person: dict, seed: int) -> tuple[list[str], dict]:
    """The transcript's lines and its figures."""
    engine = new_engine(content, None, seed=seed)
    port = _Record()
    lines: list[str] = []
    asked: Counter = Counter()
    missing = offers = 0
    event = Started()
    for turn in range(TURNS):
        start = len(port.said)
        drive(engine, port, event)
        for kind, text in port.said[start:]:
            lines.append(f"**Reflect:** {text}" if kind != "reading" else f"> {text}")
        if engine.mode == STEP and engine.step.kind != "offer_read":
            asked[(engine.p.section, engine.p.step)] += 1
        offers += engine.mode == HEAVY_OFFER
        said = reply(engine, person, turn)
        if said is None and engine.mode == FINISHED:
            break
        if said is None:
            missing += 1
            said = "I'm not sure"
        lines.append(f"**{person['id']}:** {said}")
        event = Heard(said)
    answers = list(person["answers"].values()) + [person["opening"]]
    spoken = " ".join(text for _, text in port.said)
    given_back = sum(1 for kind, text in port.said if kind == "ack" and text.startswith(("Earlier you told me", "You said earlier")))
    summary = next((text for kind, text in reversed(port.said) if kind == "info" and "\u201c" in text), "")
    quoted = [q.split("\u201d")[0].rstrip(".") for q in summary.split("\u201c")[1:]]
    figures = {
        "asked": sum(asked.values()),
        "asked twice": sum(n - 1 for n in asked.values() if n > 1),
        "no answer of theirs": missing,
        "given back": given_back,
        "offers of a moment": offers,
        "summary quotes": f"{sum(any(q.lower() in a.lower() for a in answers) for q in quoted)} of {len(quoted)}",
        "finished": engine.mode == FINISHED,
        "perspective": engine.p.perspective,
        "thanks at the end": spoken.count("Thank you for reflecting with me today"),
    }
    return lines, figures


def people() -> list[dict]:
    path = SESSIONS / "personas.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="print the table; write nothing")
    args = ap.parse_args(argv)
    content = load_content()
    rows = []
    if not args.check:
        OUT.mkdir(parents=True, exist_ok=True)
    for i, person in enumerate(people()):
        lines, figures = session(content, person, seed=i)
        rows.append((person, figures))
        if not args.check:
            head = [f"# {person['id']}: {person['who']}", "",
                    f"Perspective written: {person['perspective']}; taken: {figures['perspective']}. "
                    "Generated by `python scripts/transcripts.py`.", ""]
            (OUT / f"{person['id']}.md").write_text("\n".join(head) + "\n" + "\n\n".join(lines) + "\n",
                                                    encoding="utf-8")
    keys = list(rows[0][1])
    table = ["| person | " + " | ".join(keys) + " |", "| --- |" + " --- |" * len(keys)]
    table += [f"| {p['id']} | " + " | ".join(str(f[k]) for k in keys) + " |" for p, f in rows]
    print("\n".join(table))
    if not args.check:
        intro = ["# Whole typed sessions", "",
                 "One session per person of `data/development/sessions/personas.jsonl`, three per "
                 "perspective, written by a helper who saw only the questions as Reflect asks them. "
                 "Each person answers every question with their own answer, declines the offers to "
                 "read, and says \"no, keep going\" or \"I'm fine\" to the offer of a moment. "
                 "Made and checked by `python scripts/transcripts.py`.", ""]
        (OUT / "README.md").write_text("\n".join(intro + table) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
