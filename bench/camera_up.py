"""The world's up read off the fitted body (core.export.upright) against calibrated cameras.

    .venv/bin/python bench/camera_up.py [--captures pose2sim_single,pose2sim_multi] [--step 5]

For each view of each capture in ../shared/realdata: BlazePose in every ``step``-th frame (the
real_multiview benchmark's detections, cached in bench/_out/real_multiview/), the single-frame
fit with the studio's own camera (no calibration), then ``scene_up`` over the view's fits, as
the 3D view and the exports use it for a video from that camera. Printed per view: the
calibrated camera's pitch (looking down: positive) and roll, the estimate's, how many frames
stood, and the angle between the estimated and the calibrated up, next to a level camera's
(what the exports assumed before).
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

from core.body import load_body_model  # noqa: E402
from core.evaluation.datasets import load_capture  # noqa: E402
from core.evaluation.detections import detect_capture  # noqa: E402
from core.export.upright import LEVEL_UP, UpEstimate, scene_up  # noqa: E402
from core.fitting import FitConfig, fit_observation  # noqa: E402

CACHE = ROOT / "bench" / "_out" / "real_multiview"


def angle(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(np.dot(a, b), -1.0, 1.0))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", default="pose2sim_single,pose2sim_multi")
    ap.add_argument("--step", type=int, default=5, help="every step-th frame is fitted")
    args = ap.parse_args()
    torch.set_num_threads(1)
    body = load_body_model("anny")
    t0 = time.perf_counter()
    rows, errs, levels = [], [], []
    for name in args.captures.split(","):
        cap = load_capture(name)
        dets = detect_capture(cap, CACHE / name)
        for v, view in enumerate(cap.views):
            truth = view.direction_to_camera(cap.up)
            cam = dets.studio_camera(v)
            landmarks = []
            for f in range(0, cap.frames, args.step):
                obs = dets.observation(v, f, mask=False)
                if obs.person:
                    landmarks.append(fit_observation(obs, cam, body, FitConfig()).landmarks)
            est, t = scene_up(landmarks), UpEstimate(truth, "calibration", 0)
            err, level = angle(est.up, truth), angle(LEVEL_UP, truth)
            errs.append(err)
            levels.append(level)
            rows.append(f"| {name} | {view.name} | {t.pitch_deg:.1f} / {t.roll_deg:.1f} | "
                        f"{est.pitch_deg:.1f} / {est.roll_deg:.1f} | {est.frames}/{len(landmarks)}"
                        f" | {err:.1f} | {level:.1f} |")
    print("| capture | view | calibrated pitch / roll ° | estimated pitch / roll ° | standing "
          "frames | up error ° | level camera's error ° |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print(f"| all | mean | | | | {np.mean(errs):.1f} | {np.mean(levels):.1f} |")
    print(f"\n{time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
