"""Single-frame fit on synthetic observations of known bodies: how close, how fast.

    .venv/bin/python bench/fit_synthetic.py [--n 20] [--quality balanced] [--noise 3]
                                           [--no-initializer] [--threads 1] [--seed 0]

N random bodies from core.synthetic (plausible pose, adult shape, random camera and view, back
views included). Observations as BlazePose would report them: the 33 body landmarks projected
with Gaussian pixel noise, occlusion-based confidences and 5 % dropout, hip-centred 3D landmarks
with 2 cm noise, the rendered silhouette as the mask.
Each is fitted from scratch and compared with the truth: MPJPE (root-aligned) and PA-MPJPE on
the model's pose joints, PVE (root-aligned) in mm, silhouette IoU, seconds per frame (wall and
CPU: on a shared machine the CPU time is the better estimate of an idle machine's wall time).
--no-initializer compares the fit with and without the learned initializer (the analytic first
guess alone).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import BodyModel, load_body_model  # noqa: E402
from core.fitting import FitConfig, fit_observation, mpjpe, pa_mpjpe  # noqa: E402
from core.types import Camera, Observation  # noqa: E402

@dataclass
class Case:
    """One synthetic frame: what a detector would have seen and the truth it came from."""

    observation: Observation
    truth: "SyntheticTruth"
    camera: Camera


#: Performers the learned pose prior never saw (assets/priors/anny_pose_gmm.json).
PRIOR_HELDOUT = ("131", "6", "indian")


def mocap_poses(n: int, rng: np.random.Generator) -> np.ndarray | None:
    """(n, 22, 3) body poses drawn from the retargeted motion capture of performers the pose
    prior was not trained on (.cache/mocap/anny, scripts/retarget_mocap.py), or None when the
    retargeted clips are not there."""
    from core.synthetic.training_data import load_mocap

    clips = [c for c in load_mocap() if c.subject in PRIOR_HELDOUT]
    if not clips:
        return None
    frames = np.concatenate([c.body_pose for c in clips])
    return frames[rng.choice(len(frames), n, replace=False)]


def make_cases(body: BodyModel, n: int, seed: int, noise_px: float = 3.0,
               difficulty: float = 0.5, poses: str = "random") -> list[Case]:
    """``n`` random bodies (core.synthetic: plausible pose, adult shape, random view; or, with
    ``poses="mocap"``, poses of real motion from performers the pose prior never saw) observed
    like BlazePose would: keypoints with ``noise_px`` noise, 5 % dropout and occlusion-based
    confidences, 3D landmarks with 2 cm noise, the rendered silhouette as mask."""
    from core.synthetic import (sample_camera_and_pose, sample_poses, sample_shapes,
                                synthesize_observation)

    rng = np.random.default_rng(seed)
    real = mocap_poses(n, np.random.default_rng(seed + 1)) if poses == "mocap" else None
    if poses == "mocap" and real is None:
        raise SystemExit("no retargeted motion capture in .cache/mocap/anny; run "
                         "scripts/retarget_mocap.py first")
    poses = sample_poses(body, n, rng, difficulty=difficulty) if real is None else real
    shapes = sample_shapes(n, rng)
    cases = []
    for k in range(n):
        camera, params = sample_camera_and_pose(body, poses[k], shapes[k], rng)
        obs, truth = synthesize_observation(body, params, camera, rng, noise_px=noise_px, index=k)
        cases.append(Case(obs, truth, camera))
    return cases


def errors(body: BodyModel, fit, truth) -> dict[str, float]:
    """MPJPE / PA-MPJPE on the pose joints + root, root-aligned PVE, all in mm."""
    v_true, j_true = truth.vertices, truth.joints
    ids = [0] + [body.joint_names.index(n) for n in body.pose_joint_names]
    jp, jt = fit.joints[ids], j_true[ids]
    return {"mpjpe": 1000 * mpjpe(jp, jt, root=[0]),
            "pa_mpjpe": 1000 * pa_mpjpe(jp, jt),
            "pve": 1000 * float(np.linalg.norm((fit.vertices - fit.joints[0])
                                               - (v_true - j_true[0]), axis=1).mean())}


def run(body: BodyModel, n: int, config: FitConfig, noise_px: float, seed: int,
        poses: str = "random") -> dict[str, float]:
    rows = []
    for case in make_cases(body, n, seed, noise_px, poses=poses):
        t0, c0 = time.perf_counter(), time.process_time()
        fit = fit_observation(case.observation, case.camera, body, config)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append({**errors(body, fit, case.truth), "iou": fit.iou, "sec": wall, "cpu": cpu})
    keys = rows[0].keys()
    return {k: float(np.median([r[k] for r in rows])) for k in keys} | {
        "mean_pa_mpjpe": float(np.mean([r["pa_mpjpe"] for r in rows])),
        "mean_iou": float(np.mean([r["iou"] for r in rows]))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="number of random bodies (default 20)")
    ap.add_argument("--quality", default="balanced", choices=("fast", "balanced", "best"))
    ap.add_argument("--noise", type=float, default=3.0, help="keypoint noise in pixels (default 3)")
    ap.add_argument("--no-initializer", action="store_true",
                    help="also run without the learned initializer and compare")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--poses", default="random", choices=("random", "mocap"),
                    help="random: the generator's poses; mocap: real motion of performers the "
                         "pose prior never saw (needs scripts/retarget_mocap.py's output)")
    ap.add_argument("--motion-prior", type=float, default=None,
                    help="weight of the learned pose prior (default: FitConfig's)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    body = load_body_model("anny", device="cpu")
    variants = [("initializer", True)] + ([("no initializer", False)] if args.no_initializer else [])
    print(f"Single-frame fit, {args.n} synthetic bodies ({args.poses} poses), quality "
          f"{args.quality}, motion prior "
          f"{FitConfig().weights.motion_prior if args.motion_prior is None else args.motion_prior:g}, "
          f"keypoint noise {args.noise:g} px, 3D landmark noise 20 mm, {args.threads} thread(s)")
    print(f"{'start':<16}{'MPJPE mm':>10}{'PA-MPJPE mm':>13}{'PVE mm':>9}{'IoU':>7}"
          f"{'s/frame':>9}{'CPU s':>7}{'mean PA':>9}{'mean IoU':>10}")
    for label, use in variants:
        cfg = FitConfig(quality=args.quality, use_initializer=use)
        if args.motion_prior is not None:
            cfg.weights.motion_prior = args.motion_prior
        res = run(body, args.n, cfg, args.noise, args.seed, args.poses)
        print(f"{label:<16}{res['mpjpe']:>10.1f}{res['pa_mpjpe']:>13.1f}{res['pve']:>9.1f}"
              f"{res['iou']:>7.3f}{res['sec']:>9.3f}{res['cpu']:>7.3f}{res['mean_pa_mpjpe']:>9.1f}"
              f"{res['mean_iou']:>10.3f}")
    print("Medians over the bodies (means in the last two columns). s/frame is wall time; CPU s "
          "is the process's CPU time per frame, the wall time of an idle machine with one thread.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
