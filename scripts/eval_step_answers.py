#!/usr/bin/env python3
"""Yes, no or unsure, as the engine reads answers to the reflection questions.

Reads the perspectives set (data/development/perspectives/*.jsonl). Each
person there answered 10-15 questions in character. For the questions asked
yes/no, the writer also noted what the answer says ("gists": yes, no,
unsure, or mixed, which is left out). Each such answer is decided at its
step as in a session (understanding/decide.py).

It counts each outcome:
- right: the reading is the writer's;
- wrong: the opposite reading, or unsure for a clear one, or a clear one for
  unsure. The reply is then meant for another answer;
- a content answer: one of the step's own intents ("checked_phone"). Its
  reply names what was said, not a yes or no. It is not judged here;
- kept as said: no reading, so the reply thanks without taking a side;
- a command.

Usage: python scripts/eval_step_answers.py [--split dev|fresh|all] [--show]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.content.phrases import load_guards  # noqa: E402
from assistant.dialog.session import load_content  # noqa: E402
from assistant.understanding.decide import decide  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_perspectives import people  # noqa: E402

GISTS = ("yes", "no", "unsure")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=("dev", "fresh", "all"), default="dev")
    ap.add_argument("--show", action="store_true", help="print each answer read wrongly")
    args = ap.parse_args(argv)
    content, guards = load_content(), load_guards()
    counts = {"right": 0, "wrong": 0, "content answer": 0, "kept as said": 0, "command": 0}
    for person in people(args.split):
        for key, gist in person.get("gists", {}).items():
            if gist not in GISTS:
                continue
            section, step_id = key.split(".")
            step = content.script.by_id(section).steps[step_id]
            text = person["answers"][key]
            d = decide(content.matcher, text, step, guards)
            if d.command:
                outcome = "command"
            elif d.intent == gist:
                outcome = "right"
            elif d.intent in GISTS:
                outcome = "wrong"
            else:
                outcome = "kept as said" if d.intent == "none" else "content answer"
            counts[outcome] += 1
            if args.show and outcome in ("wrong", "command"):
                print(f"{person['id']} {key}: {gist} read as {d.intent}: {text!r}", file=sys.stderr)
    n = sum(counts.values())
    print(f"| answers ({args.split}) | " + " | ".join(counts) + " |")
    print("| --- |" + " --- |" * len(counts))
    print(f"| {n} | " + " | ".join(f"{v} ({100 * v / max(1, n):.1f} %)" for v in counts.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
