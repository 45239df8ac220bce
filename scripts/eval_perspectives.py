"""Who is speaking: how often the engine takes a person's situation right.

Reads data/development/perspectives/*.jsonl (one person per line: their true
perspective, what they say when asked which situation fits, and what they
say when it was taken wrongly). For each person, a fresh engine declines the
offer to read the introduction, hears the opening at the choice step, and,
when the situation it took is wrong, hears the correction. An opening the
safety net's learned layer takes for possible danger is asked about first
("are you safe?"), and one its rules stop on pauses the exercise with the
crisis reply; either way the person says "yes I'm safe", and the situation
the opening tells is then taken.

Counts per perspective: right the first time; asked again (nothing taken:
safe, costs a turn); wrong (a confident wrong path); and, of the wrong ones,
put right by the correction.

Usage: python scripts/eval_perspectives.py [--split dev|fresh|all|perspectives2|heldout] [--show]

--split heldout reads the held-out set, data/heldout/perspectives3;
--split perspectives2 the second development set, data/development/perspectives2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.dialog.events import Heard, Listen, Started  # noqa: E402
from assistant.dialog.runner import drive  # noqa: E402
from assistant.dialog.modes import PAUSED, SAFETY_CHECK  # noqa: E402
from assistant.dialog.session import load_content, new_engine  # noqa: E402
from reflectkit.data import PERSPECTIVES as DATA, PERSPECTIVES_EARLIER, PERSPECTIVES_HELDOUT  # noqa: E402

PERSPECTIVES = ("hurt", "hurter", "both", "reflect")


class _Quiet:
    """The runner's port: says nothing, saves nothing, leaves each turn to us."""

    def say(self, action, listen, answered) -> None:
        pass

    def save(self, action) -> None:
        pass

    def adjust_rate(self, delta: int) -> None:
        pass

    def delete_journal(self) -> None:
        pass

    def listen(self, action: Listen) -> list:
        return []

    def quit(self) -> None:
        pass


SPLITS = ("dev", "fresh", "all", "perspectives2", "heldout")
"""Parts of the first development set, the second (perspectives2, measured
once and read since), or the held-out set (data/heldout/perspectives3)."""


def people(split: str) -> list[dict]:
    out = []
    folder = {"heldout": PERSPECTIVES_HELDOUT, "perspectives2": PERSPECTIVES_EARLIER}.get(split, DATA)
    for name in PERSPECTIVES:
        path = folder / f"{name}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                p = json.loads(line)
                if split in ("all", "perspectives2", "heldout") or p.get("split") == split:
                    out.append(p)
    return out


def judge(content, person: dict, seed: int) -> tuple[str, str | None, str | None, bool]:
    """(first outcome: right | asked | wrong, perspective taken, after the
    correction, whether a safety check came first)."""
    engine = new_engine(content, None, seed=seed)
    port = _Quiet()
    drive(engine, port, Started())
    drive(engine, port, Heard("no"))  # not now, thanks: to the choice
    drive(engine, port, Heard(person["opening"]))
    checked = engine.mode in (SAFETY_CHECK, PAUSED)
    if checked:  # "are you safe?", or the rules' stop: nobody here is in danger now
        drive(engine, port, Heard("yes I'm safe"))
    taken = engine.p.perspective or None  # "" until one is chosen
    truth = person["perspective"]
    if taken is None:
        return "asked", None, None, checked
    if taken == truth:
        return "right", taken, None, checked
    corrected = None
    if person.get("correction"):
        drive(engine, port, Heard(person["correction"]))
        corrected = engine.p.perspective or None
    return "wrong", taken, corrected, checked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=SPLITS, default="dev")
    ap.add_argument("--show", action="store_true", help="print each person taken wrongly or asked again")
    args = ap.parse_args(argv)
    content = load_content()
    rows: dict[str, dict[str, int]] = {p: {"n": 0, "right": 0, "asked": 0, "wrong": 0, "put right": 0}
                                       for p in PERSPECTIVES}
    checks = 0
    for i, person in enumerate(people(args.split)):
        outcome, taken, corrected, checked = judge(content, person, seed=i)
        checks += checked
        row = rows[person["perspective"]]
        row["n"] += 1
        row[outcome] += 1
        if outcome == "wrong" and corrected == person["perspective"]:
            row["put right"] += 1
        if args.show and outcome != "right":
            print(f"{person['id']}: {outcome} (took {taken}, then {corrected}): {person['opening']!r}",
                  file=sys.stderr)
    print(f"| perspective ({args.split}) | people | right first time | asked again | wrong | wrong, put right by the correction |")
    print("| --- | --- | --- | --- | --- | --- |")
    total = {k: sum(r[k] for r in rows.values()) for k in ("n", "right", "asked", "wrong", "put right")}
    for name, r in [*rows.items(), ("all", total)]:
        if r["n"]:
            print(f"| {name} | {r['n']} | {r['right']} ({100 * r['right'] / r['n']:.0f} %) | {r['asked']} | "
                  f"{r['wrong']} | {r['put right']} of {r['wrong']} |")
    print(f"\n{checks} opening(s) heard as possible danger first (asked \"are you safe?\", or the "
          "exercise paused with the crisis reply), answered \"yes I'm safe\".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
