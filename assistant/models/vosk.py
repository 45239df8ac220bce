"""Vosk models: where they are found and how `reflect model fetch` installs one.

A download is verified (size, SHA-256, layout) and unpacked under a temporary
name, then renamed into place: a model directory is either complete or absent.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional


@dataclass(frozen=True)
class ModelSpec:
    name: str
    url: str
    size: int
    sha256: str


DEFAULT_MODEL = ModelSpec(
    name="vosk-model-small-en-us-0.15",
    url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
    size=41_205_931,
    sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
)


class ModelError(RuntimeError):
    """Fetching or finding a model failed (message is one clear sentence)."""


def default_data_dir() -> Path:
    """Per-user data directory: the store's (one source of truth, ``REFLECT_HOME``)."""
    from assistant.storage.store import default_data_dir as store_dir

    return Path(store_dir())


def checkout_models_dir() -> Optional[Path]:
    """``models/`` beside the package when running from a source checkout."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "models").is_dir():
        return root / "models"
    return None


def user_models_dir(data_dir: Optional[Path] = None) -> Path:
    return (data_dir or default_data_dir()) / "models"


def install_dir(data_dir: Optional[Path] = None) -> Path:
    """Where `model fetch` installs: the checkout's models/ if any, else the data dir."""
    return checkout_models_dir() or user_models_dir(data_dir)


def is_model(path: Path) -> bool:
    """Has the files Vosk needs (acoustic model, config, decoding graph)."""
    p = Path(path)
    graph = (p / "graph").is_dir() or (p / "HCLG.fst").is_file()
    return (p / "am" / "final.mdl").is_file() and (p / "conf").is_dir() and graph


def _models_in(folder: Optional[Path]) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    found = [d for d in sorted(folder.iterdir()) if d.is_dir() and not d.name.startswith(".")
             and is_model(d)]
    # Prefer the model we ship instructions for.
    found.sort(key=lambda d: d.name != DEFAULT_MODEL.name)
    return found


def candidates(explicit: Optional[str] = None,
               data_dir: Optional[Path] = None) -> list[tuple[str, Path]]:
    """(source, path) of every model found, in order of preference."""
    out: list[tuple[str, Path]] = []
    for source, path in (("--model", explicit), ("REFLECT_VOSK_MODEL",
                                                 os.environ.get("REFLECT_VOSK_MODEL"))):
        if path:
            p = Path(path).expanduser()
            out += [(source, p)] if is_model(p) else [(source, m) for m in _models_in(p)]
    out += [("checkout", m) for m in _models_in(checkout_models_dir())]
    out += [("data dir", m) for m in _models_in(user_models_dir(data_dir))]
    return out


def resolve_model(explicit: Optional[str] = None,
                  data_dir: Optional[Path] = None) -> Optional[Path]:
    """The model to use, or None. An explicit --model that is not a model is an error."""
    p = Path(explicit).expanduser() if explicit else None
    if p is not None and not (is_model(p) or _models_in(p)):
        raise ModelError(f"{explicit} is not a Vosk model directory "
                         "(it needs am/final.mdl, conf/ and graph/)")
    found = candidates(explicit, data_dir)
    return found[0][1] if found else None


# ---------------------------------------------------------------- fetch


def _progress(done: int, total: int) -> None:
    if not sys.stderr.isatty() and done < total:
        return
    width = 30
    frac = done / total if total else 1.0
    bar = "#" * int(frac * width)
    sys.stderr.write(f"\r  [{bar:<{width}}] {done / 1e6:5.1f}/{total / 1e6:.1f} MB")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def download(url: str, dest: Path, size: int,
             progress: Callable[[int, int], None] = _progress) -> None:
    """Stream ``url`` to ``dest`` (no network error escapes unexplained)."""
    try:
        with urllib.request.urlopen(url, timeout=20) as resp, open(dest, "wb") as out:
            total = int(resp.headers.get("Content-Length") or size)
            done = 0
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                done += len(chunk)
                progress(done, total)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"Could not download the model from {url} ({reason}); check the "
                         "internet connection, or download the zip elsewhere and run "
                         "`reflect model fetch --zip FILE`.") from exc


def verify_zip(path: Path, spec: ModelSpec) -> None:
    size = path.stat().st_size
    if size != spec.size:
        raise ModelError(f"The downloaded model has {size:,} bytes instead of "
                         f"{spec.size:,}; it was not installed.")
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    if h.hexdigest() != spec.sha256:
        raise ModelError("The downloaded model's checksum does not match; it was not installed.")


def unpack(zip_path: Path, spec: ModelSpec, dest_dir: Path) -> Path:
    """Unpack into a temporary folder beside the target, check it, rename into place."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / spec.name
    tmp = Path(tempfile.mkdtemp(prefix=f".{spec.name}.", dir=dest_dir))
    try:
        with zipfile.ZipFile(zip_path) as z:
            for member in z.namelist():  # refuse paths that escape the folder
                if member.startswith("/") or ".." in Path(member).parts:
                    raise ModelError(f"The model archive holds an unsafe path ({member}).")
            z.extractall(tmp)
        inner = tmp / spec.name
        if not inner.is_dir():
            dirs = [d for d in tmp.iterdir() if d.is_dir()]
            inner = dirs[0] if len(dirs) == 1 else tmp
        if not is_model(inner):
            raise ModelError("The model archive does not contain a Vosk model "
                             "(am/final.mdl, conf/, graph/); it was not installed.")
        if target.exists():
            shutil.rmtree(target)
        os.replace(inner, target)
    except zipfile.BadZipFile as exc:
        raise ModelError("The model archive is damaged; it was not installed.") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch(spec: ModelSpec = DEFAULT_MODEL, dest_dir: Optional[Path] = None,
          zip_file: Optional[Path] = None, force: bool = False,
          progress: Callable[[int, int], None] = _progress) -> Path:
    """Download (or take ``zip_file``), verify and install; returns the model path."""
    dest_dir = dest_dir or install_dir()
    target = dest_dir / spec.name
    if is_model(target) and not force:
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    if zip_file is not None:
        verify_zip(Path(zip_file), spec)
        return unpack(Path(zip_file), spec, dest_dir)
    part = dest_dir / f".{spec.name}.zip.part"
    try:
        download(spec.url, part, spec.size, progress)
        verify_zip(part, spec)
        return unpack(part, spec, dest_dir)
    finally:
        part.unlink(missing_ok=True)


FETCH_HINT = ("For better recognition, get the Vosk English model: run "
              "`reflect model fetch` once while online.")
