#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite under a virtual X server (Xvfb), so the GUI
# tests drive the real window. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
