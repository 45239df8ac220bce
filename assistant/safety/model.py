"""The safety net's learned backstop: sentence meaning, after the rules.

Rules catch the wordings someone thought of; on wording nobody tuned on they
catch about two danger statements in three. This layer scores what the rules
let through: a sentence encoder (see sentence_encoder.py) turns the utterance
into a vector, and a small network trained on the labelled safety sets
(scripts/train_safety_model.py) gives the probability that it speaks of
danger. Its weights and threshold are content (content/safety_model.npz).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.content.files import content_dir
from assistant.models.encoder import EncoderError, SentenceEncoder, find_model_dir

CACHE_SIZE = 4096
WEIGHTS = content_dir() / "safety_model.npz"
_A, _B, _R = "lora_a|", "lora_b|", "replace|"
"""Prefixes of the encoder's fine-tuning in the weights file, before the model's tensor names."""


class SafetyModelError(RuntimeError):
    """The backstop could not be loaded (message is one clear sentence)."""


@dataclass
class Classifier:
    """One hidden layer (ReLU) and a logistic output; ``threshold`` decides."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    threshold: float
    veto: float = 0.0
    """A rule's hit on a sentence scored below this is set aside (see
    SafetyNet.check); 0 keeps every rule's hit."""
    low_rank: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """The encoder's fine-tuning, trained with this head: a low-rank update
    (a, b) per dense layer (SentenceEncoder.adapt). Empty: the encoder as published."""
    replace: dict[str, np.ndarray] = field(default_factory=dict)
    """Encoder tensors trained with this head (its layer norms)."""

    def prob(self, x: np.ndarray) -> np.ndarray:
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-(h @ self.w2 + self.b2)))

    def save(self, path: Path, **meta: str) -> None:
        # Low-rank factors in half precision: a tenth of the size, and the
        # scores move by under 2e-3 (scripts/train_safety_model.py checks).
        extra = {f"{_A}{k}": a.astype(np.float16) for k, (a, _) in self.low_rank.items()}
        extra |= {f"{_B}{k}": b.astype(np.float16) for k, (_, b) in self.low_rank.items()}
        extra |= {f"{_R}{k}": t.astype(np.float32) for k, t in self.replace.items()}
        np.savez(path, w1=self.w1.astype(np.float32), b1=self.b1.astype(np.float32),
                 w2=self.w2.astype(np.float32), b2=np.float32(self.b2),
                 threshold=np.float32(self.threshold), veto=np.float32(self.veto),
                 **extra, **{k: np.str_(v) for k, v in meta.items()})

    @classmethod
    def load(cls, path: Path) -> "Classifier":
        try:
            with np.load(path) as z:
                c = cls(z["w1"], z["b1"], z["w2"], float(z["b2"]), float(z["threshold"]),
                        float(z["veto"]) if "veto" in z.files else 0.0,
                        {k[len(_A):]: (z[k], z[_B + k[len(_A):]]) for k in z.files if k.startswith(_A)},
                        {k[len(_R):]: z[k] for k in z.files if k.startswith(_R)})
        except (OSError, KeyError, ValueError) as e:
            raise SafetyModelError(f"the safety model's weights in {path} could not be read ({e})") from e
        if c.w1.shape[1] != c.b1.shape[0] or c.w2.shape[0] != c.b1.shape[0]:
            raise SafetyModelError(f"the safety model's weights in {path} do not fit together")
        return c


class SafetyModel:
    def __init__(self, encoder: SentenceEncoder, classifier: Classifier) -> None:
        if classifier.w1.shape[0] != encoder.dim:
            raise SafetyModelError("the safety model's weights were trained for another encoder")
        self.encoder = encoder
        self.classifier = classifier
        self._seen: dict[str, float] = {}
        """Recent answers' scores: an utterance is checked again when it is
        repeated or confirmed; bounded so a long session cannot grow it."""

    def prob(self, text: str) -> float:
        key = " ".join(text.lower().split())
        p = self._seen.get(key)
        if p is None:
            if len(self._seen) >= CACHE_SIZE:
                self._seen.clear()
            p = self._seen[key] = float(self.classifier.prob(self.encoder.encode(key)))
        return p


def load_safety_model(model_dir: Path | None = None, weights: Path = WEIGHTS) -> SafetyModel:
    """The backstop, or SafetyModelError saying what is missing and how to install it."""
    model_dir = model_dir or find_model_dir()
    if model_dir is None:
        raise SafetyModelError("the safety net's sentence model is not installed "
                               "(run: python scripts/fetch_models.py safety)")
    classifier = Classifier.load(weights)
    try:
        encoder = SentenceEncoder(model_dir)
    except EncoderError as e:
        raise SafetyModelError(f"{e} (reinstall: python scripts/fetch_models.py safety --force)") from e
    try:
        encoder.adapt(classifier.low_rank, classifier.replace)
    except EncoderError as e:  # the weights file is the odd one out, not the model
        raise SafetyModelError(f"{e}: {weights} was trained for another encoder "
                               "(retrain: python scripts/train_safety_model.py)") from e
    return SafetyModel(encoder, classifier)
