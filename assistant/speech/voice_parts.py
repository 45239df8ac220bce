"""The neural voice in two parts, so that a sentence can be heard as it is made.

A Piper voice is one network: text encoder, duration predictor and flow turn
phonemes into a latent frame sequence (about a fifth of the work), and a
convolutional decoder turns each frame into 256 samples (the rest). Split in
two, the decoder can run on the first frames alone and speech can start
while the rest is decoded. Its receptive field is under 12 frames: decoding a
stretch with CONTEXT frames either side gives exactly the samples the whole
decode gives.

The split is made once, at installation (``scripts/fetch_models.py piper``),
with the ``onnx`` package; at run time only onnxruntime is needed. Without
the parts the voice is run whole, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from assistant.storage.atomic import write_atomic

PARTS_DIR = "stream"
ENCODER, DECODER = "encoder.onnx", "decoder.onnx"
DECODER_PREFIX = "/dec/"
"""Node names of the decoder in Piper's export (VITS: ``dec``)."""
CONTEXT = 16
"""Latent frames decoded either side of a stretch and dropped (12 suffice)."""
MODEL_MODE = 0o644


class SplitError(RuntimeError):
    """The voice cannot be split (message is one sentence)."""


def voice_parts(model: Path) -> Optional[tuple[Path, Path]]:
    """The encoder and decoder made from ``model``, if they are there and newer."""
    folder = model.parent / PARTS_DIR / model.stem
    parts = (folder / ENCODER, folder / DECODER)
    try:
        made = min(p.stat().st_mtime for p in parts)
        return parts if made >= model.stat().st_mtime else None
    except OSError:
        return None


def split_voice(model: Path) -> tuple[Path, Path]:
    """Write ``model``'s encoder and decoder beside it; SplitError if they
    cannot be made (the voice then runs whole)."""
    try:
        import onnx
        import onnx.utils
    except ImportError as exc:
        raise SplitError(f"the onnx package is not installed ({exc.name})") from exc
    try:
        graph = onnx.load(str(model), load_external_data=False).graph
    except Exception as exc:
        raise SplitError(f"cannot read {model} ({exc})") from exc
    weights = {t.name for t in graph.initializer}
    made_in_decoder = {o for n in graph.node if n.name.startswith(DECODER_PREFIX) for o in n.output}
    latent = sorted({i for n in graph.node if n.name.startswith(DECODER_PREFIX) for i in n.input
                     if i and i not in weights and i not in made_in_decoder})
    if len(latent) != 1:
        raise SplitError(f"{model.name} has no single decoder input ({len(latent)} found)")
    folder = model.parent / PARTS_DIR / model.stem
    folder.mkdir(parents=True, exist_ok=True)
    inputs = [i.name for i in graph.input]
    outputs = [o.name for o in graph.output]
    encoder, decoder = folder / ENCODER, folder / DECODER
    for path, ins, outs in ((encoder, inputs, latent), (decoder, latent, outputs)):
        tmp = path.with_suffix(".part")
        try:
            onnx.utils.extract_model(str(model), str(tmp), ins, outs)
            write_atomic(path, tmp.read_bytes(), mode=MODEL_MODE)
        except Exception as exc:
            raise SplitError(f"cannot split {model.name} ({exc})") from exc
        finally:
            tmp.unlink(missing_ok=True)
    return encoder, decoder
