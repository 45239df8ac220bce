"""The safety net's learned layer: its weights, how it is loaded, and what it
adds to the rules. Rates on unseen sets are measured by
scripts/train_safety_model.py (out of sample) and scripts/eval_safety.py."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.content.files import content_dir
from assistant.models.encoder import SentenceEncoder, find_model_dir
from assistant.safety.model import (
    WEIGHTS,
    Classifier,
    SafetyModelError,
    load_safety_model,
)
from assistant.safety.rules import load_safety
from reflectkit.cli import shown


@pytest.fixture(scope="module")
def model():
    return load_safety_model()


def test_weights_are_content_and_load(model):
    c = Classifier.load(WEIGHTS)
    assert c.w1.shape == (384, c.b1.shape[0]) and 0.5 <= c.threshold < 1.0
    assert model.classifier.threshold == c.threshold


def test_weights_round_trip_and_bad_weights_are_reported(tmp_path):
    c = Classifier(np.ones((4, 2), np.float32), np.zeros(2, np.float32), np.ones(2, np.float32), -1.0, 0.7)
    c.save(tmp_path / "w.npz")
    back = Classifier.load(tmp_path / "w.npz")
    x = np.array([[0.5, -0.5, 1.0, 0.0]], np.float32)
    assert np.allclose(back.prob(x), c.prob(x)) and back.threshold == pytest.approx(0.7)
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    with pytest.raises(SafetyModelError, match="could not be read"):
        Classifier.load(tmp_path / "bad.npz")


def test_the_shipped_net_has_its_learned_layer():
    net = load_safety(prefilter=False)
    assert net.model is not None, net.model_error


def test_a_firm_rule_is_never_set_aside_by_the_learned_layer():
    """The learned layer sets aside a rule's hit it is nearly sure is harmless;
    an act of violence on the person's body, in any sentence, stands."""
    net = load_safety()
    said = "he grabbed my arm hard when i asked about her"
    assert net.model is not None and net.model.prob(said) < net.model.classifier.veto, \
        "the layer itself would set it aside"
    hit = net.check(said)
    assert hit is not None and hit.category == "violence", hit
    assert net.check("he grabbed my arm to stop me stepping out in front of a bus") is None


def test_without_the_model_the_rules_still_work_and_say_why(tmp_path, monkeypatch):
    monkeypatch.setenv("REFLECT_SAFETY_MODEL", str(tmp_path / "nowhere"))
    rules = tmp_path / "safety.toml"
    rules.write_bytes((content_dir() / "safety.toml").read_bytes())  # a fresh load, not the cached net
    net = load_safety(rules)
    assert net.model is None and "missing" in (net.model_error or "")
    assert net.check("i want to kill myself") is not None
    assert net.check("it killed me to hear that") is None


@pytest.mark.parametrize("text", [
    "it killed me to hear that", "can we take a break", "i'd like to stop for today",
    "he broke my trust and i'm still angry", "yes", "next", "",
])
def test_ordinary_things_are_not_flagged_by_the_learned_layer(model, text):
    p = model.prob(text)
    assert p < model.classifier.threshold, p


def test_scores_are_cached_but_bounded(model, monkeypatch):
    import assistant.safety.model as sm

    monkeypatch.setattr(sm, "CACHE_SIZE", 3)
    model._seen.clear()
    for t in ("one", "two", "three", "four", "five"):
        model.prob(t)
    assert len(model._seen) <= 3
    assert model.prob("Five  ") == model.prob("five")


def test_a_session_without_the_model_says_so_once_and_runs(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, REFLECT_SAFETY_MODEL=str(tmp_path / "nowhere"), REFLECT_HOME=str(tmp_path / "home"),
               PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, "-m", "assistant", "--text"], input="i want to kill myself\ngoodbye\n",
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("rules alone") == 1
    assert "crisis" in r.stdout.lower() or "emergency" in r.stdout.lower()


def test_doctor_reports_the_safety_model(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    base = dict(os.environ, REFLECT_HOME=str(tmp_path / "home"), PYTHONPATH=str(root))
    cmd = [sys.executable, "-m", "assistant", "doctor", "--engine", "sphinx"]
    ok = subprocess.run(cmd, capture_output=True, text=True, env=base, timeout=120)
    assert "ok    safety model: 384-d sentence model ready" in ok.stdout, ok.stdout + ok.stderr
    gone = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env=dict(base, REFLECT_SAFETY_MODEL=str(tmp_path / "nowhere")))
    assert gone.returncode == 1, shown(gone)
    line = next(x for x in gone.stdout.splitlines() if "safety model" in x)
    assert line.startswith("  FAIL") and "fetch_models.py safety" in line and "rules alone" in line


def test_the_installed_copy_finds_the_model_too(tmp_path):
    """`.venv/bin/reflect` runs the copy pip installed, not the checkout: it
    must find the model where scripts/install.sh put it."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REFLECT_SAFETY_MODEL")}
    code = ("import assistant, assistant.models.encoder as s; "
            "print(assistant.__file__); print(s.find_model_dir())")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"Reflect is not installed in this environment (scripts/install.sh): {r.stderr}"
    where, found = r.stdout.split("\n")[:2]
    assert "site-packages" in where, where
    assert found != "None", "the installed copy does not find the safety model"


class _FixedScore:
    """Stands in for the learned layer in a unit test of how the net combines
    the two layers' decisions (pure logic): every sentence gets one score."""

    def __init__(self, p: float, threshold: float = 0.9, veto: float = 0.01) -> None:
        self.p = p
        self.classifier = Classifier(np.zeros((384, 1), np.float32), np.zeros(1, np.float32),
                                     np.zeros(1, np.float32), 0.0, threshold, veto)

    def prob(self, text: str) -> float:
        return self.p


@pytest.mark.parametrize("p, rule_text, flagged, layer", [
    (0.001, "i want to kill myself", False, None),     # a rule's hit the layer is all but sure is harmless
    (0.02, "i want to kill myself", True, "pattern"),  # above the veto the rule's hit stands
    (0.95, "i keep thinking about it", True, "model"),  # no rule: the layer decides at its threshold
    (0.85, "i keep thinking about it", False, None),
    (0.001, "", False, None),
])
def test_the_layer_decides_where_no_rule_fires_and_may_set_aside_a_rule(p, rule_text, flagged, layer,
                                                                        monkeypatch):
    net = load_safety(prefilter=False, model=False)
    monkeypatch.setattr(net, "model", _FixedScore(p))  # the net is cached: put it back after
    hit = net.check(rule_text)
    assert (hit is not None) is flagged
    assert (hit.layer if hit else None) == layer


def test_weights_without_a_veto_keep_every_rule(tmp_path):
    c = Classifier(np.ones((4, 2), np.float32), np.zeros(2, np.float32), np.ones(2, np.float32), -1.0, 0.7)
    np.savez(tmp_path / "old.npz", w1=c.w1, b1=c.b1, w2=c.w2, b2=np.float32(c.b2), threshold=np.float32(0.7))
    assert Classifier.load(tmp_path / "old.npz").veto == 0.0
    c.veto = 0.02
    c.save(tmp_path / "new.npz")
    assert Classifier.load(tmp_path / "new.npz").veto == pytest.approx(0.02)


def test_the_encoders_update_round_trips_in_the_weights_file(tmp_path):
    rng = np.random.default_rng(1)
    low = {"encoder.layer.0.attention.self.query": (rng.normal(size=(384, 2)), rng.normal(size=(2, 384)))}
    rep = {"encoder.layer.0.output.LayerNorm.bias": rng.normal(size=384).astype(np.float32)}
    c = Classifier(np.ones((384, 2), np.float32), np.zeros(2, np.float32), np.ones(2, np.float32), 0.0, 0.9,
                   0.5, low, rep)
    c.save(tmp_path / "w.npz")
    back = Classifier.load(tmp_path / "w.npz")
    (a, b), (a0, b0) = back.low_rank["encoder.layer.0.attention.self.query"], low["encoder.layer.0.attention.self.query"]
    assert a.dtype == np.float16 and np.allclose(a, a0, atol=2e-3) and np.allclose(b, b0, atol=2e-3)
    assert np.array_equal(back.replace["encoder.layer.0.output.LayerNorm.bias"], rep["encoder.layer.0.output.LayerNorm.bias"])


def test_weights_with_an_update_for_another_encoder_are_reported(tmp_path):
    c = Classifier.load(WEIGHTS)
    c.low_rank = {"encoder.layer.7.output.dense": (np.zeros((1536, 2)), np.zeros((2, 384)))}
    c.save(tmp_path / "w.npz")
    with pytest.raises(SafetyModelError, match="does not have"):
        load_safety_model(weights=tmp_path / "w.npz")


def test_the_shipped_layer_fine_tunes_every_dense_layer_of_the_encoder(model):
    c = model.classifier
    assert len(c.low_rank) == 6 * 6 and len(c.replace) == 6 * 4
    plain = SentenceEncoder(find_model_dir())
    text = "i packed a bag and left it by the back door just in case"
    assert model.encoder.encode(text) @ plain.encode(text) < 0.999
