"""Train the learned initializer (keypoints -> AnnyBody) on real motion and synthetic poses.

    .venv/bin/python scripts/retarget_mocap.py        # once: ../shared/mocap -> .cache/mocap/anny
    .venv/bin/python scripts/train_initializer.py [--steps 8000] [--shapes 300] [--seed 0]
                                                 [--threads 1] [--out assets/initializer/anny_initializer.pt]

Data, reproducible from --seed (core.synthetic.training_data):
1. a pool of (shape, pose) bodies: --shapes adult phenotypes x --poses-per-shape poses, a
   --real-fraction of them drawn from the CMU motion capture retargeted onto Anny (the clips of
   held-out subjects excluded), each with its real orientation in a gravity world, the rest from
   the synthetic mixture of pose modes (difficulty spread over [0.2, 1]) stood upright with a
   random heading; Anny gives their 33 landmarks in the canonical frame (one batched forward per
   shape);
2. every training batch stands its bodies on the ground and films them with realistic cameras
   (phones and webcams at ordinary heights and distances, pitched at the person; a quarter of
   the views free, any orientation), then simulates BlazePose: pixel noise, confidences, dropouts,
   rare left/right swaps, and its 3D errors (flattened depth, bent knees, lean, tilt, limb depth
   flips, the mirror-image reading of people seen from behind), 10 % of samples without 3D.
Loss: rotation-matrix error of the global orientation and the 22 joints, joint-position error
of a stick figure of the mean shape (core.synthetic.skeleton), phenotype error, and the
scale-free placement (root pixel in box units, log depth).
Validation, both written to the metadata: "synthetic" (a held-out pool of generated poses, free
views, default noise: comparable with earlier versions) and "real_motion" (held-out subjects'
motion capture, realistic cameras, BlazePose-like 3D errors).
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
from core.synthetic.training_data import (MOCAP_DIR, detector_noise, film_world,  # noqa: E402
                                          load_mocap, split_subjects, upright_rotations)
from core.synthetic.skeleton import PoseSkeleton  # noqa: E402


def make_pool(body, n_shapes: int, per_shape: int, rng: np.random.Generator,
              real_poses: np.ndarray | None = None, real_rot: np.ndarray | None = None,
              real_fraction: float = 0.0, log_every: int = 50) -> dict[str, torch.Tensor]:
    """(shape, pose, canonical landmarks, world orientation) bodies: pose (N, 22, 3), shape
    (N, 6), landmarks (N, 33, 3) root-relative canonical metres, world_rot (N, 3, 3) canonical ->
    world, real (N,) bool; N = n_shapes * per_shape. real_poses / real_rot: (M, 22, 3) and
    (M, 3, 3) motion-capture frames to draw ``real_fraction`` of the poses from."""
    import roma

    shapes = sample_shapes(n_shapes, rng)
    poses, lms, rots, real = [], [], [], []
    z = torch.zeros(1, 3)
    none = torch.zeros(0, dtype=torch.long)
    n_real = int(round(per_shape * real_fraction)) if real_poses is not None else 0
    t0 = time.time()
    for i in range(n_shapes):
        d = float(rng.uniform(0.2, 1.0))
        synth = sample_poses(body, per_shape - n_real, rng, difficulty=d)
        rot = upright_rotations(per_shape - n_real, rng)
        if n_real:
            pick = rng.integers(0, len(real_poses), n_real)
            synth = np.concatenate([real_poses[pick], synth])
            rot = np.concatenate([real_rot[pick], rot])
        p = torch.as_tensor(synth, dtype=torch.float32)
        with torch.no_grad():
            out = body(z, p, torch.as_tensor(shapes[i:i + 1]), z, vertex_ids=none)
        poses.append(p)
        lms.append(out.landmarks)
        rots.append(torch.as_tensor(rot, dtype=torch.float64))
        real.append(torch.arange(per_shape) < n_real)
        if log_every and (i + 1) % log_every == 0:
            print(f"  pool {i + 1}/{n_shapes} shapes, {time.time() - t0:.0f} s", flush=True)
    pose = torch.cat(poses)
    return {"pose": pose, "pose_rotmat": roma.rotvec_to_rotmat(pose),
            "shape": torch.as_tensor(shapes).repeat_interleave(per_shape, 0),
            "landmarks": torch.cat(lms), "world_rot": torch.cat(rots), "real": torch.cat(real)}


def make_batch(pool: dict[str, torch.Tensor], idx: np.ndarray, rng: np.random.Generator,
               noise: NoiseConfig | None = None, no3d_fraction: float = 0.1,
               free_fraction: float = 0.25, world: bool = True,
               noise_level: float = 1.0) -> dict[str, torch.Tensor]:
    """Views and detector output for pool bodies ``idx``; noise None draws a BlazePose-like
    detector per batch (its 3D errors scaled by ``noise_level``); ``world`` False films every body
    with the free views only."""
    lm = pool["landmarks"][idx].numpy().astype(np.float64)
    if world:
        v = film_world(lm, pool["world_rot"][idx].numpy(), rng, free_fraction)
    else:
        v = sample_views(lm, rng)
    cam_lm = np.einsum("bij,bkj->bki", v.rotation, lm) + v.transl[:, None]
    noise = noise or detector_noise(rng, level=noise_level)
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


def pool_arguments(ap: argparse.ArgumentParser, *, shapes: int, width: int, real_fraction: float,
                   free_fraction: float, out: Path) -> None:
    """The settings of every network trained on a pool of posed bodies (this script's and
    scripts/train_lifter.py's), with that network's defaults."""
    ap.add_argument("--steps", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--shapes", type=int, default=shapes, help="phenotypes in the training pool")
    ap.add_argument("--poses-per-shape", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--width", type=int, default=width)
    ap.add_argument("--blocks", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--mocap", type=Path, default=MOCAP_DIR,
                    help="retargeted motion capture (scripts/retarget_mocap.py)")
    ap.add_argument("--real-fraction", type=float, default=real_fraction,
                    help="share of pool poses drawn from the motion capture")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of mocap subjects held out")
    ap.add_argument("--free-fraction", type=float, default=free_fraction,
                    help="share of views with a free camera (any orientation) instead of a realistic one")
    ap.add_argument("--quick", action="store_true", help="a tiny run that checks the pipeline")
    ap.add_argument("--out", type=Path, default=out)


def start_run(args: argparse.Namespace):
    """One training run's threads and seeds, its clocks and the body: (rng, wall start, CPU
    start, Anny on the CPU)."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    return rng, time.time(), time.process_time(), load_body_model("anny", device="cpu")


def held_out_pool(body, held_clips: list, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """A validation pool of up to 1024 frames of the held-out performers' motion capture, in
    their real orientation (8 shapes x 128 poses)."""
    hp = np.concatenate([c.body_pose for c in held_clips])
    hr = np.concatenate([c.world_rot for c in held_clips])
    pick = rng.choice(len(hp), min(1024, len(hp)), replace=False)
    return make_pool(body, 8, 128, rng, hp[pick], hr[pick], 1.0, log_every=0)


def optimise(net: torch.nn.Module, steps: int, lr: float, next_terms, weights: dict[str, float],
             report, every: int, *, groups: list[dict] | None = None, pct_start: float = 0.05,
             clip: float = 5.0) -> float:
    """AdamW under a one-cycle schedule with gradient clipping at ``clip``. ``next_terms()``
    draws a batch and returns its loss terms; ``report(step, loss, terms, seconds)`` runs every
    ``every`` steps and after the last. ``groups``: parameter groups with their own peak "lr"
    (default: all of ``net`` at ``lr``). Returns the training seconds."""
    groups = groups or [{"params": net.parameters(), "lr": lr}]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups],
                                                total_steps=steps, pct_start=pct_start)
    t_train = time.time()
    for step in range(1, steps + 1):
        terms = next_terms()
        loss = sum(weights[k] * v for k, v in terms.items())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        sched.step()
        if step % every == 0 or step == steps:
            report(step, loss, terms, time.time() - t_train)
    return time.time() - t_train


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    pool_arguments(ap, shapes=300, width=384, real_fraction=0.7, free_fraction=0.25,
                   out=WEIGHTS_PATH)
    ap.add_argument("--noise-level", type=float, default=1.0,
                    help="strength of the simulated BlazePose 3D errors (1: the full model)")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.shapes, args.poses_per_shape = 60, 8, 64

    rng, t_start, cpu_start, body = start_run(args)
    skel = PoseSkeleton.from_body(body)

    clips = load_mocap(args.mocap)
    train_clips, held_clips = split_subjects(clips, args.holdout, np.random.default_rng(args.seed))
    real_poses = real_rot = None
    if train_clips:
        real_poses = np.concatenate([c.body_pose for c in train_clips])
        real_rot = np.concatenate([c.world_rot for c in train_clips])
        print(f"motion capture: {len(real_poses)} frames of {len(train_clips)} clips for training, "
              f"{sum(len(c.body_pose) for c in held_clips)} frames of {len(held_clips)} held out "
              f"(subjects {', '.join(sorted({c.subject for c in held_clips}))})", flush=True)
    else:
        print(f"no retargeted motion capture in {args.mocap} (run scripts/retarget_mocap.py): "
              "training on synthetic poses only", flush=True)
    print(f"building pool: {args.shapes} shapes x {args.poses_per_shape} poses", flush=True)
    pool = make_pool(body, args.shapes, args.poses_per_shape, rng, real_poses, real_rot,
                     args.real_fraction if train_clips else 0.0)
    val_rng = np.random.default_rng(args.seed + 1000)
    val_pool = make_pool(body, 8, 128, val_rng, log_every=0)
    vals = {"synthetic": make_batch(val_pool, np.arange(len(val_pool["pose"])), val_rng,
                                    NoiseConfig(), 0.0, world=False)}
    if held_clips:
        real_val = held_out_pool(body, held_clips, val_rng)
        vals["real_motion"] = make_batch(real_val, np.arange(len(real_val["pose"])), val_rng,
                                         detector_noise(val_rng), 0.0)
    t_data = time.time() - t_start
    print(f"pool ready: {len(pool['pose'])} bodies in {t_data:.0f} s", flush=True)

    net = InitializerNet(InitializerConfig(width=args.width, blocks=args.blocks))
    n = len(pool["pose"])

    def next_terms():
        batch = make_batch(pool, rng.integers(0, n, args.batch), rng,
                           free_fraction=args.free_fraction, noise_level=args.noise_level)
        return losses(net, skel, batch)

    def report(step, loss, terms, seconds):
        msg = []
        for name, val in vals.items():
            ev = evaluate(net, skel, val)
            msg.append(f"{name} mpjpe {ev['mpjpe_mm']:.1f} mm orient {ev['orient_deg']:.1f} deg")
        print(f"step {step:5d} loss {loss.item():.4f} "
              + " ".join(f"{k} {v.item():.4f}" for k, v in terms.items())
              + " | " + "; ".join(msg) + f" ({seconds:.0f} s)", flush=True)

    train_seconds = optimise(net, args.steps, args.lr, next_terms, WEIGHTS, report, 250)

    validation = {name: {k: round(v, 4) for k, v in evaluate(net, skel, val).items()}
                  for name, val in vals.items()}
    meta = {"seed": args.seed, "steps": args.steps, "batch": args.batch,
            "pool_bodies": n, "pool_shapes": args.shapes, "poses_per_shape": args.poses_per_shape,
            "real_fraction": args.real_fraction if train_clips else 0.0,
            "noise_level": args.noise_level, "free_fraction": args.free_fraction,
            "mocap_training_frames": 0 if real_poses is None else int(len(real_poses)),
            "mocap_heldout_subjects": sorted({c.subject for c in held_clips}),
            "samples_seen": args.steps * args.batch, "lr": args.lr,
            "data_seconds": round(t_data, 1), "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "cpu_seconds": round(time.process_time() - cpu_start, 1), "threads": args.threads,
            "validation": validation,
            "validation_sets": {"synthetic": "8 held-out shapes x 128 generated poses (seed+1000), "
                                             "free views, default NoiseConfig",
                                "real_motion": "1024 frames of the held-out subjects' motion "
                                               "capture, realistic cameras, BlazePose-like noise"}}
    Initializer(net, "cpu").save(args.out, meta)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
