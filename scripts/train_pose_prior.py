"""Train the learned pose prior (core/priors/pose_prior.py) on real motion retargeted onto Anny.

    .venv/bin/python scripts/retarget_mocap.py            # once: ../shared/mocap -> .cache/mocap/anny
    .venv/bin/python scripts/train_pose_prior.py [--components 16] [--seed 0] [--quick]

Data: every retargeted clip's body poses (AnnyBody's 22 joint rotations), frames whose retarget
residual is above --max-error-mm dropped, thinned to --stride frames (near-duplicates of
consecutive frames add nothing to a density). The clips are split by CMU subject (the first
number of a CMU clip name, else the clip): the held-out subjects measure the candidates.
Candidates: one mixture over the whole pose and one per body part (trunk, arms, legs; the parts
independent), of several sizes and covariance ridges and, as the baseline every prior must beat,
one Gaussian; the measurement is the held-out negative log-likelihood per
dimension (nats) on the held-out performers, and the best one is kept (a prior that generalises
to other people, not one that memorises the training clips; --tolerance prefers a smaller one
that is nearly as good).
Left/right mirrored copies of every pose are added (people are as likely to raise either arm).
People standing still: the motion capture here is nearly all motion (salsa, martial arts, Indian
dance, walking: the knees are bent by 10 degrees or more in 94 % of its frames, and in 87 % even of
its slowest frames), while photographed people mostly stand; --standing-fraction of the training
set are therefore standing poses made here (``standing_poses``: straight legs, upright trunk,
the arms anywhere from hanging to held out).
The held-out measurement stays on real motion only.
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

from core.priors.pose_prior import PARTS, WEIGHTS, PartsMixture, PosePrior, PriorConfig  # noqa: E402
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


def standing_poses(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 22, 3) people standing still for a photo: straight legs (knees 0-3 degrees), thighs
    and trunk near upright, the arms anywhere from hanging to held out sideways, elbows a little
    bent, the head level; small jitter on every joint (joint-limit coordinates,
    core.body.anny_limits)."""
    from core.body.anny_body import POSE_JOINTS
    from core.body.anny_limits import from_limit_coords, limit_arrays

    _, low, high = limit_arrays()
    idx = {name: i for i, name in enumerate(POSE_JOINTS)}
    c = rng.normal(0.0, 0.03, (n, len(POSE_JOINTS), 3))
    u = lambda a, b: rng.uniform(a, b, n)  # noqa: E731
    for side in ("L", "R"):
        c[:, idx[f"upperleg01.{side}"]] += np.stack([u(-0.08, 0.05), u(-0.1, 0.1),
                                                     u(-0.15, 0.05)], -1)
        c[:, idx[f"lowerleg01.{side}"], 0] = u(0.0, 0.05)
        c[:, idx[f"upperarm01.{side}"]] += np.stack([u(-0.3, 0.2), u(-0.3, 0.3),
                                                     u(-0.5, 0.75)], -1)
        c[:, idx[f"lowerarm01.{side}"], 0] += u(-0.6, 0.4)
    c = np.clip(c, low, high)
    return from_limit_coords(torch.as_tensor(c)).numpy().astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=MOCAP_DIR)
    ap.add_argument("--components", type=int, nargs="+", default=[4, 8, 16, 32])
    ap.add_argument("--max-error-mm", type=float, default=40.0)
    ap.add_argument("--stride", type=int, default=2, help="keep every N-th frame (30 fps data)")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of subjects held out")
    ap.add_argument("--tolerance", type=float, default=0.0,
                    help="nats per dimension within which a smaller mixture is preferred")
    ap.add_argument("--iterations", type=int, default=150)
    ap.add_argument("--ridge", type=float, nargs="+", default=[1e-3, 1e-2],
                    help="covariance ridges to try (rad^2): larger generalises to other people")
    ap.add_argument("--standing-fraction", type=float, default=0.15,
                    help="share of the training poses that are people standing still, from the "
                         "generator in this script (the motion capture has few)")
    ap.add_argument("--layouts", nargs="+", default=["whole pose", "parts"],
                    choices=["whole pose", "parts"],
                    help="one mixture over the whole pose, one per body part (PARTS), or both")
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
    n_stand = int(round(args.standing_fraction * len(train) / max(1.0 - args.standing_fraction,
                                                                  1e-6)))
    if n_stand:
        train = np.concatenate([train, standing_poses(n_stand, rng)])
    test = np.concatenate([p for p, s in zip(poses, subjects) if s in held]) if held else train[:0]
    train = np.concatenate([train, mirror_poses(train)])
    if len(test):
        test = np.concatenate([test, mirror_poses(test)])
    x_train = torch.as_tensor(train, dtype=torch.float64)
    x_test = torch.as_tensor(test, dtype=torch.float64)
    dim = x_train.shape[1] * 3
    print(f"{len(x_train)} training poses ({len(uniq) - n_hold} subjects, {n_stand} of them "
          f"standing poses made here before mirroring), {len(x_test)} held out ({n_hold} "
          f"subjects: {', '.join(sorted(held))})", flush=True)

    results = {}
    models = {}
    layouts = {"whole pose": None, "parts": {k: list(v) for k, v in PARTS.items()}}
    for layout, parts in layouts.items():
        if layout not in args.layouts:
            continue
        for ridge in args.ridge:
            for k in [1] + list(args.components):
                model = PartsMixture(PriorConfig(parts, k, ridge, x_train.shape[1])).double()
                steps = model.fit(x_train, iterations=args.iterations, seed=args.seed)
                with torch.no_grad():
                    tr = float(-model.log_prob(x_train).mean()) / dim
                    te = float(-model.log_prob(x_test).mean()) / dim if len(x_test) else tr
                key = f"{layout}, {k} components, ridge {ridge:g}"
                results[key] = {"layout": layout, "components": k, "ridge": ridge,
                                "train_nll": round(tr, 4), "heldout_nll": round(te, 4),
                                "em_iterations": steps}
                models[key] = model
                print(f"  {key}: train NLL {tr:.3f}, held-out {te:.3f} nats/dim "
                      f"({steps} EM steps, {time.time() - t0:.0f} s)", flush=True)
    # the best held-out likelihood wins; within --tolerance of it, the smaller mixture
    best = min(r["heldout_nll"] for r in results.values())
    near = [k for k, r in results.items() if r["heldout_nll"] <= best + args.tolerance]
    chosen = min(near, key=lambda k: (results[k]["components"], -results[k]["ridge"]))
    model = models[chosen].float()
    with torch.no_grad():
        nll = -model.log_prob(x_train.float()) / dim
        model.offset.copy_(nll.median())
    meta = {"seed": args.seed, "chosen_components": chosen, "candidates": results,
            "train_poses": int(len(x_train)), "heldout_poses": int(len(x_test)),
            "heldout_subjects": sorted(held), "max_error_mm": args.max_error_mm,
            "stride": args.stride, "standing_fraction": args.standing_fraction,
            "data": "CMU motion capture (../shared/mocap) retargeted onto Anny by "
            "scripts/retarget_mocap.py, mirrored copies added, plus generated standing poses "
            "(straight legs, upright trunk; standing_poses) as --standing-fraction of training",
            "seconds": round(time.time() - t0, 1)}
    PosePrior(model, meta).save(args.out)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
