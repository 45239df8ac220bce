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
  reply names what was said. Where the intent gives a yes or no (its
  ``means``: "i went through his phone" is a yes), it is judged as that
  yes or no; otherwise it is not judged;
- kept as said: no reading, so the reply thanks without taking a side;
- a command.

With --time it also prints how long understanding one answer takes (decide
at its step, the sentence encoder included: nothing is reused from an
earlier answer), median and p90: over the yes/no answers, over the
openings, and over every answer a person gives (openings included).

Usage: python scripts/eval_step_answers.py [--split dev|fresh|all|perspectives2|heldout] [--show] [--time]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import models_loaded  # noqa: E402
from assistant.content.phrases import load_guards  # noqa: E402
from assistant.dialog.session import load_content  # noqa: E402
from assistant.understanding.decide import decide  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_perspectives import SPLITS, people  # noqa: E402

GISTS = ("yes", "no", "unsure")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, default="dev")
    ap.add_argument("--show", action="store_true", help="print each answer read wrongly")
    ap.add_argument("--time", action="store_true", help="also time understanding one answer")
    args = ap.parse_args(argv)
    content, guards = load_content(), load_guards()
    models_loaded()  # as in a session once its models have loaded (assistant/__init__.py)
    took: list[float] = []
    counts = {"right": 0, "wrong": 0, "content answer": 0, "kept as said": 0, "command": 0}
    for person in people(args.split):
        for key, gist in person.get("gists", {}).items():
            if gist not in GISTS:
                continue
            step = step_at(content, key)
            text = person["answers"][key]
            d, ms = timed(content, text, step, guards)
            took.append(ms)
            intent = step.intents[d.intent] if d.intent in step.intents else None
            means = intent.means if intent is not None and intent.means else d.intent
            if d.command:
                outcome = "command"
            elif means == gist:
                outcome = "right"
            elif means in GISTS:
                outcome = "wrong"
            else:
                outcome = "kept as said" if d.intent == "none" else "content answer"
            counts[outcome] += 1
            if args.show and outcome in ("wrong", "command"):
                print(f"{person['id']} {key}: {gist} read as {d.intent}: {text!r}", file=sys.stderr)
            elif args.show and outcome != "right":
                print(f"  ({outcome}) {person['id']} {key}: {gist} read as {d.intent}: {text!r}", file=sys.stderr)
    n = sum(counts.values())
    print(f"| answers ({args.split}) | " + " | ".join(counts) + " |")
    print("| --- |" + " --- |" * len(counts))
    print(f"| {n} | " + " | ".join(f"{v} ({100 * v / max(1, n):.1f} %)" for v in counts.values()) + " |")
    if args.time:
        report("one answer to a yes/no question", took)
        openings = time_openings(content, guards, args.split)
        report("one opening at the question who is speaking", openings)
        report("any one answer (openings and every answer, at its question)",
               openings + time_answers(content, guards, args.split))
    return 0


def time_answers(content, guards, split: str) -> list[float]:
    """Milliseconds to understand each answer of each person at its question
    (open and yes/no questions alike)."""
    return [timed(content, text, step_at(content, key), guards)[1]
            for person in people(split) for key, text in person["answers"].items()]


def step_at(content, key: str):
    """The step of a question id ("stalking.urge_to_check")."""
    section, step_id = key.split(".")
    return content.script.by_id(section).steps[step_id]


def time_openings(content, guards, split: str) -> list[float]:
    """Milliseconds to understand each person's opening where it is said
    (the perspective reader runs there too)."""
    step = next(s for section in content.script.sections for s in section.steps.values()
                if any(i.perspective for i in s.intents.values()))
    return [timed(content, person["opening"], step, guards)[1] for person in people(split)]


def timed(content, text: str, step, guards):
    """(decision, milliseconds) for ``text`` at ``step``, understood afresh."""
    forget(content.matcher)
    t0 = time.perf_counter()
    d = decide(content.matcher, text, step, guards)
    return d, 1000 * (time.perf_counter() - t0)


def report(what: str, took: list[float]) -> None:
    took = sorted(took)
    print(f"understanding {what}: median {statistics.median(took):.1f} ms, "
          f"p90 {took[int(0.9 * (len(took) - 1))]:.1f} ms over {len(took)}")


def forget(matcher) -> None:
    """Nothing of an earlier answer is reused: each is understood, and
    encoded, as if it were the first (answers said twice included)."""
    if matcher.meaning is not None:
        matcher.meaning.forget()


if __name__ == "__main__":
    sys.exit(main())
