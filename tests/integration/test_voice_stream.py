"""The neural voice heard as it is made: its encoder and decoder, split at
installation, decode a sentence in stretches that join into the same speech."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from assistant.speech.piper import FIRST_FRAMES, PIPER_VOICE, PiperBackend, piper_voice_files
from assistant.speech.tts import Tts
from assistant.speech.voice_parts import SplitError, split_voice, voice_parts
from reflectkit.voicerun import speak_on_card

LONG = "The article suggests thinking of trust as a choice that someone makes again and again."


@pytest.fixture(scope="module")
def backend() -> PiperBackend:
    b = PiperBackend()
    assert b.streams, "scripts/install.sh splits the voice (scripts/fetch_models.py piper)"
    return b


def test_stretches_decode_to_the_samples_of_the_whole(backend):
    latent = backend._run(backend._session, backend._inputs(LONG, 165)[0])
    whole = backend._decode(latent)
    n = latent.shape[2]
    cuts = [0, FIRST_FRAMES, 3 * FIRST_FRAMES, n]
    joined = np.concatenate([backend._decode(latent, a, b) for a, b in zip(cuts, cuts[1:])])
    assert n > 3 * FIRST_FRAMES and joined.shape == whole.shape
    # The same samples, to well under one step of the 16-bit output.
    assert float(np.max(np.abs(joined - whole))) < 0.25 / 32768


def test_a_long_sentence_comes_first_as_a_short_stretch_then_the_rest(backend):
    t0 = time.monotonic()
    stretches = backend.render_stream(LONG, 165)
    first = next(stretches)
    first_took = time.monotonic() - t0
    rest = list(stretches)
    seconds = (len(first) + sum(len(r) for r in rest)) / backend.samplerate
    whole = backend.render(LONG, 165).seconds
    assert len(rest) >= 2 and len(first) / backend.samplerate < 0.7
    assert abs(seconds - whole) < 0.25 * whole  # the same words (the timing noise differs)
    assert first_took < 1.0


def test_a_voice_not_split_is_run_whole(monkeypatch, tmp_path):
    model = piper_voice_files()[0]
    for f in (model, model.with_suffix(".onnx.json")):
        (tmp_path / f.name).symlink_to(f)
    monkeypatch.setenv(PIPER_VOICE.env, str(tmp_path))
    tts = Tts()
    assert tts.engine == "piper" and not tts.streams
    assert [s.seconds > 1.0 for s in tts.piece_stream(LONG, 0.0)] == [True]


def test_splitting_a_model_that_is_not_a_piper_voice_says_why(tmp_path):
    onnx = pytest.importorskip("onnx")  # installed beside the voice by scripts/install.sh
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"], name="/id")], "g", [x], [y])
    path = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(SplitError, match="no single decoder input"):
        split_voice(path)
    assert voice_parts(path) is None


def test_the_installed_split_is_newer_than_its_voice_and_reads_back(tmp_path):
    model = piper_voice_files()[0]
    copy = tmp_path / model.name
    shutil.copy(model, copy)
    shutil.copy(model.with_suffix(".onnx.json"), copy.with_suffix(".onnx.json"))
    encoder, decoder = split_voice(copy)
    assert voice_parts(copy) == (encoder, decoder)
    assert PiperBackend(copy).streams
    later = encoder.stat().st_mtime + 60
    os.utime(copy, (later, later))  # a newer voice: its old parts are not used
    assert voice_parts(copy) is None


@pytest.mark.audio
def test_a_reply_starts_playing_before_its_first_sentence_is_made(card, clean_env):
    tts = Tts()
    made = time.monotonic()
    whole = tts.synth(LONG)
    made = time.monotonic() - made
    tts.clear_cache()
    started, span = speak_on_card(card, tts, LONG)
    assert span, "nothing was played"
    assert started < made, f"play began after {started:.2f} s; the sentence takes {made:.2f} s"
    assert span > 0.85 * whole.seconds, f"played {span:.1f} s of {whole.seconds:.1f} s"
    assert tts.cached(LONG, 0.0), "kept whole once made"
