"""Readers by meaning and by word order: a linear layer over the sentence
encoder's vector and the utterance's word n-grams, trained by
scripts/train_reader.py on lines written for training only.

Three are shipped (content/*_head.npz):
- who is speaking (PERSPECTIVE_HEAD): hurt, hurter, both or reflect;
- what an answer to a yes/no question says (GIST_HEAD): yes, no, unsure, or
  other (something else);
- which command is asked for (COMMAND_HEAD), or none: the words are an answer.

The sentence vector generalises to stories told in words nobody foresaw
("the messages came up on the ipad we share") but hardly tells "he cheated on
me" from "I cheated on him", or "a little" from "not a little"; n-grams of
one to three words ("cheated on me", "i cheated", "not really") carry who did
what and which way an answer turns. The probability says how sure it is:
below the engine's bar the keywords stand, or the person is asked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from assistant.content.files import content_dir

PERSPECTIVE_HEAD = "perspective_head.npz"
GIST_HEAD = "gist_head.npz"
COMMAND_HEAD = "command_head.npz"
COMMAND_LABELS = ("pause", "resume", "repeat", "next", "back", "read_section", "goto_section",
                  "stop_reading", "slower", "faster", "help", "where_am_i", "list_sections",
                  "quit", "perspective", "delete_journal", "none")
"""The global commands (no answer words) and none: an answer."""
MAX_N = 3
EMBED_SCALE = 10.0
BAG_SCALE = 10.0
"""Both parts unit length, then scaled: logistic regression's weights stay
small while its probabilities can still be sure (chosen by cross-validation
on the training openings)."""


def ngrams(words: Sequence[str]) -> list[str]:
    """Every run of one to MAX_N words, joined by "_"."""
    return ["_".join(words[i:i + n]) for n in range(1, MAX_N + 1) for i in range(len(words) - n + 1)]


class TextReader:
    """softmax(W [v; bag] + b) over the labels."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, labels: Sequence[str],
                 vocabulary: Sequence[str]) -> None:
        if weights.ndim != 2 or weights.shape[0] != len(labels) or bias.shape != (len(labels),):
            raise ValueError(f"a reader head of shape {weights.shape} for {len(labels)} labels")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.labels = tuple(labels)
        self.vocabulary = tuple(vocabulary)
        self._index = {g: i for i, g in enumerate(self.vocabulary)}

    @classmethod
    def load(cls, name: str | Path) -> "TextReader | None":
        """A shipped head (a file name in content/) or any path; None when the
        file is absent (keywords alone then)."""
        path = name if isinstance(name, Path) else content_dir() / name
        if not path.is_file():
            return None
        with np.load(path) as z:
            return cls(z["weights"], z["bias"], [str(x) for x in z["labels"]],
                       [str(x) for x in z["vocabulary"]])

    def save(self, path: Path) -> None:
        np.savez_compressed(path, weights=self.weights, bias=self.bias, labels=np.array(self.labels),
                            vocabulary=np.array(self.vocabulary))

    def features(self, vector: np.ndarray, words: Sequence[str]) -> np.ndarray:
        bag = np.zeros(len(self.vocabulary), np.float32)
        for g in ngrams(words):
            i = self._index.get(g)
            if i is not None:
                bag[i] = 1.0
        norm = float(np.linalg.norm(bag))
        if norm:
            bag *= BAG_SCALE / norm
        return np.concatenate([vector.astype(np.float32) * EMBED_SCALE, bag])

    def probabilities(self, vector: np.ndarray, words: Sequence[str]) -> dict[str, float]:
        z = self.weights @ self.features(vector, words) + self.bias
        p = np.exp(z - z.max())
        p /= p.sum()
        return {name: float(x) for name, x in zip(self.labels, p)}

    def read(self, vector: np.ndarray, words: Sequence[str]) -> tuple[str, float]:
        """(the likeliest label, its probability)."""
        probs = self.probabilities(vector, words)
        best = max(probs, key=probs.get)
        return best, probs[best]


def vocabulary_of(word_lists: Iterable[Sequence[str]], min_count: int = 2) -> list[str]:
    """The n-grams said by at least ``min_count`` training lines."""
    counts: dict[str, int] = {}
    for words in word_lists:
        for g in set(ngrams(words)):
            counts[g] = counts.get(g, 0) + 1
    return sorted(g for g, c in counts.items() if c >= min_count)


def train(vectors: np.ndarray, word_lists: list[list[str]], labels: list[str], names: Sequence[str],
          l2: float = 1e-3, steps: int = 3000, rate: float = 0.5) -> TextReader:
    """Multinomial logistic regression by full-batch gradient descent (a few
    thousand sentences: a minute or two, and the same result on every run).
    The n-gram part stays sparse: a line has a few dozen of many thousand."""
    vocabulary = vocabulary_of(word_lists)
    index = {g: i for i, g in enumerate(vocabulary)}
    dense = np.asarray(vectors, np.float64) * EMBED_SCALE
    rows, cols, vals = [], [], []
    for r, words in enumerate(word_lists):
        present = sorted({index[g] for g in ngrams(words) if g in index})
        if present:
            rows += [r] * len(present)
            cols += present
            vals += [BAG_SCALE / np.sqrt(len(present))] * len(present)
    rows_a, cols_a, vals_a = np.array(rows, np.int64), np.array(cols, np.int64), np.array(vals)
    y = np.array([list(names).index(label) for label in labels])
    n, k, v = len(dense), len(names), len(vocabulary)
    w_dense, w_bag, b = np.zeros((k, dense.shape[1])), np.zeros((k, v)), np.zeros(k)
    onehot = np.eye(k)[y]
    for _ in range(steps):
        z = dense @ w_dense.T + b
        for c in range(k):  # per label, a weighted count: numpy's fastest sparse product
            z[:, c] += np.bincount(rows_a, weights=w_bag[c][cols_a] * vals_a, minlength=n)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n
        g_by_label = np.ascontiguousarray(g.T)
        grad_bag = l2 * w_bag
        for c in range(k):
            grad_bag[c] += np.bincount(cols_a, weights=g_by_label[c][rows_a] * vals_a, minlength=v)
        w_dense -= rate * (g.T @ dense + l2 * w_dense)
        w_bag -= rate * grad_bag
        b -= rate * g.sum(axis=0)
    return TextReader(np.concatenate([w_dense, w_bag], axis=1), b, names, vocabulary)
