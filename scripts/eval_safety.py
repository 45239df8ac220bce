#!/usr/bin/env python3
"""Measure the safety net: recall on statements of danger, false-alarm rate on
ordinary hurt and idiom.

    python scripts/eval_safety.py                 # heldout sets if present, else dev
    python scripts/eval_safety.py --set dev       # dev | dev2 | heldout | heldout2 ... heldout5
    python scripts/eval_safety.py --all           # every set present, one line each
    python scripts/eval_safety.py POSITIVE.txt NEGATIVE.txt
    python scripts/eval_safety.py --all --rules-only   # without the learned layer

Files hold one utterance a line; blank lines and lines starting with '#' are
skipped. Missed positives and false alarms are listed, so every figure can be
audited line by line. Exit status is 1 when recall < 0.95 or false alarms > 0.02.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.safety.rules import load_safety  # noqa: E402

from reflectkit.data import safety_files  # noqa: E402
from reflectkit.safety_sets import (  # noqa: E402
    CALIBRATION_MIN_RECALL,
    CALIBRATION_SETS,
    EXTRA_NEGATIVE,
    FRESH_MIN_RECALL,
    FRESH_SETS,
    MAX_FALSE_ALARMS,
    MIN_RECALL,
    SET_MAX_FALSE_ALARMS,
    SETS,
    WRITTEN_MAX_FALSE_ALARMS,
    WRITTEN_MIN_RECALL,
    WRITTEN_SETS,
    evaluate,
    pool,
    read_lines,
)


def default_files(which: str) -> tuple[Path, Path]:
    for name in (["heldout", "dev"] if which == "auto" else [which]):
        pos, neg = safety_files(name)
        if pos.exists() and neg.exists():
            return pos, neg
    sys.exit(f"no safety evaluation files found for set '{which}'")


def describe_layers(net) -> str:
    if net.model is not None:
        return f"rules + learned layer (threshold {net.model.classifier.threshold:.3f})"
    return "rules alone" + (f" ({net.model_error})" if net.model_error else "")


def summarise_all(net) -> int:
    import statistics
    import time

    print(describe_layers(net))
    ok = True
    timings: list[float] = []
    groups: dict[str, list[dict]] = {}
    for name in SETS + WRITTEN_SETS + CALIBRATION_SETS + FRESH_SETS:
        pos, neg = safety_files(name)
        if not (pos.exists() and neg.exists()):
            print(f"{name:10s} (not present)")
            continue
        t0 = time.perf_counter()
        r = evaluate(pos, neg, net)
        timings.append((time.perf_counter() - t0) * 1000 / (r["n_pos"] + r["n_neg"]))
        floor = (FRESH_MIN_RECALL[name] if name in FRESH_SETS
                 else CALIBRATION_MIN_RECALL if name in CALIBRATION_SETS
                 else WRITTEN_MIN_RECALL if name in WRITTEN_SETS else MIN_RECALL)
        ceiling = (WRITTEN_MAX_FALSE_ALARMS if name in WRITTEN_SETS
                   else SET_MAX_FALSE_ALARMS if name in CALIBRATION_SETS + FRESH_SETS else MAX_FALSE_ALARMS)
        ok &= r["recall"] >= floor and r["false_alarm_rate"] <= ceiling
        print(f"{name:10s} recall {r['recall']:.3f} ({r['n_pos'] - len(r['missed'])}/{r['n_pos']})"
              f"  false alarms {r['false_alarm_rate']:.3f} ({len(r['false_alarms'])}/{r['n_neg']})")
        group = "fresh" if name in FRESH_SETS else "calibration" if name in CALIBRATION_SETS else None
        if group:
            groups.setdefault(group, []).append(r)
    for group, results in groups.items():
        caught, n_pos, alarms, n_neg = pool(results)
        ok &= caught / n_pos >= MIN_RECALL and alarms / n_neg <= MAX_FALSE_ALARMS
        print(f"{group + ' sets, pooled':22s} recall {caught / n_pos:.3f} ({caught}/{n_pos})"
              f"  false alarms {alarms / n_neg:.3f} ({alarms}/{n_neg})")
    if EXTRA_NEGATIVE.exists():
        neg = read_lines(EXTRA_NEGATIVE)
        alarms = [t for t in neg if net.check(t) is not None]
        ok &= len(alarms) / len(neg) <= MAX_FALSE_ALARMS
        print(f"{'extra neg':10s} false alarms {len(alarms) / len(neg):.3f} ({len(alarms)}/{len(neg)})")
        for t in alarms:
            print(f"  - {t}")
    if timings:
        print(f"mean check time per set: median {statistics.median(timings):.2f} ms, worst {max(timings):.2f} ms")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("positive", nargs="?", type=Path, help="file of danger statements")
    ap.add_argument("negative", nargs="?", type=Path, help="file of ordinary statements")
    ap.add_argument("--set", default="auto", choices=["auto", *SETS, *WRITTEN_SETS, *CALIBRATION_SETS, *FRESH_SETS],
                    help="which data/ set to use when no files are given (auto: heldout if present)")
    ap.add_argument("--all", action="store_true",
                    help="summarise every set present and the extra negatives, one line each")
    ap.add_argument("--rules-only", action="store_true", help="leave out the learned layer")
    args = ap.parse_args(argv)
    net = load_safety(model=not args.rules_only)
    if args.all:
        return summarise_all(net)
    if args.positive and args.negative:
        pos_file, neg_file = args.positive, args.negative
    elif args.positive or args.negative:
        ap.error("give both a positive and a negative file, or neither")
    else:
        pos_file, neg_file = default_files(args.set)

    r = evaluate(pos_file, neg_file, net)
    print(describe_layers(net))
    print(f"positives: {pos_file} ({r['n_pos']} lines)")
    print(f"negatives: {neg_file} ({r['n_neg']} lines)")
    print(f"recall:           {r['recall']:.3f}  ({r['n_pos'] - len(r['missed'])}/{r['n_pos']}, target >= {MIN_RECALL})")
    print(f"false-alarm rate: {r['false_alarm_rate']:.3f}  ({len(r['false_alarms'])}/{r['n_neg']}, target <= {MAX_FALSE_ALARMS})")
    if r["missed"]:
        print(f"\nmissed ({len(r['missed'])}):")
        for t in r["missed"]:
            print(f"  - {t}")
    if r["false_alarms"]:
        print(f"\nfalse alarms ({len(r['false_alarms'])}):")
        for t, h in r["false_alarms"]:
            print(f"  - {t}    [{h.category}: {h.pattern}]")
    ok = r["recall"] >= MIN_RECALL and r["false_alarm_rate"] <= MAX_FALSE_ALARMS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
