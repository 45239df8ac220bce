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
sys.path.insert(0, str(ROOT))

from assistant.safety import load_safety  # noqa: E402

MIN_RECALL = 0.95
MAX_FALSE_ALARMS = 0.02
SETS = ("dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "dev2")
"""Sets the rules were tuned on: held to the full targets. Each heldout set
from heldout4 on was fresh once (written by someone who had not seen the
rules) and measured once before any tuning on it; its one-shot figures:
  heldout4  recall 0.867 (104/120), false alarms 0.000 (0/250)
  heldout5  recall 0.753 (113/150), false alarms 0.023 (7/300)
  heldout6  recall 0.733 (110/150), false alarms 0.007 (2/300), measured
            after the fourth pass (the rules of the pass before: 0.62, 0.013)
  heldout7  recall 0.607 (91/150), false alarms 0.020 (6/300), measured
            with the rules of the fourth pass (after the fifth: 0.627, 0.020)
heldout4 was tuned on in the third pass, heldout5 in the fourth, heldout6 in
the fifth, heldout7 in the sixth (and it chose the learned backstop's design). dev2 is the
passes' own brainstorm, each batch written before its pass's rules (third
pass 0.384, its second round 0.508; fourth pass 16/51)."""
WRITTEN_SETS = tuple(f"written_{c}" for c in "abcdefghijkl")
"""Training sets for the learned layer, each written by a helper who saw no
rules and no other set, to one brief (hard, indirect danger; near misses),
each with a focus: a suicide and self-harm, b abuse and coercion, c fear and
danger inside trust answers, d speakers others forget, e danger without
danger words, f answers to the reflection questions (session 4); g denials
and reassurance, h danger without danger words, i physical words with two
meanings, j coercion and control against ordinary disagreement, k speakers
others forget and long answers, l answers to the reflection questions
(session 5). The rules were never tuned on them. d, h and l are left out of
the layer's training and choose its threshold and veto
(train_safety_model.CALIBRATION): their figures are unseen ones.
Before any training on them (recall / false alarms, rules + the layer of the time):
  session 3's layer: a 0.782 / 0.052  b 0.702 / 0.047  c 0.776 / 0.048
                     d 0.771 / 0.037  e 0.596 / 0.044  f 0.639 / 0.016
  session 4's layer: g 0.889 / 0.118  h 0.642 / 0.010  i 0.787 / 0.017
                     j 0.751 / 0.014  k 0.891 / 0.017  l 0.766 / 0.006"""
WRITTEN_MIN_RECALL = 0.80
"""A floor under every written set's recall (the target is 0.95 and is not
met on all of them), with WRITTEN_MAX_FALSE_ALARMS, a ceiling just above the
highest figure now (the unseen d and h: 0.023, 0.024): these are near misses
made to fool a check. After training (session 5): recall 0.81-0.99, false
alarms 0.000-0.024; the unseen d, h, l 0.887 / 0.023, 0.814 / 0.024,
0.918 / 0.013."""
WRITTEN_MAX_FALSE_ALARMS = 0.03
FRESH_SETS: tuple[str, ...] = ("heldout8", "heldout9", "heldout10", "heldout11", "heldout12")
"""Sets written by someone who had not seen the rules or any other set,
never tuned on while fresh: held to the false-alarm target and to a recall
floor just under their figure when the net was last final, so that no change
loses ground on unseen wording unnoticed. Once tuned on, a set moves to SETS.
Figures are rules + layer, recall / false alarms; only aggregates were looked at.
  heldout8  measured once after the sixth pass and the layer's first training
            (4bcbeff): 0.847 / 0.013, rules alone 0.767 / 0.003. Session 4's
            layer: 0.780 / 0.007.
  heldout9, heldout10  written in session 4 to the written sets' brief by two
            helpers who saw nothing else. Session 3's net 0.840 / 0.027 and
            0.807 / 0.020; session 4's layer 0.827 / 0.000 and 0.800 / 0.007.
  heldout11, heldout12  written in session 5 to the same brief by two more
            helpers. First measured with a candidate of session 5 (the
            fine-tuned layer after 1.5 epochs: 0.880 / 0.013, 0.880 / 0.010),
            then with the shipped one (3 epochs): 0.940 / 0.000 each.
  Session 5's shipped layer on heldout8-10: 0.920 / 0.007, 0.913 / 0.007,
  0.907 / 0.003. These three had also seen two candidates of session 5: a
  head on the frozen encoder retrained on all twelve written sets (0.707,
  0.807, 0.747 recall; not shipped) and the 1.5-epoch fine-tuning (0.893 /
  0.007, 0.880 / 0.020, 0.860 / 0.003).
Neither the threshold nor the veto was ever chosen on them."""
FRESH_MIN_RECALL = {"heldout8": 0.90, "heldout9": 0.90, "heldout10": 0.89, "heldout11": 0.92, "heldout12": 0.92}
"""Floors under the fresh figures; the target is 0.95 and is not met."""
EXTRA_NEGATIVE = ROOT / "tests" / "data" / "safety_extra_negative.txt"


def read_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def default_files(which: str) -> tuple[Path, Path]:
    for name in (["heldout", "dev"] if which == "auto" else [which]):
        d = ROOT / "tests" / "data" / name
        pos, neg = d / "safety_positive.txt", d / "safety_negative.txt"
        if pos.exists() and neg.exists():
            return pos, neg
    sys.exit(f"no safety evaluation files found for set '{which}'")


def evaluate(pos_file: Path, neg_file: Path, net=None) -> dict:
    net = net or load_safety()
    pos, neg = read_lines(pos_file), read_lines(neg_file)
    missed = [t for t in pos if net.check(t) is None]
    alarms = [(t, net.check(t)) for t in neg]
    alarms = [(t, h) for t, h in alarms if h is not None]
    return {
        "n_pos": len(pos),
        "n_neg": len(neg),
        "recall": (len(pos) - len(missed)) / len(pos) if pos else 1.0,
        "false_alarm_rate": len(alarms) / len(neg) if neg else 0.0,
        "missed": missed,
        "false_alarms": alarms,
    }


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
    for name in SETS + WRITTEN_SETS + FRESH_SETS:
        d = ROOT / "tests" / "data" / name
        pos, neg = d / "safety_positive.txt", d / "safety_negative.txt"
        if not (pos.exists() and neg.exists()):
            print(f"{name:10s} (not present)")
            continue
        t0 = time.perf_counter()
        r = evaluate(pos, neg, net)
        timings.append((time.perf_counter() - t0) * 1000 / (r["n_pos"] + r["n_neg"]))
        floor = (FRESH_MIN_RECALL[name] if name in FRESH_SETS
                 else WRITTEN_MIN_RECALL if name in WRITTEN_SETS else MIN_RECALL)
        ceiling = WRITTEN_MAX_FALSE_ALARMS if name in WRITTEN_SETS else MAX_FALSE_ALARMS
        ok &= r["recall"] >= floor and r["false_alarm_rate"] <= ceiling
        print(f"{name:10s} recall {r['recall']:.3f} ({r['n_pos'] - len(r['missed'])}/{r['n_pos']})"
              f"  false alarms {r['false_alarm_rate']:.3f} ({len(r['false_alarms'])}/{r['n_neg']})")
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
    ap.add_argument("--set", default="auto", choices=["auto", *SETS, *WRITTEN_SETS, *FRESH_SETS],
                    help="which tests/data set to use when no files are given (auto: heldout if present)")
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
