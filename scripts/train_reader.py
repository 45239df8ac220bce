#!/usr/bin/env python3
"""Train a reader (assistant/understanding/reader.py) on lines written for
training only, and store its head in assistant/content/.

- perspective: who is speaking, from the openings and corrections in
  data/training/perspectives/*.tsv (-> perspective_head.npz);
- gist: what an answer to a yes/no question says (yes, no, unsure, other),
  from data/training/step_answers/*.tsv and the yes/no/unsure examples of
  commands.toml (-> gist_head.npz);
- command: which global command an utterance asks for, or none (an answer),
  from data/training/commands/*.tsv, the command examples of commands.toml,
  and as none the training answers and openings above and 2,000 lines of
  content/not_commands.txt (-> command_head.npz).

Prints the reader's accuracy by 5-fold cross-validation on its training
lines, and alone (no keywords) on the development people
(data/development/perspectives, dev part) or, for commands, the development
hearing sets as written: the engine's own figures come from
scripts/eval_perspectives.py, scripts/eval_step_answers.py and
scripts/bench_hearing.py --text.

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
from assistant.understanding.match import NONE  # noqa: E402
from assistant.understanding.meaning import SLOT_WORDS, load_not_commands  # noqa: E402
from assistant.understanding.reader import COMMAND_HEAD, COMMAND_LABELS, GIST_HEAD, PERSPECTIVE_HEAD, train  # noqa: E402
from eval_perspectives import PERSPECTIVES, people  # noqa: E402
from reflectkit.data import (  # noqa: E402
    COMMAND_TRAINING,
    HEARING_SETS,
    PERSPECTIVE_TRAINING,
    STEP_ANSWER_TRAINING,
    hearing_dir,
)

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


def labelled_lines(folder: Path, names: tuple[str, ...]) -> Lines:
    """(texts, labels) of the ``LABEL<TAB>ANYTHING<TAB>TEXT`` lines of the
    folder's *.tsv files whose label is one of ``names`` ("#" starts a comment)."""
    texts, labels = [], []
    for path in sorted(folder.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if line.startswith("#") or len(fields) != 3 or fields[0].strip() not in names:
                continue
            labels.append(fields[0].strip())
            texts.append(fields[2].strip())
    return texts, labels


def step_answers(generic: dict[str, list[str]]) -> Lines:
    """What an answer says: (texts, gists) of the training answers
    (``LABEL<TAB>QUESTION<TAB>ANSWER``; "#" starts a comment) and of the
    matcher's own yes/no/unsure examples."""
    texts, labels = labelled_lines(STEP_ANSWER_TRAINING, GISTS)
    for gist, examples in generic.items():
        texts += examples
        labels += [gist] * len(examples)
    return texts, labels


def command_lines(examples: dict[str, list[str]]) -> Lines:
    """Which command: (texts, labels) of the training commands and answers
    full of command words, the matcher's command examples (a section slot
    said as SLOT_WORDS), and every training answer and opening as none."""
    texts, labels = labelled_lines(COMMAND_TRAINING, COMMAND_LABELS)
    for intent in COMMAND_LABELS:
        said = [e.replace("{section}", SLOT_WORDS) for e in examples.get(intent, [])]
        texts += said
        labels += [intent] * len(said)
    answers = step_answers({})[0] + openings()[0]
    rng = np.random.default_rng(0)
    spare = load_not_commands()
    answers += [spare[i] for i in rng.choice(len(spare), min(len(spare), 2000), replace=False)]
    texts += answers
    labels += [NONE] * len(answers)
    return texts, labels


def development(what: str) -> Lines:
    """The development people's openings, or their answers a writer read as
    yes, no or unsure (the reader alone on them)."""
    if what == "command":
        return hearing_development()
    dev = people("dev")
    if what == "perspective":
        return [p["opening"] for p in dev], [p["perspective"] for p in dev]
    pairs = [(p["answers"][k], g) for p in dev for k, g in p.get("gists", {}).items() if g in GISTS]
    return [t for t, _ in pairs], [g for _, g in pairs]


def hearing_development() -> Lines:
    """The development hearing sets as written: commands, answers (thinking
    pauses dropped) and answers full of command words (none)."""
    texts, labels = [], []
    for name in HEARING_SETS:
        folder = hearing_dir(name)
        with (folder / "commands.tsv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                if row.get("intent") in COMMAND_LABELS and (row.get("text") or "").strip():
                    texts.append(row["text"].strip())
                    labels.append(row["intent"])
        for file in ("answers.txt", "not_commands.txt"):
            path = folder / file
            said = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
            said = [" ".join(a.replace("|", " ").split()) for a in said if a.strip() and not a.startswith("#")]
            texts += said
            labels += [NONE] * len(said)
    return texts, labels


CACHE = Path.home() / ".cache" / "reflect" / "train_reader_vectors.npz"
"""Sentence vectors of lines encoded before (the encoder as published never
changes between runs): a retraining encodes only new lines."""


def encode_all(encoder, texts: list[str]) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    try:
        with np.load(CACHE, allow_pickle=False) as z:
            known = dict(zip((str(t) for t in z["texts"]), z["vectors"]))
    except (OSError, KeyError, ValueError):
        pass
    new = [t for t in dict.fromkeys(texts) if t not in known]
    for t in new:
        known[t] = encoder.encode(t, tuned=False).astype(np.float32)
    if new:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, texts=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts])


def accuracy(reader, vectors: np.ndarray, words: list[list[str]],
             labels: list[str]) -> tuple[float, list[tuple[str, float]]]:
    read = [reader.read(v, w) for v, w in zip(vectors, words)]
    right = sum(name == y for (name, _), y in zip(read, labels))
    return right / max(1, len(labels)), read


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("perspective", "gist", "command"))
    ap.add_argument("--check", action="store_true", help="cross-validate only; store nothing")
    ap.add_argument("--folds", type=int, default=FOLDS, help=f"cross-validation folds (0: none; default {FOLDS})")
    args = ap.parse_args(argv)
    model_dir = find_model_dir()
    if model_dir is None:
        print("the sentence encoder is not installed: run scripts/fetch_models.py first", file=sys.stderr)
        return 2
    encoder = SentenceEncoder(model_dir)
    matcher = load_content(meaning=False).matcher
    if args.what == "perspective":
        (texts, labels), names, head = openings(), PERSPECTIVES, PERSPECTIVE_HEAD
    elif args.what == "gist":
        (texts, labels), names, head = step_answers(matcher.generic), GISTS, GIST_HEAD
    else:
        (texts, labels), names, head = command_lines(matcher.examples), COMMAND_LABELS, COMMAND_HEAD
    if not texts:
        print(f"no training lines for the {args.what} reader", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    x = encode_all(encoder, texts)
    words = [matcher.normalise(t).split() for t in texts]
    counts = ", ".join(f"{labels.count(n)} {n}" for n in names)
    print(f"{len(texts)} training lines ({counts}) encoded in {time.perf_counter() - t0:.1f} s", flush=True)
    order = np.random.default_rng(0).permutation(len(texts))
    right = 0
    for k in range(args.folds):
        test = order[k::args.folds]
        rows = np.setdiff1d(order, test)
        reader = train(x[rows], [words[i] for i in rows], [labels[i] for i in rows], names)
        acc, _ = accuracy(reader, x[test], [words[i] for i in test], [labels[i] for i in test])
        right += round(acc * len(test))
        print(f"  fold {k + 1} of {args.folds}: {100 * acc:.1f} %", flush=True)
    if args.folds:
        print(f"cross-validated ({args.folds} folds): {right}/{len(texts)} = {100 * right / len(texts):.1f} %")
    reader = train(x, words, labels, names)
    dt, dl = development(args.what)
    dx = encode_all(encoder, dt)
    acc, read = accuracy(reader, dx, [matcher.normalise(t).split() for t in dt], dl)
    print(f"alone on the development {'hearing sets' if args.what == 'command' else 'people'}: "
          f"{100 * acc:.1f} % of {len(dl)}")
    for bar in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        taken = [name == y for (name, p), y in zip(read, dl) if p >= bar]
        line = f"  sure >= {bar}: {len(taken)} taken, {sum(taken)} right"
        if args.what == "command":
            commands = [(name, y) for (name, p), y in zip(read, dl) if p >= bar and name != NONE]
            line += (f"; commands named {len(commands)}, right {sum(n == y for n, y in commands)},"
                     f" answers among them {sum(y == NONE for _, y in commands)}")
        print(line)
    if not args.check:
        out = content_dir() / head
        reader.save(out)
        print(f"stored -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
