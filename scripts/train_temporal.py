"""Train the temporal regressor (core/temporal/regressor.py) on motion synthesized from Anny.

    .venv/bin/python scripts/train_temporal.py [--steps 1500] [--sequences 240] [--lr 1e-3] [--seed 0]
                                              [--threads 1] [--out assets/temporal/temporal_regressor.pt]

Data, reproducible from --seed, nothing downloaded:
1. a pool of motions: --sequences smooth trajectories of --length frames through plausible key
   poses (core.temporal.synthetic_motion.random_trajectory -> core.synthetic.sample_poses, one
   key every 10-30 frames, difficulty spread over [0.2, 0.9]), each with its own adult shape; the
   body model gives their 33 landmarks once (canonical frame, root-relative);
2. every batch crops --window frames of random motions and films them afresh: a random camera
   and placement for the first frame (core.synthetic.sample_views: any yaw, 2-6 m, 40-75 degree
   lenses, portrait and landscape), then the body turns smoothly about its own vertical axis (now
   and then a fast half turn) and walks (smooth root drift); BlazePose-like detector output per
   frame (core.synthetic.synthesize_keypoints: pixel noise, confidences, dropouts, left/right
   swaps on 3 % of frames, 3D landmark noise) plus a slowly drifting per-keypoint bias, and 4 % of
   frames missing altogether.
Start: the per-frame initializer's weights (assets/initializer), so step 0 is that network;
the per-frame MLP then learns at a fifth of the temporal blocks' rate. The net keeps its own
copy of those weights, so retraining the initializer later does not change it.
Loss: the initializer's terms per frame (rotations, stick-figure joints, shape, placement) plus
joint velocity and acceleration errors of the stick figure (TCMR's smoothness, with truth).
Validation: held-out motions (seed + 1000), fixed views and noise: MPJPE (root-relative
stick-figure joints, mm), acceleration error (mm/frame^2) and orientation error (deg), for the
per-frame initializer and for the temporal regressor. Written with the weights to the .json.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.interpolate import PchipInterpolator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import load_body_model  # noqa: E402
from core.fitting.initializer import Initializer, decode  # noqa: E402
from core.synthetic import NoiseConfig, sample_views, synthesize_keypoints  # noqa: E402
from core.synthetic.skeleton import PoseSkeleton  # noqa: E402
from core.temporal.landmark_rig import LandmarkRig  # noqa: E402
from core.temporal.regressor import (WEIGHTS, TemporalNetConfig, TemporalRegressor,  # noqa: E402
                                     TemporalRegressorNet, sequence_features)
from core.temporal.synthetic_motion import MotionConfig, random_trajectory  # noqa: E402


def make_pool(body, n: int, length: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """n motions of ``length`` frames: pose (n, L, 22, 3) axis-angles, shape (n, 6),
    landmarks (n, L, 33, 3) canonical root-relative metres."""
    import roma

    poses, shapes, lms = [], [], []
    zero = torch.zeros(length, 3)
    t0 = time.time()
    for i in range(n):
        motion = MotionConfig(difficulty=float(rng.uniform(0.2, 0.9)))
        params = random_trajectory(body, length, rng, motion)
        pose = torch.as_tensor(np.stack([p.body_pose for p in params]), dtype=torch.float32)
        rig = LandmarkRig(body, params[0].shape)
        with torch.no_grad():
            lm, _ = rig(zero, pose, zero)
        poses.append(pose)
        shapes.append(torch.as_tensor(params[0].shape, dtype=torch.float32))
        lms.append(lm)
        if (i + 1) % 50 == 0:
            print(f"  pool {i + 1}/{n} motions, {time.time() - t0:.0f} s", flush=True)
    pose = torch.stack(poses)
    return {"pose_rotmat": roma.rotvec_to_rotmat(pose), "shape": torch.stack(shapes),
            "landmarks": torch.stack(lms)}


def _rot_y(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(a.shape + (3, 3))
    r[..., 0, 0], r[..., 0, 2], r[..., 1, 1], r[..., 2, 0], r[..., 2, 2] = c, s, 1.0, -s, c
    return r


def _smooth_walk(rng: np.random.Generator, b: int, t: int, dims: int, step: float,
                 spacing: int = 8) -> np.ndarray:
    """(b, t, dims) smooth random walks starting at 0: keys every ``spacing`` frames."""
    keys = np.arange(0, t + spacing, spacing, dtype=float)
    vals = np.cumsum(rng.normal(0, step, (len(keys), b, dims)), 0)
    vals -= vals[:1]
    return np.moveaxis(PchipInterpolator(keys, vals, axis=0)(np.arange(t, dtype=float)), 0, 1)


def make_batch(pool: dict[str, torch.Tensor], idx: np.ndarray, window: int,
               rng: np.random.Generator, noise: NoiseConfig | None = None,
               missing: float = 0.04) -> dict[str, torch.Tensor]:
    """Films ``window`` frames of each pool motion ``idx`` (see the module docstring)."""
    b, length = len(idx), pool["landmarks"].shape[1]
    start = rng.integers(0, length - window + 1, b)
    frames = start[:, None] + np.arange(window)[None]
    lm = pool["landmarks"][idx[:, None], frames].numpy().astype(np.float64)  # (b, T, 33, 3)
    v = sample_views(lm[:, 0], rng)
    yaw = _smooth_walk(rng, b, window, 1, 0.35)[..., 0]
    turn = rng.random(b) < 0.1                                  # a fast half turn
    at = rng.uniform(0, window, b)
    yaw += np.where(turn, 1.0, 0.0)[:, None] * np.pi * rng.choice([-1, 1], b)[:, None] \
        / (1 + np.exp(-(np.arange(window)[None] - at[:, None]) / 2.0))
    R = v.rotation[:, None] @ _rot_y(yaw)                          # (b, T, 3, 3)
    drift = _smooth_walk(rng, b, window, 3, 0.12) * np.array([1.0, 0.2, 1.0])
    transl = v.transl[:, None] + drift
    transl[..., 2] = np.maximum(transl[..., 2], 1.2)
    cam = np.einsum("btij,btkj->btki", R, lm) + transl[:, :, None]
    if noise is None:
        noise = NoiseConfig(noise_px=float(rng.uniform(0.5, 6.0)),
                            dropout=float(rng.uniform(0.0, 0.1)), swap_prob=0.03,
                            landmark_noise_m=float(rng.uniform(0.005, 0.04)))
    flat = lambda a: a.reshape((b * window,) + a.shape[2:])  # noqa: E731
    intr = np.repeat(v.intrinsics, window, 0)
    kp, lm3d, _ = synthesize_keypoints(flat(cam), flat(R), flat(transl), intr, rng, noise)
    kp, lm3d = kp.reshape(b, window, 33, 3), lm3d.reshape(b, window, 33, 3)
    size = np.ptp(kp[..., 1], axis=-1).mean(1)                     # (b,) person px
    bias = _smooth_walk(rng, b * 33, window, 2, 1.0).reshape(b, 33, window, 2).transpose(0, 2, 1, 3)
    bias *= (rng.uniform(0.0, 4.0, b) * size / 500.0)[:, None, None, None] / 2.0
    kp[..., :2] += bias.astype(np.float32)
    present = rng.random((b, window)) >= missing
    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    return {"kp2d": f(kp), "lm3d": f(lm3d),
            "intr": f(np.repeat(v.intrinsics[:, None, :4], window, 1)),
            "present": torch.as_tensor(present), "global_rotmat": f(R), "transl": f(transl),
            "pose_rotmat": pool["pose_rotmat"][idx[:, None], frames],
            "shape": pool["shape"][idx][:, None].expand(b, window, -1)}


def predict(net, batch):
    feats, centre, size = sequence_features(batch["kp2d"], batch["lm3d"], batch["intr"],
                                            batch["present"])
    raw = net(feats)
    return decode(raw.reshape(-1, raw.shape[-1]), centre, size,
                  batch["intr"].reshape(-1, 4)), size


def losses(net, skel: PoseSkeleton, batch) -> dict[str, torch.Tensor]:
    b, t = batch["present"].shape
    pred, size = predict(net, batch)
    g = batch["global_rotmat"].reshape(-1, 3, 3)
    pr = batch["pose_rotmat"].reshape(-1, 22, 3, 3)
    tr = batch["transl"].reshape(-1, 3)
    intr = batch["intr"].reshape(-1, 4)
    w = batch["present"].reshape(-1).float()
    mean = lambda x: (x * w).sum() / w.sum()  # noqa: E731
    true_px = tr[:, :2] / tr[:, 2:3] * intr[:, 0:2] + intr[:, 2:4]
    jp = skel(pred.pose_rotmat, pred.global_rotmat).reshape(b, t, -1, 3)
    jt = skel(pr, g).reshape(b, t, -1, 3)
    vel = lambda x: x[:, 1:] - x[:, :-1]  # noqa: E731
    acc = lambda x: x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]  # noqa: E731
    return {
        "orient": mean(((pred.global_rotmat - g) ** 2).sum((-1, -2))),
        "pose": mean(((pred.pose_rotmat - pr) ** 2).sum((-1, -2, -3)) / 22),
        "joints": mean((jp - jt).norm(dim=-1).mean(-1).reshape(-1)),
        "shape": mean(((pred.shape - batch["shape"].reshape(-1, 6)) ** 2).sum(-1)),
        "root_px": mean((((pred.root_px - true_px) / size[:, None]) ** 2).sum(-1)),
        "depth": mean((torch.log(pred.depth) - torch.log(tr[:, 2])) ** 2),
        "velocity": (vel(jp) - vel(jt)).norm(dim=-1).mean(),
        "accel": (acc(jp) - acc(jt)).norm(dim=-1).mean(),
    }


WEIGHTS_LOSS = {"orient": 1.0, "pose": 0.5 * 22, "joints": 10.0, "shape": 1.0, "root_px": 2.0,
                "depth": 4.0, "velocity": 5.0, "accel": 5.0}


@torch.no_grad()
def evaluate(net, skel: PoseSkeleton, batch) -> dict[str, float]:
    """MPJPE (mm), accel error (mm/frame^2), orientation error (deg) over present frames."""
    import roma

    net.eval()
    b, t = batch["present"].shape
    pred, _ = predict(net, batch)
    net.train()
    g = batch["global_rotmat"].reshape(-1, 3, 3)
    jp = skel(pred.pose_rotmat, pred.global_rotmat).reshape(b, t, -1, 3)
    jt = skel(batch["pose_rotmat"].reshape(-1, 22, 3, 3), g).reshape(b, t, -1, 3)
    acc = lambda x: x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]  # noqa: E731
    w = batch["present"].reshape(-1)
    ang = roma.rotmat_geodesic_distance(pred.global_rotmat, g)[w]
    return {"mpjpe_mm": round(float((jp - jt).norm(dim=-1).mean(-1).reshape(-1)[w].mean() * 1000), 2),
            "accel_mm": round(float((acc(jp) - acc(jt)).norm(dim=-1).mean() * 1000), 2),
            "orient_deg": round(float(torch.rad2deg(ang).mean()), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--sequences", type=int, default=240, help="motions in the training pool")
    ap.add_argument("--length", type=int, default=64, help="frames per pool motion")
    ap.add_argument("--window", type=int, default=24, help="frames per training crop")
    ap.add_argument("--batch", type=int, default=24, help="crops per step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(WEIGHTS))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    t_start = time.time()
    cpu0 = time.process_time()
    body = load_body_model("anny")
    rng = np.random.default_rng(args.seed)
    print(f"pool: {args.sequences} motions x {args.length} frames", flush=True)
    pool = make_pool(body, args.sequences, args.length, rng)
    vrng = np.random.default_rng(args.seed + 1000)
    val_pool = make_pool(body, 24, args.length, vrng)
    val = make_batch(val_pool, np.arange(24), args.window, vrng, noise=NoiseConfig(swap_prob=0.03))
    t_data = time.time() - t_start

    frame = Initializer.load()
    if frame is None:
        print("assets/initializer is missing: run scripts/train_initializer.py first.")
        return 2
    net = TemporalRegressorNet(TemporalNetConfig(frame=frame.net.config))
    net.frame.load_state_dict(frame.net.state_dict())
    net.train()
    skel = PoseSkeleton.from_body(body)
    before = evaluate(net, skel, val)
    print(f"step 0 (= per-frame initializer): {before}", flush=True)
    # the per-frame MLP is already trained: it moves 5x slower than the new temporal blocks
    groups = [{"params": net.frame.parameters(), "lr": args.lr * 0.2},
              {"params": net.temporal.parameters(), "lr": args.lr}]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, [args.lr * 0.2, args.lr],
                                                total_steps=args.steps, pct_start=0.1)
    t_train = time.time()
    for step in range(1, args.steps + 1):
        idx = rng.integers(0, args.sequences, args.batch)
        parts = losses(net, skel, make_batch(pool, idx, args.window, rng))
        loss = sum(WEIGHTS_LOSS[k] * v for k, v in parts.items())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps:
            print(f"step {step}: loss {float(loss.detach()):.3f} val {evaluate(net, skel, val)} "
                  f"({time.time() - t_train:.0f} s)", flush=True)
    after = evaluate(net, skel, val)
    meta = {"seed": args.seed, "steps": args.steps, "batch": args.batch, "window": args.window,
            "pool_motions": args.sequences, "motion_length": args.length, "lr": args.lr,
            "threads": args.threads,
            "data": "Anny motions: core.temporal.synthetic_motion.random_trajectory poses, "
                    "core.synthetic.sample_views cameras + smooth turning/walking, "
                    "core.synthetic.synthesize_keypoints noise + drifting bias, 3 % swaps, "
                    "4 % missing frames",
            "data_seconds": round(t_data, 1), "train_seconds": round(time.time() - t_train, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "cpu_seconds": round(time.process_time() - cpu0, 1),
            "validation_set": "24 held-out motions (seed+1000) x 1 crop, default noise, 3 % swaps",
            "validation_per_frame_initializer": before, "validation": after}
    out = Path(args.out)
    TemporalRegressor(net.eval()).save(out, meta)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
