#!/usr/bin/env bash
# Set up everything the studio needs on a Debian/Ubuntu machine with Python 3.11.
# Idempotent: a second run only checks what is already there.
#   - system packages: Xvfb and the xcb/GL libraries Qt and VTK load (needs root or sudo)
#   - a virtual environment in .venv at the repository root
#   - torch (CPU build unless the machine has an NVIDIA driver, see below) and the rest
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

SYSTEM_PACKAGES="xvfb xauth libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 \
 libxrender1 libxkbcommon0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 \
 libxcb-xfixes0 libxcb-shm0 libxcb-sync1 libx11-xcb1 ffmpeg"

missing=""
for p in $SYSTEM_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "[setup] installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $PY"
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python

# Torch first, so nothing below pulls a different build. `pip install torch==2.13.0` takes the
# machine's local CPU wheel where one is provided; on a machine with an NVIDIA driver pip's
# default index serves the CUDA build of the same version.
if ! "$VPY" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('2.13.0') else 1)" 2>/dev/null; then
  echo "[setup] installing torch 2.13.0"
  "$VPY" -m pip install -q --upgrade pip
  "$VPY" -m pip install -q torch==2.13.0
fi

stamp=.venv/.studio-requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements.txt "$stamp"; then
  echo "[setup] installing Python packages (requirements.txt)"
  # torch stays pinned at 2.13.0, which is installed: the constraint keeps pip from replacing it.
  "$VPY" -m pip install -q -r requirements.txt -c <(echo "torch==2.13.0")
  # mediapipe needs the contrib build of OpenCV; a plain opencv-python next to it breaks cv2.
  if "$VPY" -m pip show -q opencv-python >/dev/null 2>&1; then
    "$VPY" -m pip uninstall -y -q opencv-python opencv-python-headless || true
    "$VPY" -m pip install -q --force-reinstall --no-deps "$(grep -E '^opencv-contrib-python' requirements.txt)"
  fi
  cp requirements.txt "$stamp"
fi
# Anny builds ~800 MB of model data the first time it is loaded (a minute or more); build it now
# rather than inside the user's first job. Same place the app and anny look: ANNY_CACHE_DIR, else
# $HOME/.cache/anny (XDG_CACHE_HOME is not read by anny). The stamp names the anny version, so an
# upgrade or a deleted cache builds again.
ANNY_DIR="${ANNY_CACHE_DIR:-$HOME/.cache/anny}"
anny_stamp="$ANNY_DIR/.human-studio-$(grep -E '^anny==' requirements.txt | tr -d ' ')"
if [ ! -f "$anny_stamp" ] || ! ls "$ANNY_DIR"/v*/*.safetensors >/dev/null 2>&1; then
  "$VPY" scripts/build_caches.py --stamp "$anny_stamp"
fi
# Node tools the tests run on every GLB the studio writes: the Khronos glTF-Validator (npm
# gltf-validator) and three.js (its GLTFLoader and AnimationMixer pose the file as a web viewer
# would); kept in the git-ignored .cache/node beside the repository's files.
NODE_DIR=.cache/node
NODE_PACKAGES="gltf-validator@2.0.0-dev.3.10 three@0.187.0"
node_ready=1
for spec in $NODE_PACKAGES; do
  grep -qs "\"version\": \"${spec##*@}\"" "$NODE_DIR/node_modules/${spec%@*}/package.json" || node_ready=0
done
if [ "$node_ready" = 0 ] && command -v npm >/dev/null 2>&1; then
  echo "[setup] installing $NODE_PACKAGES (npm) into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent $NODE_PACKAGES >/dev/null
elif [ "$node_ready" = 0 ]; then
  echo "[setup] npm not found: install Node.js to run the glTF validation tests"
fi
echo "[setup] ready: $(${VPY} -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")')"
