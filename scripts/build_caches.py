"""Build, once after installing, the caches a user's first job would otherwise build.

    .venv/bin/python scripts/build_caches.py [--stamp FILE]

Run by scripts/setup.sh. What a first ``main.py fit`` pays on a fresh machine without it:
- Anny's model data (about 800 MB, a minute or more of CPU): anny builds it the first time the
  model is loaded and keeps it under ANNY_CACHE_DIR, else HOME/.cache/anny (anny does not read
  XDG_CACHE_HOME). It is built here through core.body, the app's own loader, so it lands where
  the app looks (core.body.anny_body.anny_cache_dir).
- matplotlib's font list (mediapipe imports matplotlib), under MPLCONFIGDIR, else
  XDG_CACHE_HOME/matplotlib, else HOME/.cache/matplotlib.
- the studio's bytecode (__pycache__ beside main.py, core/ and gui/; the venv's packages were
  compiled by pip).
Neither torch nor MediaPipe keeps a disk cache for this code path, and the fit runs no warp
kernels (Anny skins with pure torch), so nothing else is built on first use. ``--stamp FILE``
is written when everything is built, so the next set-up can skip this step.
"""
from __future__ import annotations

import argparse
import compileall
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stamp", default=None, help="file to write when the caches are built")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from core.body.anny_body import anny_cache_dir
    from core.perception.quiet import silence_native_logs

    silence_native_logs()
    t0 = time.perf_counter()
    print(f"[setup] building the Anny body model cache in {anny_cache_dir()} (once; about a "
          "minute, up to a few on a busy machine)", flush=True)
    from core.body import load_body_model

    load_body_model("anny", device="cpu")
    import matplotlib.font_manager  # noqa: F401  (builds the font list cache)

    for target in ("core", "gui"):
        compileall.compile_dir(REPO / target, quiet=1)
    compileall.compile_file(REPO / "main.py", quiet=1)
    print(f"[setup] caches built in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.stamp:
        stamp = Path(args.stamp)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(f"built by scripts/build_caches.py in {anny_cache_dir()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
