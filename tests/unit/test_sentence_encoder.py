"""The sentence encoder behind the safety net's learned layer, run for real on
the installed model (scripts/install.sh fetches it; CI installs it too)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.models.encoder import (
    EncoderError,
    SentenceEncoder,
    WordPiece,
    find_model_dir,
    read_safetensors,
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    where = find_model_dir()
    assert where is not None, "the safety model is not installed: python scripts/fetch_models.py safety"
    return SentenceEncoder(where)


# Token ids from the model's reference tokenizer (Hugging Face tokenizers,
# tokenizer.json), checked once against all 4,667 evaluation sentences.
@pytest.mark.parametrize("text, ids", [
    ("Hello, World! I'm naïve -- café.", [101, 7592, 1010, 2088, 999, 1045, 1005, 1049, 15743, 1011, 1011, 7668, 1012, 102]),
    ("i won't be here much longer", [101, 1045, 2180, 1005, 1056, 2022, 2182, 2172, 2936, 102]),
])
def test_wordpiece_gives_the_reference_ids(encoder, text, ids):
    assert encoder.tok.encode(text) == ids


def test_wordpiece_splits_unknown_words_into_pieces_and_caps_length(encoder):
    ids = encoder.tok.encode("unforgivingness " * 200)
    assert len(ids) == 128 and ids[0] == encoder.tok.cls and ids[-1] == encoder.tok.sep
    assert WordPiece(["[UNK]", "[CLS]", "[SEP]", "a"]).encode("ab") == [1, 0, 2]


def test_vectors_are_unit_length_and_carry_meaning(encoder):
    kill, here, idiom, weather = (encoder.encode(t) for t in (
        "i want to kill myself", "i don't want to be here anymore",
        "it killed me to hear that", "how is the weather today"))
    assert np.isclose(np.linalg.norm(kill), 1.0, atol=1e-4)
    # Same meaning, no shared content word, beats shared word, other meaning.
    assert kill @ here > kill @ idiom + 0.15
    assert kill @ weather < 0.2


def test_an_empty_or_odd_utterance_still_encodes(encoder):
    for t in ("", "   ", "\u0000\u200b", "ünïcödé ☃ 123"):
        v = encoder.encode(t)
        assert v.shape == (encoder.dim,) and np.isfinite(v).all()


def test_missing_and_damaged_model_files_are_reported_plainly(tmp_path):
    with pytest.raises(EncoderError, match="missing model.safetensors, vocab.txt, config.json"):
        SentenceEncoder(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\xff" * 64)
    (tmp_path / "vocab.txt").write_text("[UNK]\n[CLS]\n[SEP]\n")
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 6, "num_attention_heads": 12, "hidden_size": 384}')
    with pytest.raises(EncoderError, match="could not be read|not a safetensors file"):
        SentenceEncoder(tmp_path)
    with pytest.raises(EncoderError, match="not a safetensors file"):
        read_safetensors(tmp_path / "model.safetensors")


def test_a_cut_short_model_file_is_reported(tmp_path):
    import json

    header = json.dumps({"t": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}}).encode()
    f = tmp_path / "model.safetensors"
    f.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 10)
    with pytest.raises(EncoderError, match="cut short"):
        read_safetensors(f)
    f.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 64)
    t = read_safetensors(f)["t"]
    assert t.shape == (4, 4) and not t.any()
    assert read_safetensors(f, mapped=("t",))["t"].shape == (4, 4)


def test_a_low_rank_update_changes_the_named_layer_and_a_zero_one_nothing(tmp_path):
    where = find_model_dir()
    base, tuned = SentenceEncoder(where), SentenceEncoder(where)
    name = "encoder.layer.5.intermediate.dense"
    w, _ = base.dense[name]
    tuned.adapt({name: (np.zeros((w.shape[0], 4), np.float32), np.ones((4, w.shape[1]), np.float32))}, {})
    text = "he keeps my passport in his drawer"
    assert np.array_equal(tuned.encode(text), base.encode(text))
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.05, (w.shape[0], 4)).astype(np.float16)
    b = rng.normal(0, 0.05, (4, w.shape[1])).astype(np.float16)
    gain = "encoder.layer.5.output.LayerNorm.weight"
    tuned.adapt({name: (a, b)}, {gain: base.w[gain] * 1.5})
    assert tuned.encode(text) @ base.encode(text) < 0.9999
    # The published model stays available beside the tuning, unchanged.
    assert np.array_equal(tuned.encode(text, tuned=False), base.encode(text))


@pytest.mark.parametrize("low_rank, replace, why", [
    ({"encoder.layer.9.intermediate.dense": (np.zeros((384, 2)), np.zeros((2, 1536)))}, {}, "does not have"),
    ({"encoder.layer.0.intermediate.dense": (np.zeros((384, 2)), np.zeros((3, 1536)))}, {}, "does not fit"),
    ({}, {"encoder.layer.0.output.LayerNorm.weight": np.ones(5)}, "does not fit"),
])
def test_an_update_that_does_not_fit_the_model_is_refused(low_rank, replace, why):
    with pytest.raises(EncoderError, match=why):
        SentenceEncoder(find_model_dir()).adapt(low_rank, replace)
