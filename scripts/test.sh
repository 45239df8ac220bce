#!/usr/bin/env bash
# Runs the whole test suite on a virtual sound card (run as root on Debian).
# Installs what the tests need, starts PulseAudio with a virtual speaker and
# microphone, then runs pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
bash scripts/sound-server.sh --no-echo
exec .venv/bin/python -m pytest -ra "$@"
