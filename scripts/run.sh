#!/usr/bin/env bash
# Set up (idempotent) and run the studio's main job on the bundled sample.
# With a display: opens the window with the sample loaded. Without one: runs the same pipeline
# headless (python main.py demo) and prints where the outputs are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${STUDIO_HEADLESS:-}" ]; then
  exec .venv/bin/python main.py resources/samples/photo.png
fi
exec .venv/bin/python main.py demo --out outputs/demo "$@"
