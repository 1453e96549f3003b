"""Train the learned pose prior (core/priors/pose_prior.py) on real motion retargeted onto Anny.

    .venv/bin/python scripts/retarget_mocap.py            # once: ../shared/mocap -> .cache/mocap/anny
    .venv/bin/python scripts/train_pose_prior.py [--components 16] [--seed 0] [--quick]

Data: every retargeted clip's body poses (AnnyBody's 22 joint rotations), frames whose retarget
residual is above --max-error-mm dropped, thinned to --stride frames (near-duplicates of
consecutive frames add nothing to a density). The clips are split by CMU subject (the first
number of a CMU clip name, else the clip): the held-out subjects measure the candidates.
Candidates: Gaussian mixtures of several sizes and, as the baseline every prior must beat, one
Gaussian; the measurement is the held-out negative log-likelihood per dimension (nats), and the
chosen mixture is the smallest whose held-out likelihood is within --tolerance of the best (a
prior that generalises to other people, not one that memorises the training clips).
Left/right mirrored copies of every pose are added (people are as likely to raise either arm).
Writes assets/priors/anny_pose_gmm.pt and its .json metadata (seed, data, held-out figures).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.priors.pose_prior import WEIGHTS, GaussianMixture, MixtureConfig, PosePrior  # noqa: E402
from core.synthetic.training_data import MOCAP_DIR, load_mocap  # noqa: E402


def mirror_poses(pose: np.ndarray) -> np.ndarray:
    """(N, 22, 3) the same poses mirrored left <-> right (axis-angle (x, y, z) -> (x, -y, -z),
    .L and .R joints exchanged)."""
    from core.body.anny_body import POSE_JOINTS

    idx = {n: i for i, n in enumerate(POSE_JOINTS)}
    perm = [idx[n[:-2] + (".R" if n.endswith(".L") else ".L")] if n[-2:] in (".L", ".R") else i
            for i, n in enumerate(POSE_JOINTS)]
    out = pose[:, perm].copy()
    out[..., 1:] *= -1.0
    return out


def load_poses(folder: Path, max_error_mm: float, stride: int) -> tuple[list[np.ndarray], list[str]]:
    """Per clip segment: its usable poses thinned to every ``stride``-th, and its subject."""
    clips = load_mocap(folder, max_error_mm)
    return [c.body_pose[::stride] for c in clips], [c.subject for c in clips]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=MOCAP_DIR)
    ap.add_argument("--components", type=int, nargs="+", default=[4, 8, 16, 32])
    ap.add_argument("--max-error-mm", type=float, default=40.0)
    ap.add_argument("--stride", type=int, default=2, help="keep every N-th frame (30 fps data)")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of subjects held out")
    ap.add_argument("--tolerance", type=float, default=0.02, help="nats per dimension")
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--ridge", type=float, nargs="+", default=[1e-3, 1e-2],
                    help="covariance ridges to try (rad^2): larger generalises to other people")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="two small mixtures, few iterations")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args(argv)
    if args.quick:
        args.components, args.iterations, args.ridge = [2, 4], 20, [1e-2]
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()

    poses, subjects = load_poses(args.data, args.max_error_mm, args.stride)
    if not poses:
        print(f"no retargeted clips in {args.data}; run scripts/retarget_mocap.py first",
              file=sys.stderr)
        return 2
    uniq = sorted(set(subjects))
    rng.shuffle(uniq)
    n_hold = max(1, int(round(args.holdout * len(uniq)))) if len(uniq) > 1 else 0
    held = set(uniq[:n_hold])
    train = np.concatenate([p for p, s in zip(poses, subjects) if s not in held])
    test = np.concatenate([p for p, s in zip(poses, subjects) if s in held]) if held else train[:0]
    train = np.concatenate([train, mirror_poses(train)])
    if len(test):
        test = np.concatenate([test, mirror_poses(test)])
    x_train = torch.as_tensor(train.reshape(len(train), -1), dtype=torch.float64)
    x_test = torch.as_tensor(test.reshape(len(test), -1), dtype=torch.float64)
    print(f"{len(x_train)} training poses ({len(uniq) - n_hold} subjects), {len(x_test)} held out "
          f"({n_hold} subjects: {', '.join(sorted(held))})", flush=True)

    results = {}
    models = {}
    for ridge in args.ridge:
        for k in [1] + list(args.components):
            cfg = MixtureConfig(components=k, dim=x_train.shape[1], ridge=ridge)
            mix = GaussianMixture(cfg).double()
            hist = mix.fit(x_train, iterations=args.iterations if k > 1 else 1, seed=args.seed)
            with torch.no_grad():
                tr = float(-mix.log_prob(x_train).mean()) / x_train.shape[1]
                te = float(-mix.log_prob(x_test).mean()) / x_train.shape[1] if len(x_test) else tr
            key = f"{k} components, ridge {ridge:g}"
            results[key] = {"components": k, "ridge": ridge, "train_nll": round(tr, 4),
                            "heldout_nll": round(te, 4), "em_iterations": len(hist)}
            models[key] = mix
            print(f"  {key}: train NLL {tr:.3f}, held-out {te:.3f} nats/dim "
                  f"({len(hist)} EM steps, {time.time() - t0:.0f} s)", flush=True)
    best = min(r["heldout_nll"] for r in results.values())
    # the smallest mixture (then the largest ridge) whose held-out likelihood is near the best
    near = [k for k, r in results.items() if r["heldout_nll"] <= best + args.tolerance]
    chosen = min(near, key=lambda k: (results[k]["components"], -results[k]["ridge"]))
    mix = models[chosen].float()
    with torch.no_grad():
        nll = -mix.log_prob(x_train.float()) / x_train.shape[1]
        mix.offset.copy_(nll.median())
    meta = {"seed": args.seed, "chosen_components": chosen, "candidates": results,
            "train_poses": int(len(x_train)), "heldout_poses": int(len(x_test)),
            "heldout_subjects": sorted(held), "max_error_mm": args.max_error_mm,
            "stride": args.stride, "data": "CMU motion capture (../shared/mocap) retargeted onto "
            "Anny by scripts/retarget_mocap.py, mirrored copies added",
            "seconds": round(time.time() - t0, 1)}
    PosePrior(mix, meta).save(args.out)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
