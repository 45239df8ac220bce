"""What the command-line commands share: exit codes, the voice options and
the voice settings they give, and the data directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.voice.config import CONFIG_NAME, VoiceConfig, load_config

EXIT_OK, EXIT_ERROR, EXIT_BAD_FILE, EXIT_NO_AUDIO = 0, 1, 2, 3


def add_voice_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("voice")
    g.add_argument("--engine", choices=("auto", "whisper", "vosk", "sphinx"), default=None,
                   help="speech recogniser (auto: Vosk if a model is found, else the "
                        "embedded pocketsphinx, with Whisper for open answers and anything "
                        "they are unsure of when it is installed; whisper: the same, and an "
                        "error without Whisper; vosk / sphinx: that one alone)")
    g.add_argument("--model", metavar="DIR", default=None, help="Vosk model directory")
    g.add_argument("--voice", metavar="NAME", default=None,
                   help="speaking voice: the neural voice by default where installed; "
                        "'espeak' for the light espeak-ng voice, 'espeak:ID' for one of its "
                        "voices, or a name from `reflect voices`")
    g.add_argument("--input-device", metavar="NAME|INDEX", default=None,
                   help="microphone (see `reflect devices`)")
    g.add_argument("--output-device", metavar="NAME|INDEX", default=None,
                   help="speaker (see `reflect devices`)")
    g.add_argument("--config", metavar="FILE", type=Path, default=None,
                   help=f"voice settings (default: {CONFIG_NAME} in the data directory)")
    g.add_argument("--silence", metavar="SECONDS", type=float, default=None,
                   help="quiet that ends an answer (default 0.8)")


def data_dir(args: argparse.Namespace) -> Path:
    d = getattr(args, "data_dir", None)
    if d:
        return Path(d)
    from assistant.storage.store import default_data_dir

    return default_data_dir()


def voice_config(args: argparse.Namespace) -> VoiceConfig:
    """Config file, then command-line overrides."""
    path = getattr(args, "config", None) or data_dir(args) / CONFIG_NAME
    cfg = load_config(path)
    for opt, key in (("engine", "engine"), ("model", "model"), ("voice", "voice"),
                     ("input_device", "input_device"),
                     ("output_device", "output_device"), ("silence", "silence")):
        value = getattr(args, opt, None)
        if value is not None:
            setattr(cfg, key, value)
    return cfg
