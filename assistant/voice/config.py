"""Voice settings: a small TOML file in the data directory, with defaults.

Example ``voice.toml``::

    voice = ""             # "" = the neural voice where installed; "espeak",
                           # "espeak:en-gb", or a name from `reflect voices`
    rate = 165             # words per minute (both voices)
    volume = 0.9           # 0.0 .. 1.0
    silence = 0.8          # seconds of quiet that end an answer
    listen_timeout = 8.0   # seconds without an answer before a gentle re-prompt
    engine = "auto"        # auto | whisper | vosk | sphinx
    model = ""             # Vosk model directory ("" = search the usual places)
    input_device = ""      # name or index ("" = system default)
    output_device = ""
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CONFIG_NAME = "voice.toml"


class ConfigError(ValueError):
    """The config file is unreadable or has a bad value (names file and key)."""


@dataclass
class VoiceConfig:
    voice: str = ""
    rate: int = 165
    volume: float = 0.9
    silence: float = 0.8
    listen_timeout: float = 8.0
    engine: str = "auto"
    model: str = ""
    input_device: str = ""
    output_device: str = ""


def load_config(path: Optional[Path]) -> VoiceConfig:
    """Read ``path`` if it exists; unknown keys and wrong types are errors."""
    cfg = VoiceConfig()
    if path is None or not Path(path).is_file():
        return cfg
    try:
        data: dict[str, Any] = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    fields = {f.name: f for f in dataclasses.fields(VoiceConfig)}
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(fields)})")
        want = type(getattr(cfg, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if want is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a device index
        if not isinstance(value, want) or isinstance(value, bool):
            raise ConfigError(f"{path}: {key} should be a {want.__name__}, not {value!r}")
        setattr(cfg, key, value)
    if not 0.0 <= cfg.volume <= 1.0:
        raise ConfigError(f"{path}: volume should be between 0.0 and 1.0")
    if cfg.silence <= 0 or cfg.listen_timeout <= 0:
        raise ConfigError(f"{path}: silence and listen_timeout should be positive")
    if cfg.engine not in ("auto", "whisper", "vosk", "sphinx"):
        raise ConfigError(f"{path}: engine should be auto, whisper, vosk or sphinx")
    return cfg
