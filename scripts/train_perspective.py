#!/usr/bin/env python3
"""Train the perspective reader (assistant/understanding/perspective.py) on
the openings and corrections written for training (data/training/perspectives/*.tsv)
and store it as assistant/content/perspective_head.npz.

Prints the reader's accuracy by 5-fold cross-validation on the training
openings, and alone (no keywords) on the development people
(data/development/perspectives, dev part): the engine's own figures come
from scripts/eval_perspectives.py.

    python scripts/train_perspective.py            # train and store
    python scripts/train_perspective.py --check    # cross-validate only
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from assistant.content.files import content_dir  # noqa: E402
from assistant.dialog.session import load_content  # noqa: E402
from assistant.models.encoder import SentenceEncoder, find_model_dir  # noqa: E402
from assistant.understanding.perspective import HEAD_FILE, train  # noqa: E402
from eval_perspectives import PERSPECTIVES as NAMES, people  # noqa: E402
from reflectkit.data import PERSPECTIVE_TRAINING  # noqa: E402

FOLDS = 5


def openings(paths: list[Path]) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("perspective") in NAMES and (row.get("text") or "").strip():
                    labels.append(row["perspective"])
                    texts.append(row["text"].strip())
    return texts, labels


def accuracy(reader, vectors: np.ndarray, words: list[list[str]],
             labels: list[str]) -> tuple[float, list[tuple[str, float]]]:
    read = [reader.read(v, w) for v, w in zip(vectors, words)]
    right = sum(name == y for (name, _), y in zip(read, labels))
    return right / max(1, len(labels)), read


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="cross-validate only; store nothing")
    args = ap.parse_args(argv)
    model_dir = find_model_dir()
    if model_dir is None:
        print("the sentence encoder is not installed: run scripts/fetch_models.py first", file=sys.stderr)
        return 2
    encoder = SentenceEncoder(model_dir)
    normalise = load_content(meaning=False).matcher.normalise
    texts, labels = openings(sorted(PERSPECTIVE_TRAINING.glob("*.tsv")))
    t0 = time.perf_counter()
    x = np.stack([encoder.encode(t, tuned=False) for t in texts])
    words = [normalise(t).split() for t in texts]
    print(f"{len(texts)} training openings encoded in {time.perf_counter() - t0:.1f} s")
    order = np.random.default_rng(0).permutation(len(texts))
    right = 0
    for k in range(FOLDS):
        test = order[k::FOLDS]
        rows = np.setdiff1d(order, test)
        reader = train(x[rows], [words[i] for i in rows], [labels[i] for i in rows], NAMES)
        acc, _ = accuracy(reader, x[test], [words[i] for i in test], [labels[i] for i in test])
        right += round(acc * len(test))
    print(f"cross-validated ({FOLDS} folds): {right}/{len(texts)} = {100 * right / len(texts):.1f} %")
    reader = train(x, words, labels, NAMES)
    dev = people("dev")
    dt, dl = [p["opening"] for p in dev], [p["perspective"] for p in dev]
    dx = np.stack([encoder.encode(t, tuned=False) for t in dt])
    acc, read = accuracy(reader, dx, [normalise(t).split() for t in dt], dl)
    print(f"alone on the development people: {100 * acc:.1f} % of {len(dl)}")
    for bar in (0.5, 0.6, 0.7, 0.8):
        taken = [name == y for (name, p), y in zip(read, dl) if p >= bar]
        print(f"  sure >= {bar}: {len(taken)} taken, {sum(taken)} right")
    if not args.check:
        out = content_dir() / HEAD_FILE
        reader.save(out)
        print(f"stored -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
