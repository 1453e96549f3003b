"""Train the temporal regressor (core/temporal/regressor.py) on real and synthesized motion.

    .venv/bin/python scripts/retarget_mocap.py        # once: ../shared/mocap -> .cache/mocap/anny
    .venv/bin/python scripts/train_temporal.py [--steps 1500] [--sequences 240] [--lr 1e-3] [--seed 0]
                                              [--threads 1] [--out assets/temporal/temporal_regressor.pt]

Data, reproducible from --seed, nothing downloaded:
1. real motion: --real-sequences crops of --length frames of the CMU motion capture retargeted
   onto Anny (held-out subjects excluded), each with a random adult shape, its real orientation
   and root path in a gravity world (the body's lowest point over the crop put on the ground);
   every batch films them with one realistic camera per crop that stays put for the crop
   (core.synthetic.world_views: phones and webcams at ordinary heights and distances, pitched at
   the person), so the ground stays put as in real footage;
2. synthetic motion: --sequences smooth trajectories of --length frames through plausible key
   poses (core.temporal.synthetic_motion.random_trajectory -> core.synthetic.sample_poses, one
   key every 10-30 frames, difficulty spread over [0.2, 0.9]), each with its own adult shape,
   filmed by a random free camera (core.synthetic.sample_views), the body turning smoothly about
   its own vertical axis (now and then a fast half turn) and walking (smooth root drift);
3. a --real-fraction of the steps trains on real motion, the rest on synthetic; BlazePose-like
   detector output per frame (core.synthetic.training_data.detector_noise: pixel noise,
   confidences, dropouts, left/right swaps on 3 % of frames, its 3D errors: flattened depth, bent
   knees, lean, tilt, limb depth flips, the mirror-image reading of people seen from behind)
   plus a slowly drifting per-keypoint bias, and 4 % of frames missing altogether.
Start: the per-frame initializer's weights (assets/initializer), so step 0 is that network;
the per-frame MLP then learns at a fifth of the temporal blocks' rate. The net keeps its own
copy of those weights, so retraining the initializer later does not change it.
Loss: the initializer's terms per frame (rotations, stick-figure joints, shape, placement) plus
joint velocity and acceleration errors of the stick figure (TCMR's smoothness, with truth).
Validation: held-out synthetic motions (seed + 1000, free views) and, when motion capture is
there, held-out subjects' real motion (realistic cameras): MPJPE (root-relative stick-figure
joints, mm), acceleration error (mm/frame^2) and orientation error (deg), for the per-frame
initializer and for the temporal regressor. Written with the weights to the .json.
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

from core.fitting.initializer import Initializer, decode  # noqa: E402
from core.synthetic import NoiseConfig, sample_shapes, sample_views, synthesize_keypoints  # noqa: E402
from core.synthetic.training_data import (MOCAP_DIR, SOLE_M, detector_noise,  # noqa: E402
                                          load_mocap, split_subjects)
from core.synthetic.world_views import sample_world_cameras  # noqa: E402
from core.synthetic.skeleton import PoseSkeleton  # noqa: E402
from core.temporal.landmark_rig import LandmarkRig  # noqa: E402
from core.temporal.regressor import (WEIGHTS, TemporalNetConfig, TemporalRegressor,  # noqa: E402
                                     TemporalRegressorNet, sequence_features)
from core.temporal.synthetic_motion import MotionConfig, random_trajectory  # noqa: E402

from train_initializer import optimise, start_run  # noqa: E402  (scripts/ is this folder)


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


def make_real_pool(body, clips, n: int, length: int, rng: np.random.Generator
                   ) -> dict[str, torch.Tensor] | None:
    """n crops of ``length`` frames of real motion clips (core.synthetic.training_data
    .MocapClip), each with a random adult shape: pose_rotmat (n, L, 22, 3, 3), shape (n, 6),
    landmarks (n, L, 33, 3) canonical root-relative, world_rot (n, L, 3, 3), root (n, L, 3)
    world metres; None without clips long enough."""
    import roma

    long = [c for c in clips if len(c.body_pose) >= length]
    if not long:
        return None
    weights = np.array([len(c.body_pose) - length + 1 for c in long], np.float64)
    shapes = sample_shapes(n, rng)
    zero = torch.zeros(length, 3)
    poses, lms, rots, roots = [], [], [], []
    for i in range(n):
        c = long[rng.choice(len(long), p=weights / weights.sum())]
        a = int(rng.integers(0, len(c.body_pose) - length + 1))
        pose = torch.as_tensor(c.body_pose[a:a + length], dtype=torch.float32)
        rig = LandmarkRig(body, shapes[i])
        with torch.no_grad():
            lm, _ = rig(zero, pose, zero)
        poses.append(pose)
        lms.append(lm)
        rots.append(torch.as_tensor(c.world_rot[a:a + length]))
        roots.append(torch.as_tensor(c.root[a:a + length]))
    pose = torch.stack(poses)
    return {"pose_rotmat": roma.rotvec_to_rotmat(pose), "shape": torch.as_tensor(shapes),
            "landmarks": torch.stack(lms), "world_rot": torch.stack(rots),
            "root": torch.stack(roots)}


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


def _film_synthetic(pool, idx, frames, lm, rng):
    """Free camera, smooth turning and walking: (rotation (b, T, 3, 3), transl (b, T, 3),
    intrinsics (b, 6))."""
    b, window = frames.shape
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
    return R, transl, v.intrinsics


def _film_real(pool, idx, frames, lm, rng):
    """The crop's own motion in its world, one realistic camera that stays put."""
    b, window = frames.shape
    wr = pool["world_rot"][idx[:, None], frames].numpy()           # (b, T, 3, 3)
    root = pool["root"][idx[:, None], frames].numpy().copy()       # (b, T, 3)
    pts = np.einsum("btij,btkj->btki", wr, lm) + root[:, :, None]
    lift = pts[..., 1].max((1, 2)) + SOLE_M                         # lowest point on the ground
    root[..., 1] -= lift[:, None]
    pts[..., 1] -= lift[:, None, None]
    facing = wr[:, 0] @ np.array([0.0, 0.0, -1.0])
    rot_wc, pos, intr = sample_world_cameras(pts.reshape(b, -1, 3), facing, rng)
    R = rot_wc[:, None] @ wr
    transl = np.einsum("bij,btj->bti", rot_wc, root - pos[:, None])
    return R, transl, intr


def make_batch(pool: dict[str, torch.Tensor], idx: np.ndarray, window: int,
               rng: np.random.Generator, noise: NoiseConfig | None = None,
               missing: float = 0.04, noise_level: float = 1.0) -> dict[str, torch.Tensor]:
    """Films ``window`` frames of each pool motion ``idx`` (see the module docstring): a real
    pool (with world paths) by a static realistic camera, a synthetic one by a free camera."""
    b, length = len(idx), pool["landmarks"].shape[1]
    start = rng.integers(0, length - window + 1, b)
    frames = start[:, None] + np.arange(window)[None]
    lm = pool["landmarks"][idx[:, None], frames].numpy().astype(np.float64)  # (b, T, 33, 3)
    film = _film_real if "world_rot" in pool else _film_synthetic
    R, transl, intrinsics = film(pool, idx, frames, lm, rng)
    cam = np.einsum("btij,btkj->btki", R, lm) + transl[:, :, None]
    noise = noise or detector_noise(rng, swap_prob=0.03, level=noise_level)
    flat = lambda a: a.reshape((b * window,) + a.shape[2:])  # noqa: E731
    intr = np.repeat(intrinsics, window, 0)
    kp, lm3d, _ = synthesize_keypoints(flat(cam), flat(R), flat(transl), intr, rng, noise)
    kp, lm3d = kp.reshape(b, window, 33, 3), lm3d.reshape(b, window, 33, 3)
    size = np.ptp(kp[..., 1], axis=-1).mean(1)                     # (b,) person px
    bias = _smooth_walk(rng, b * 33, window, 2, 1.0).reshape(b, 33, window, 2).transpose(0, 2, 1, 3)
    bias *= (rng.uniform(0.0, 4.0, b) * size / 500.0)[:, None, None, None] / 2.0
    kp[..., :2] += bias.astype(np.float32)
    present = rng.random((b, window)) >= missing
    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    return {"kp2d": f(kp), "lm3d": f(lm3d),
            "intr": f(np.repeat(intrinsics[:, None, :4], window, 1)),
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
    ap.add_argument("--mocap", type=Path, default=MOCAP_DIR,
                    help="retargeted motion capture (scripts/retarget_mocap.py)")
    ap.add_argument("--real-sequences", type=int, default=480, help="real motion crops in the pool")
    ap.add_argument("--real-fraction", type=float, default=0.7, help="share of steps on real motion")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of mocap subjects held out")
    ap.add_argument("--noise-level", type=float, default=1.0,
                    help="strength of the simulated BlazePose 3D errors (1: the full model)")
    ap.add_argument("--quick", action="store_true", help="a tiny run that checks the pipeline")
    ap.add_argument("--out", default=str(WEIGHTS))
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.sequences, args.real_sequences = 20, 8, 8
    rng, t_start, cpu0, body = start_run(args)
    print(f"pool: {args.sequences} motions x {args.length} frames", flush=True)
    pool = make_pool(body, args.sequences, args.length, rng)
    train_clips, held_clips = split_subjects(load_mocap(args.mocap), args.holdout,
                                             np.random.default_rng(args.seed))
    real = make_real_pool(body, train_clips, args.real_sequences, args.length, rng)
    print("real motion: " + (f"{args.real_sequences} crops of {len(train_clips)} clips, "
                             f"{len(held_clips)} clips held out" if real is not None else
                             f"none in {args.mocap} (run scripts/retarget_mocap.py)"), flush=True)
    vrng = np.random.default_rng(args.seed + 1000)
    val_pool = make_pool(body, 24, args.length, vrng)
    vals = {"synthetic": make_batch(val_pool, np.arange(24), args.window, vrng,
                                    noise=NoiseConfig(swap_prob=0.03))}
    real_val = make_real_pool(body, held_clips, 24, args.length, vrng)
    if real_val is not None:
        vals["real_motion"] = make_batch(real_val, np.arange(24), args.window, vrng,
                                         noise=detector_noise(vrng, swap_prob=0.03))
    t_data = time.time() - t_start

    frame = Initializer.load()
    if frame is None:
        print("assets/initializer is missing: run scripts/train_initializer.py first.")
        return 2
    net = TemporalRegressorNet(TemporalNetConfig(frame=frame.net.config))
    net.frame.load_state_dict(frame.net.state_dict())
    net.train()
    skel = PoseSkeleton.from_body(body)
    before = {k: evaluate(net, skel, v) for k, v in vals.items()}
    print(f"step 0 (= per-frame initializer): {before}", flush=True)
    # the per-frame MLP is already trained: it moves 5x slower than the new temporal blocks
    groups = [{"params": net.frame.parameters(), "lr": args.lr * 0.2},
              {"params": net.temporal.parameters(), "lr": args.lr}]

    def next_terms():
        src = real if real is not None and rng.random() < args.real_fraction else pool
        idx = rng.integers(0, len(src["shape"]), args.batch)
        return losses(net, skel, make_batch(src, idx, args.window, rng,
                                            noise_level=args.noise_level))

    def report(step, loss, terms, seconds):
        ev = {k: evaluate(net, skel, v) for k, v in vals.items()}
        print(f"step {step}: loss {float(loss.detach()):.3f} val {ev} ({seconds:.0f} s)",
              flush=True)

    train_seconds = optimise(net, args.steps, args.lr, next_terms, WEIGHTS_LOSS, report, 100,
                             groups=groups, pct_start=0.1, clip=1.0)
    after = {k: evaluate(net, skel, v) for k, v in vals.items()}
    meta = {"seed": args.seed, "steps": args.steps, "batch": args.batch, "window": args.window,
            "pool_motions": args.sequences, "motion_length": args.length, "lr": args.lr,
            "threads": args.threads,
            "real_sequences": 0 if real is None else args.real_sequences,
            "real_fraction": args.real_fraction if real is not None else 0.0,
            "noise_level": args.noise_level,
            "mocap_heldout_subjects": sorted({c.subject for c in held_clips}),
            "data": "real: CMU motion capture retargeted onto Anny, realistic static cameras "
                    "(core.synthetic.world_views); synthetic: Anny motions from "
                    "core.temporal.synthetic_motion.random_trajectory, core.synthetic.sample_views "
                    "cameras + smooth turning/walking; BlazePose-like 2D and 3D noise "
                    "(core.synthetic.training_data.detector_noise) + drifting bias, 3 % swaps, "
                    "4 % missing frames",
            "data_seconds": round(t_data, 1), "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "cpu_seconds": round(time.process_time() - cpu0, 1),
            "validation_sets": {"synthetic": "24 held-out synthetic motions (seed+1000) x 1 crop, "
                                             "free views, default noise, 3 % swaps",
                                "real_motion": "24 crops of the held-out subjects' motion capture, "
                                               "realistic cameras, BlazePose-like noise"},
            "validation_per_frame_initializer": before, "validation": after}
    out = Path(args.out)
    TemporalRegressor(net.eval()).save(out, meta)
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
