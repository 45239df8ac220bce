#!/usr/bin/env python3
"""Train a reader (assistant/understanding/reader.py) on lines written for
training only, and store its head in assistant/content/.

- perspective: who is speaking, from the openings and corrections in
  data/training/perspectives/*.tsv (-> perspective_head.npz);
- gist: what an answer to a yes/no question says (yes, no, unsure, other),
  from data/training/step_answers/*.tsv and the yes/no/unsure examples of
  commands.toml (-> gist_head.npz).

Prints the reader's accuracy by 5-fold cross-validation on its training
lines, and alone (no keywords) on the development people
(data/development/perspectives, dev part): the engine's own figures come
from scripts/eval_perspectives.py and scripts/eval_step_answers.py.

    python scripts/train_reader.py perspective          # train and store
    python scripts/train_reader.py gist --check         # cross-validate only
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
from assistant.understanding.reader import GIST_HEAD, PERSPECTIVE_HEAD, train  # noqa: E402
from eval_perspectives import PERSPECTIVES, people  # noqa: E402
from reflectkit.data import PERSPECTIVE_TRAINING, STEP_ANSWER_TRAINING  # noqa: E402

FOLDS = 5
GISTS = ("yes", "no", "unsure", "other")

Lines = tuple[list[str], list[str]]


def openings() -> Lines:
    """Who is speaking: (texts, perspectives) of the training openings."""
    texts, labels = [], []
    for path in sorted(PERSPECTIVE_TRAINING.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("perspective") in PERSPECTIVES and (row.get("text") or "").strip():
                    labels.append(row["perspective"])
                    texts.append(row["text"].strip())
    return texts, labels


def step_answers(generic: dict[str, list[str]]) -> Lines:
    """What an answer says: (texts, gists) of the training answers
    (``LABEL<TAB>QUESTION<TAB>ANSWER``; "#" starts a comment) and of the
    matcher's own yes/no/unsure examples."""
    texts, labels = [], []
    for path in sorted(STEP_ANSWER_TRAINING.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if line.startswith("#") or len(fields) != 3 or fields[0].strip() not in GISTS:
                continue
            labels.append(fields[0].strip())
            texts.append(fields[2].strip())
    for gist, examples in generic.items():
        texts += examples
        labels += [gist] * len(examples)
    return texts, labels


def development(what: str) -> Lines:
    """The development people's openings, or their answers a writer read as
    yes, no or unsure (the reader alone on them)."""
    dev = people("dev")
    if what == "perspective":
        return [p["opening"] for p in dev], [p["perspective"] for p in dev]
    pairs = [(p["answers"][k], g) for p in dev for k, g in p.get("gists", {}).items() if g in GISTS]
    return [t for t, _ in pairs], [g for _, g in pairs]


def accuracy(reader, vectors: np.ndarray, words: list[list[str]],
             labels: list[str]) -> tuple[float, list[tuple[str, float]]]:
    read = [reader.read(v, w) for v, w in zip(vectors, words)]
    right = sum(name == y for (name, _), y in zip(read, labels))
    return right / max(1, len(labels)), read


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("perspective", "gist"))
    ap.add_argument("--check", action="store_true", help="cross-validate only; store nothing")
    args = ap.parse_args(argv)
    model_dir = find_model_dir()
    if model_dir is None:
        print("the sentence encoder is not installed: run scripts/fetch_models.py first", file=sys.stderr)
        return 2
    encoder = SentenceEncoder(model_dir)
    matcher = load_content(meaning=False).matcher
    if args.what == "perspective":
        (texts, labels), names, head = openings(), PERSPECTIVES, PERSPECTIVE_HEAD
    else:
        (texts, labels), names, head = step_answers(matcher.generic), GISTS, GIST_HEAD
    if not texts:
        print(f"no training lines for the {args.what} reader", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    x = np.stack([encoder.encode(t, tuned=False) for t in texts])
    words = [matcher.normalise(t).split() for t in texts]
    counts = ", ".join(f"{labels.count(n)} {n}" for n in names)
    print(f"{len(texts)} training lines ({counts}) encoded in {time.perf_counter() - t0:.1f} s")
    order = np.random.default_rng(0).permutation(len(texts))
    right = 0
    for k in range(FOLDS):
        test = order[k::FOLDS]
        rows = np.setdiff1d(order, test)
        reader = train(x[rows], [words[i] for i in rows], [labels[i] for i in rows], names)
        acc, _ = accuracy(reader, x[test], [words[i] for i in test], [labels[i] for i in test])
        right += round(acc * len(test))
    print(f"cross-validated ({FOLDS} folds): {right}/{len(texts)} = {100 * right / len(texts):.1f} %")
    reader = train(x, words, labels, names)
    dt, dl = development(args.what)
    dx = np.stack([encoder.encode(t, tuned=False) for t in dt])
    acc, read = accuracy(reader, dx, [matcher.normalise(t).split() for t in dt], dl)
    print(f"alone on the development people: {100 * acc:.1f} % of {len(dl)}")
    for bar in (0.5, 0.6, 0.7, 0.8, 0.9):
        taken = [name == y for (name, p), y in zip(read, dl) if p >= bar]
        print(f"  sure >= {bar}: {len(taken)} taken, {sum(taken)} right")
    if not args.check:
        out = content_dir() / head
        reader.save(out)
        print(f"stored -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
