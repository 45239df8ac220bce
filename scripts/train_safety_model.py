#!/usr/bin/env python3
"""Train the safety net's learned backstop and choose its threshold.

    python scripts/train_safety_model.py                 # train, report, write content/safety_model.npz
    python scripts/train_safety_model.py --dry-run       # report only
    python scripts/train_safety_model.py --false-alarms 0.015  # default 0.01
    python scripts/train_safety_model.py --reuse-unseen  # re-choose the threshold from the last run's scores

Needs JAX (``pip install -e '.[train]'``); about 25 minutes on two cores.
The encoder is fine-tuned with the head (scripts/safety_finetune.py).

Data: the tuned safety sets (reflectkit.safety_sets.SETS) and the written sets
(safety_sets.WRITTEN_SETS), positives and negatives, the extra harmless
sentences, the hand-written cases of reflectkit/safety_cases.py, and as more
negatives the NLU files' ordinary answers and the content's command and
answer examples. Fresh sets are never read. Where each set lives and its
role: data/MANIFEST.md (folders and lists: reflectkit/data.py).

The threshold is chosen on sentences the shipped network never saw: the
calibration sets (safety_sets.CALIBRATION_SETS, written for the purpose to
the fresh sets' brief) are left out of its training and scored after it. On
them the rules and the scores are combined as the net combines them
(SafetyNet.check): a rule's hit stands unless the score is below the veto;
otherwise the score decides against the threshold. The pair with the best
recall whose false alarms stay within the requested share is kept.
(Choosing on three written sets instead, as the first fine-tuned encoder did: near misses made to fool a
check, a threshold set to flag 2 % of those flagged 0-0.7 % of sentences
written for the purpose, and missed more. Choosing on sets like the ones the
targets are stated for, and training on every written set, does better.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.models.encoder import find_model_dir  # noqa: E402
from assistant.safety.model import WEIGHTS, Classifier  # noqa: E402
from reflectkit.data import DATA, safety_files  # noqa: E402
from reflectkit.safety_sets import CALIBRATION_SETS, SETS, WRITTEN_SETS, read_lines  # noqa: E402
from reflectkit.safety_training import training_data  # noqa: E402

SEED = 0


def choose(cp: np.ndarray, cn: np.ndarray, rp: np.ndarray, rn: np.ndarray,
           limit: float) -> tuple[float, float, float, float] | None:
    """(recall, -veto, threshold, false alarms) of the threshold and veto with
    the best recall whose false alarms stay within ``limit``, as SafetyNet.check
    combines them: a rule's hit (rp, rn) stands unless its score is below the
    veto; otherwise the score (cp, cn) decides against the threshold."""
    best: tuple[float, float, float, float] | None = None
    for veto in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9):
        for threshold in sorted(set(np.round(cn, 4).tolist()) | {0.995}):
            if threshold < 0.5:
                continue
            fa = float(np.mean((rn & (cn >= veto)) | (cn >= threshold)))
            if fa <= limit:  # the lowest threshold within the limit: the best recall for this veto
                rec = float(np.mean((rp & (cp >= veto)) | (cp >= threshold)))
                if best is None or (rec, -veto) > best[:2]:
                    best = (rec, -veto, threshold, fa)
                break
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Half the 2 % target: sets by different writers scatter (a threshold
    # chosen for 1 % on heldout8-12 flagged 3 % of heldout13-16).
    ap.add_argument("--false-alarms", type=float, default=0.01,
                    help="share of unseen harmless sentences the rules and the layer together may flag, "
                         "on the calibration sets (default 0.01, half the 2 %% target)")
    ap.add_argument("--dry-run", action="store_true", help="report, do not write the weights")
    ap.add_argument("--reuse-unseen", action="store_true",
                    help="take the network and its calibration scores from the last run (kept beside the "
                         "model) instead of training: to re-choose the threshold quickly")
    ap.add_argument("--calibrate-on", default=",".join(CALIBRATION_SETS),
                    help="comma-separated sets (data/ROLE/NAME) to leave out of training and choose the "
                         f"threshold on (default {','.join(CALIBRATION_SETS)})")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args(argv)

    calibration = tuple(s.strip() for s in args.calibrate_on.split(",") if s.strip())
    model_dir = find_model_dir()
    if model_dir is None:
        sys.exit("reflect: the sentence model is not installed (run: python scripts/fetch_models.py safety)")
    sets = {s: tuple(read_lines(f) for f in safety_files(s))
            for s in dict.fromkeys(SETS + WRITTEN_SETS + calibration) if safety_files(s)[0].is_file()}
    held = [s for s in calibration if s in sets]
    if not held:
        sys.exit(f"reflect: none of the calibration sets ({', '.join(calibration)}) is in {DATA}")
    pos, neg = training_data({s: v for s, v in sets.items() if s not in held})
    print(f"training data: {len(pos)} positives, {len(neg)} negatives; "
          f"calibration ({', '.join(held)}): {sum(len(sets[s][0]) for s in held)} positives, "
          f"{sum(len(sets[s][1]) for s in held)} negatives")

    last, last_unseen = model_dir / "last-training.npz", model_dir / "last-unseen.npz"
    if args.reuse_unseen:
        if not (last.is_file() and last_unseen.is_file()):
            sys.exit(f"reflect: no earlier run in {last} to reuse; run without --reuse-unseen")
        clf = Classifier.load(last)
        with np.load(last) as z:
            trained_on = set(str(z["trained_on"]).split(",")) if "trained_on" in z.files else set()
        if not trained_on or trained_on & set(held):
            sys.exit("reflect: the last run trained on a calibration set (or does not say what it trained on); "
                     "run without --reuse-unseen")
        with np.load(last_unseen) as z:
            unseen = {s: (z[f"unseen|{s}|pos"], z[f"unseen|{s}|neg"]) for s in held if f"unseen|{s}|pos" in z.files}
        missing = [s for s in held if s not in unseen]
        if missing:  # never trained on: score them as the assistant will
            from assistant.safety.model import load_safety_model

            model = load_safety_model(model_dir, last)
            print(f"scoring {', '.join(missing)} with the last run's network")
            for s in missing:
                unseen[s] = tuple(np.array([model.prob(t) for t in sets[s][k]]) for k in (0, 1))
    else:
        import safety_finetune as ft

        trained_on = {s for s in sets if s not in held}
        enc = ft.Encoder(model_dir)
        t0 = time.time()
        params = ft.train(enc, enc.ids(pos + neg), np.array([1] * len(pos) + [0] * len(neg), np.float32), SEED)
        print(f"trained in {time.time() - t0:.0f} s")
        unseen = {s: (ft.score(enc, params, enc.ids(sets[s][0])), ft.score(enc, params, enc.ids(sets[s][1])))
                  for s in held}
        head, low_rank, replace = enc.export(params)
        clf = Classifier(head["w1"], head["b1"], head["w2"], float(head["b2"]), 0.5, 0.0, low_rank, replace)
        # What the assistant will compute: the numpy encoder with the saved
        # (half-precision) update must agree with the training's scores.
        clf.save(last, trained_on=",".join(sorted(trained_on)))
        np.savez(last_unseen, **{f"unseen|{s}|{k}": v for s in held for k, v in zip(("pos", "neg"), unseen[s])})
        check_agreement(last, model_dir, [t for s in held for t in sets[s][0][:40]],
                        np.concatenate([unseen[s][0][:40] for s in held]))
    for s in held:
        print(f"  {s:9s} unseen: recall@0.5 {np.mean(unseen[s][0] >= 0.5):.3f}  "
              f"false alarms@0.5 {np.mean(unseen[s][1] >= 0.5):.3f}")

    from assistant.safety.rules import load_safety

    rules = load_safety(model=False)
    cp = np.concatenate([unseen[s][0] for s in held])
    cn = np.concatenate([unseen[s][1] for s in held])
    rp = np.array([rules.check_rules(t) is not None for s in held for t in sets[s][0]])
    rn = np.array([rules.check_rules(t) is not None for s in held for t in sets[s][1]])
    print(f"rules alone on the calibration sets: recall {rp.mean():.3f}, false alarms {rn.mean():.4f}")
    for limit in (0.01, 0.015, 0.02, 0.03, 0.05):
        pair = choose(cp, cn, rp, rn, limit)
        if pair:
            print(f"  within {limit:.1%} false alarms: recall {pair[0]:.3f} (threshold {pair[2]:.4f}, veto {-pair[1]:.3f})")
    best = choose(cp, cn, rp, rn, args.false_alarms)
    if best is None:
        sys.exit(f"reflect: no threshold and veto keep false alarms within {args.false_alarms:.2%}")
    rec, veto, threshold, fa = best[0], -best[1], best[2], best[3]
    print(f"threshold {threshold:.4f}, veto {veto:.3f}: rules + layer on the calibration sets, unseen: "
          f"recall {rec:.3f} ({len(cp)} positives), false alarms {fa:.4f} ({len(cn)} negatives); "
          f"the veto sets aside {int(np.sum(rn & (cn < veto)))} false alarms and {int(np.sum(rp & (cp < veto)))} "
          f"danger statements")
    print(f"the layer alone at {threshold:.4f}, unseen: recall {np.mean(cp >= threshold):.3f}, "
          f"false alarms {np.mean(cn >= threshold):.4f}")
    if args.dry_run:
        return 0
    clf.threshold, clf.veto = threshold, veto
    clf.save(args.out, trained_on=",".join(sorted(trained_on)), calibrated_on=",".join(held),
             unseen=f"rules + layer: recall {rec:.3f} false alarms {fa:.4f} at {threshold:.4f} veto {veto:.3f}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


def check_agreement(weights: Path, model_dir: Path, texts: list[str], expected: np.ndarray) -> None:
    from assistant.safety.model import load_safety_model

    model = load_safety_model(model_dir, weights)  # loaded as the assistant loads it
    got = np.array([model.prob(t) for t in texts])
    worst = float(np.max(np.abs(got - expected)))
    print(f"numpy encoder with the saved update vs training: largest difference {worst:.2e} over {len(texts)} sentences")
    if worst > 2e-3:
        sys.exit("reflect: the numpy encoder does not reproduce the training's scores; weights not written")


if __name__ == "__main__":
    sys.exit(main())
