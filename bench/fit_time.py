"""Photo fit time: one photo fitted again and again, the body model loaded, perception excluded.

    .venv/bin/python bench/fit_time.py [--photos A.png B.jpg] [--runs 30] [--quality balanced]

Prints, per photo, the median and the spread of the fit's CPU time and wall time over the runs
(after one warm-up fit), one torch thread. The issue-11 target is <= 0.5 s per photo for the
balanced preset. CPU time is the figure to read on a shared machine: wall time there also
counts the other jobs' turns.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT.parent / "shared" / "samples"
DEFAULT_PHOTOS = (SAMPLES / "PIFu" / "ryota.png", ROOT / "resources" / "samples" / "photo.png")


def main() -> int:
    from core.body import load_body_model
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source
    from core.perception import PoseDetector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", nargs="*", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--quality", default="balanced")
    args = ap.parse_args()
    torch.set_num_threads(1)
    photos = [p for p in (args.photos or DEFAULT_PHOTOS) if p.is_file()]
    if not photos:
        print("No photo found: pass --photos with an image path.")
        return 2
    body = load_body_model("anny", device="cpu")
    cfg = FitConfig(quality=args.quality)
    steps = cfg.steps()
    print(f"photo fit, quality {args.quality} ({steps.rigid}/{steps.pose}/{steps.body} steps), "
          f"{args.runs} runs after a warm-up, 1 torch thread")
    print("| photo | size | CPU s median | CPU s p10-p90 | wall s median |")
    print("|---|---|---:|---:|---:|")
    with PoseDetector(mode="image") as det:
        for path in photos:
            with open_source(path) as src:
                obs = det.detect(src.read(0))
                camera = src.camera
            if not obs.person:
                print(f"| {path.name} | - | no person found | - | - |")
                continue
            fit_observation(obs, camera, body, cfg)
            cpu, wall = [], []
            for _ in range(args.runs):
                c0, t0 = time.process_time(), time.perf_counter()
                fit_observation(obs, camera, body, cfg)
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - t0)
            p10, p90 = np.percentile(cpu, [10, 90])
            print(f"| {path.name} | {camera.width}x{camera.height} | "
                  f"{np.median(cpu):.3f} | {p10:.3f}-{p90:.3f} | {np.median(wall):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
