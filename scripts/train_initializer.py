"""Train the learned initializer (keypoints -> AnnyBody) on bodies generated from Anny itself.

    .venv/bin/python scripts/train_initializer.py [--steps 8000] [--shapes 300] [--seed 0]
                                                 [--threads 1] [--out assets/initializer/anny_initializer.pt]

Data, all on the fly and reproducible from --seed (core.synthetic):
1. a pool of (shape, pose) bodies: --shapes adult phenotypes x --poses-per-shape poses from the
   mixture of pose modes (difficulty spread over [0.2, 1]); Anny gives their 33 landmarks in
   the canonical frame (one batched forward per shape: the rest mesh is built once per shape);
2. every training batch draws bodies from the pool and a fresh random view of each (any yaw,
   2-6 m, 40-75 degree lenses, portrait and landscape frames) and fresh detector noise
   (pixel noise, BlazePose-like confidences, dropouts, rare left/right swaps, 3D landmark noise,
   and 10 % of samples without 3D landmarks, as from OpenPose).
Loss: rotation-matrix error of the global orientation and the 22 joints, joint-position error
of a stick figure of the mean shape (core.synthetic.skeleton), phenotype error, and the
scale-free placement (root pixel in box units, log depth).
Validation: a held-out pool (other seed), fixed views and default noise; reported in metres.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import load_body_model  # noqa: E402
from core.fitting.initializer import (WEIGHTS_PATH, Initializer, InitializerConfig,  # noqa: E402
                                      InitializerNet, decode, observation_features)
from core.synthetic import (NoiseConfig, sample_poses, sample_shapes, sample_views,  # noqa: E402
                            synthesize_keypoints)
from core.synthetic.skeleton import PoseSkeleton  # noqa: E402


def make_pool(body, n_shapes: int, per_shape: int, rng: np.random.Generator,
              log_every: int = 50) -> dict[str, torch.Tensor]:
    """(shape, pose, canonical landmarks) bodies: pose (N, 22, 3), shape (N, 6), landmarks
    (N, 33, 3) root-relative canonical metres, N = n_shapes * per_shape."""
    import roma

    shapes = sample_shapes(n_shapes, rng)
    poses, lms = [], []
    z = torch.zeros(1, 3)
    none = torch.zeros(0, dtype=torch.long)
    t0 = time.time()
    for i in range(n_shapes):
        d = float(rng.uniform(0.2, 1.0))
        p = torch.as_tensor(sample_poses(body, per_shape, rng, difficulty=d))
        with torch.no_grad():
            out = body(z, p, torch.as_tensor(shapes[i:i + 1]), z, vertex_ids=none)
        poses.append(p)
        lms.append(out.landmarks)
        if log_every and (i + 1) % log_every == 0:
            print(f"  pool {i + 1}/{n_shapes} shapes, {time.time() - t0:.0f} s", flush=True)
    pose = torch.cat(poses)
    return {"pose": pose, "pose_rotmat": roma.rotvec_to_rotmat(pose),
            "shape": torch.as_tensor(shapes).repeat_interleave(per_shape, 0),
            "landmarks": torch.cat(lms)}


def make_batch(pool: dict[str, torch.Tensor], idx: np.ndarray, rng: np.random.Generator,
               noise: NoiseConfig | None = None, no3d_fraction: float = 0.1) -> dict[str, torch.Tensor]:
    """Views and detector output for pool bodies ``idx``; noise None draws it per batch."""
    lm = pool["landmarks"][idx].numpy().astype(np.float64)
    v = sample_views(lm, rng)
    cam_lm = np.einsum("bij,bkj->bki", v.rotation, lm) + v.transl[:, None]
    if noise is None:
        noise = NoiseConfig(noise_px=float(rng.uniform(0.5, 8.0)), dropout=float(rng.uniform(0.0, 0.12)),
                            swap_prob=0.02, landmark_noise_m=float(rng.uniform(0.005, 0.04)))
    kp, lm3d, _ = synthesize_keypoints(cam_lm, v.rotation, v.transl, v.intrinsics, rng, noise)
    if no3d_fraction > 0:
        lm3d[rng.random(len(idx)) < no3d_fraction] = 0.0
    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    return {"kp2d": f(kp), "lm3d": f(lm3d), "intr": f(v.intrinsics[:, :4]),
            "global_rotmat": f(v.rotation), "transl": f(v.transl),
            "pose_rotmat": pool["pose_rotmat"][idx], "shape": pool["shape"][idx]}


def losses(net, skel: PoseSkeleton, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    feats, centre, size = observation_features(batch["kp2d"], batch["lm3d"], batch["intr"])
    pred = decode(net(feats), centre, size, batch["intr"])
    intr = batch["intr"]
    t = batch["transl"]
    true_px = t[:, :2] / t[:, 2:3] * intr[:, 0:2] + intr[:, 2:4]
    j_pred = skel(pred.pose_rotmat, pred.global_rotmat)
    j_true = skel(batch["pose_rotmat"], batch["global_rotmat"])
    return {
        "orient": ((pred.global_rotmat - batch["global_rotmat"]) ** 2).sum((-1, -2)).mean(),
        "pose": ((pred.pose_rotmat - batch["pose_rotmat"]) ** 2).sum((-1, -2)).mean(),
        "joints": (j_pred - j_true).norm(dim=-1).mean(),
        "shape": ((pred.shape - batch["shape"]) ** 2).sum(-1).mean(),
        "root_px": ((((pred.root_px - true_px) / size[:, None]) ** 2).sum(-1)).mean(),
        "depth": ((torch.log(pred.depth) - torch.log(t[:, 2])) ** 2).mean(),
    }


WEIGHTS = {"orient": 1.0, "pose": 0.5, "joints": 10.0, "shape": 1.0, "root_px": 2.0, "depth": 4.0}


@torch.no_grad()
def evaluate(net, skel: PoseSkeleton, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """Validation figures: MPJPE (root-relative stick-figure joints, camera axes, mm),
    orientation error (deg), phenotype RMSE, depth error (relative)."""
    import roma

    net.eval()
    feats, centre, size = observation_features(batch["kp2d"], batch["lm3d"], batch["intr"])
    pred = decode(net(feats), centre, size, batch["intr"])
    net.train()
    j_pred = skel(pred.pose_rotmat, pred.global_rotmat)
    j_true = skel(batch["pose_rotmat"], batch["global_rotmat"])
    ang = roma.rotmat_geodesic_distance(pred.global_rotmat, batch["global_rotmat"])
    return {"mpjpe_mm": float((j_pred - j_true).norm(dim=-1).mean() * 1000),
            "orient_deg": float(torch.rad2deg(ang).mean()),
            "orient_deg_median": float(torch.rad2deg(ang).median()),
            "shape_rmse": float(((pred.shape - batch["shape"]) ** 2).mean().sqrt()),
            "depth_rel": float(((pred.depth - batch["transl"][:, 2]).abs() / batch["transl"][:, 2]).mean())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--shapes", type=int, default=300, help="phenotypes in the training pool")
    ap.add_argument("--poses-per-shape", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--width", type=int, default=384)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t_start, cpu_start = time.time(), time.process_time()
    body = load_body_model("anny", device="cpu")
    skel = PoseSkeleton.from_body(body)

    print(f"building pool: {args.shapes} shapes x {args.poses_per_shape} poses", flush=True)
    pool = make_pool(body, args.shapes, args.poses_per_shape, rng)
    val_rng = np.random.default_rng(args.seed + 1000)
    val_pool = make_pool(body, 8, 128, val_rng, log_every=0)
    val = make_batch(val_pool, np.arange(len(val_pool["pose"])), val_rng, NoiseConfig(), 0.0)
    t_data = time.time() - t_start
    print(f"pool ready: {len(pool['pose'])} bodies in {t_data:.0f} s", flush=True)

    net = InitializerNet(InitializerConfig(width=args.width, blocks=args.blocks))
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=0.05)
    n = len(pool["pose"])
    t_train = time.time()
    for step in range(1, args.steps + 1):
        batch = make_batch(pool, rng.integers(0, n, args.batch), rng)
        terms = losses(net, skel, batch)
        loss = sum(WEIGHTS[k] * v for k, v in terms.items())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == args.steps:
            ev = evaluate(net, skel, val)
            print(f"step {step:5d} loss {loss.item():.4f} "
                  + " ".join(f"{k} {v.item():.4f}" for k, v in terms.items())
                  + f" | val mpjpe {ev['mpjpe_mm']:.1f} mm orient {ev['orient_deg']:.1f} deg "
                  f"shape {ev['shape_rmse']:.3f} depth {100 * ev['depth_rel']:.1f} % "
                  f"({time.time() - t_train:.0f} s)", flush=True)

    ev = evaluate(net, skel, val)
    meta = {"seed": args.seed, "steps": args.steps, "batch": args.batch,
            "pool_bodies": n, "pool_shapes": args.shapes, "poses_per_shape": args.poses_per_shape,
            "samples_seen": args.steps * args.batch, "lr": args.lr,
            "data_seconds": round(t_data, 1), "train_seconds": round(time.time() - t_train, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "cpu_seconds": round(time.process_time() - cpu_start, 1), "threads": args.threads,
            "validation": {k: round(v, 4) for k, v in ev.items()},
            "validation_set": "8 held-out shapes x 128 poses (seed+1000), default NoiseConfig"}
    Initializer(net, "cpu").save(args.out, meta)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
