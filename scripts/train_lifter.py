"""Train the 3D lifter (BlazePose 2D keypoints -> metric 3D landmarks) on real motion.

    .venv/bin/python scripts/retarget_mocap.py        # once: ../shared/mocap -> .cache/mocap/anny
    .venv/bin/python scripts/train_lifter.py [--steps 24000] [--shapes 160] [--seed 0]
                                             [--threads 1] [--out assets/lifter/lifter.pt]

The shipped weights: ``--threads 2 --seed 1`` (the defaults otherwise; 28 minutes here).

Data, reproducible from --seed (the initializer's pool, scripts/train_initializer.py):
1. a pool of (shape, pose) bodies: --shapes adult phenotypes x --poses-per-shape poses, a
   --real-fraction of them drawn from the CMU motion capture retargeted onto Anny (the clips of
   held-out performers excluded) with their real orientation in a gravity world, the rest from
   the synthetic mixture of pose modes stood upright with a random heading; the capture's frames
   are mirrored left <-> right and a further quarter get another frame's legs (--mirror-mix):
   without that the network learned the training clips' poses (clean 2D, 12 limb joints:
   PA-MPJPE 40 mm on them, 61 on unseen performers; with it and twice the pool, 54);
2. every batch stands its bodies on the ground and films them with realistic cameras
   (core.synthetic.world_views; --free-fraction of the views free, any orientation), then
   simulates BlazePose's 2D: pixel noise, in --structured of the batches the real detector's
   correlated errors (whole limbs displaced, NoiseConfig.structured), dropouts, left/right
   swaps (the target follows the swapped labels: the 3D those labels describe) and the real
   detector's confidences
   (NoiseConfig.confidence "blazepose": high nearly everywhere, the face's too in back views).
Target: the 33 landmarks, hip-centred, camera axes, metres. Loss: mean joint distance plus the
same after the best scale (the fits use directions; the metric size is the weaker half).
Validation (written to the metadata): held-out performers' motion capture, realistic cameras,
the same detector model: MPJPE and PA-MPJPE in mm.
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

from core.fitting.lifter import WEIGHTS_PATH, Lifter, LifterConfig, LifterNet  # noqa: E402
from core.synthetic import NoiseConfig, synthesize_keypoints  # noqa: E402
from core.synthetic.observe import _FLIP  # noqa: E402
from core.synthetic.proportions import LimbScales, scale_limbs  # noqa: E402
from core.synthetic.training_data import (film_world, load_mocap, split_subjects,  # noqa: E402
                                          upright_rotations)

from train_initializer import (held_out_pool, make_pool, optimise,  # noqa: E402
                               pool_arguments, start_run)  # scripts/ is this folder
from train_pose_prior import mirror_poses, standing_poses  # noqa: E402


def detector_2d(rng: np.random.Generator, swap_prob: float, structured: float = 0.0
                ) -> NoiseConfig:
    """A random BlazePose-like 2D detector for one batch (its 3D is not the lifter's input):
    independent pixel noise, or with probability ``structured`` the real detector's correlated
    errors (NoiseConfig.structured: limbs displaced as a whole, the far side worse, now and then
    a limb far off) over a little independent noise."""
    if rng.random() < structured:
        return NoiseConfig(noise_px=float(rng.uniform(0.5, 3.0)),
                           dropout=float(rng.uniform(0.0, 0.08)), swap_prob=swap_prob,
                           structured=float(rng.uniform(0.003, 0.009)), gross_prob=0.03,
                           confidence="blazepose")
    return NoiseConfig(noise_px=float(rng.uniform(0.5, 8.0)), dropout=float(rng.uniform(0.0, 0.12)),
                       swap_prob=swap_prob, confidence="blazepose")


#: Canonical -> world rotations of mirrored bodies: M R M with M the reflection of x (the
#: body's left-right axis and a horizontal world axis).
_MIRROR = np.diag([-1.0, 1.0, 1.0])


def augment_motion(poses: np.ndarray, rot: np.ndarray, mix_fraction: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The motion-capture frames (N, 22, 3) with their orientations (N, 3, 3), more varied: every
    frame also mirrored left <-> right (a real person's mirror image is a real pose), then
    ``mix_fraction`` more of them with the legs of another frame (the upper body's orientation
    kept): the lifter sees more combinations of arms and legs than the clips hold."""
    from core.body.anny_body import POSE_JOINTS

    poses = np.concatenate([poses, mirror_poses(poses)])
    rot = np.concatenate([rot, _MIRROR @ rot @ _MIRROR])
    n_mix = int(round(len(poses) * mix_fraction))
    if n_mix:
        legs = [i for i, n in enumerate(POSE_JOINTS) if n.startswith(("upperleg", "lowerleg", "foot"))]
        a, b = rng.integers(0, len(poses), n_mix), rng.integers(0, len(poses), n_mix)
        mixed = poses[a].copy()
        mixed[:, legs] = poses[b][:, legs]
        poses, rot = np.concatenate([poses, mixed]), np.concatenate([rot, rot[a]])
    return poses, rot


def make_batch(pool: dict[str, torch.Tensor], idx: np.ndarray, rng: np.random.Generator,
               free_fraction: float, swap_prob: float = 0.02,
               noise: NoiseConfig | None = None, limbs: LimbScales | None = None,
               structured: float = 0.0) -> dict[str, torch.Tensor]:
    """Keypoints (B, 33, 3), intrinsics (B, 4) and target landmarks (B, 33, 3) for pool bodies
    ``idx`` filmed by fresh cameras and a fresh detector; ``limbs``: the bodies' limb lengths
    drawn afresh (core.synthetic.proportions), None keeps Anny's."""
    lm = pool["landmarks"][idx].numpy().astype(np.float64)
    if limbs is not None:
        lm = scale_limbs(lm, limbs.draw(len(lm), rng))
    v = film_world(lm, pool["world_rot"][idx].numpy(), rng, free_fraction)
    cam = np.einsum("bij,bkj->bki", v.rotation, lm) + v.transl[:, None]
    kp, _, swapped = synthesize_keypoints(cam, v.rotation, v.transl, v.intrinsics, rng,
                                          noise or detector_2d(rng, swap_prob, structured))
    target = cam - 0.5 * (cam[:, 23] + cam[:, 24])[:, None]
    target[swapped] = target[swapped][:, _FLIP]
    f = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
    return {"kp2d": f(kp), "intr": f(v.intrinsics[:, :4]), "target": f(target)}


def best_scale(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B, 1, 1) scale that brings ``pred`` nearest ``target`` (both hip-centred)."""
    return ((pred * target).sum((1, 2), keepdim=True) /
            (pred * pred).sum((1, 2), keepdim=True).clamp_min(1e-6))


def loss_terms(net: LifterNet, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    pred = net(batch["kp2d"], batch["intr"])
    t = batch["target"]
    return {"metric": (pred - t).norm(dim=-1).mean(),
            "scaled": (best_scale(pred, t).detach() * pred - t).norm(dim=-1).mean()}


WEIGHTS = {"metric": 0.5, "scaled": 1.0}


def procrustes_mm(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean PA-MPJPE (mm) of (B, N, 3) predictions against targets."""
    out = []
    for p, t in zip(pred.astype(np.float64), target.astype(np.float64)):
        p0, t0 = p - p.mean(0), t - t.mean(0)
        u, s, vt = np.linalg.svd(p0.T @ t0)
        d = np.sign(np.linalg.det(u @ vt))
        dm = np.diag([1.0, 1.0, d])
        sc = (s * np.diag(dm)).sum() / (p0 ** 2).sum()
        out.append(np.linalg.norm(sc * p0 @ (u @ dm @ vt) - t0, axis=1).mean())
    return float(np.mean(out) * 1000)


@torch.no_grad()
def evaluate(net: LifterNet, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    net.eval()
    pred = net(batch["kp2d"], batch["intr"])
    net.train()
    return {"mpjpe_mm": float((pred - batch["target"]).norm(dim=-1).mean() * 1000),
            "pa_mpjpe_mm": procrustes_mm(pred.numpy(), batch["target"].numpy())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    pool_arguments(ap, shapes=160, width=512, real_fraction=0.8, free_fraction=0.1,
                   out=WEIGHTS_PATH)
    ap.set_defaults(steps=24000, poses_per_shape=1024)
    ap.add_argument("--standing-fraction", type=float, default=0.15,
                    help="share of the motion-capture poses replaced by standing poses")
    ap.add_argument("--legs", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                    help="scale the bodies' legs by a factor drawn in [LOW, HIGH] per sample "
                         "(core.synthetic.proportions; default: Anny's own legs)")
    ap.add_argument("--mirror-mix", type=float, default=0.25, metavar="FRACTION",
                    help="mirror every motion-capture frame and add FRACTION more with another "
                         "frame's legs (augment_motion); negative: the clips as they are")
    ap.add_argument("--structured", type=float, default=0.7,
                    help="share of batches with the real detector's correlated 2D errors")
    args = ap.parse_args(argv)
    if args.quick:
        args.steps, args.shapes, args.poses_per_shape = 40, 6, 64

    rng, t_start, cpu_start, body = start_run(args)
    clips = load_mocap(args.mocap)
    if not clips:
        print(f"no retargeted motion capture in {args.mocap}: run scripts/retarget_mocap.py "
              "first (the lifter learns real motion)", file=sys.stderr)
        return 2
    train_clips, held_clips = split_subjects(clips, args.holdout, np.random.default_rng(args.seed))
    real_poses = np.concatenate([c.body_pose for c in train_clips])
    real_rot = np.concatenate([c.world_rot for c in train_clips])
    n_mocap = len(real_poses)
    if args.mirror_mix >= 0:
        real_poses, real_rot = augment_motion(real_poses, real_rot, args.mirror_mix, rng)
    n_stand = int(round(len(real_poses) * args.standing_fraction / (1.0 - args.standing_fraction)))
    if n_stand:
        real_poses = np.concatenate([real_poses, standing_poses(n_stand, rng)])
        real_rot = np.concatenate([real_rot, upright_rotations(n_stand, rng)])
    held = sorted({c.subject for c in held_clips})
    print(f"motion capture: {n_mocap} frames of {len(train_clips)} clips for training "
          f"({len(real_poses) - n_stand} with the mirrored and mixed ones), "
          f"+ {n_stand} standing poses, "
          f"{sum(len(c.body_pose) for c in held_clips)} frames held out (subjects "
          f"{', '.join(held)})", flush=True)
    pool = make_pool(body, args.shapes, args.poses_per_shape, rng, real_poses, real_rot,
                     args.real_fraction)
    val_rng = np.random.default_rng(args.seed + 1000)
    val_pool = held_out_pool(body, held_clips, val_rng)
    val = make_batch(val_pool, np.arange(len(val_pool["pose"])), val_rng, args.free_fraction,
                     noise=NoiseConfig(noise_px=4.0, dropout=0.05, confidence="blazepose"))
    t_data = time.time() - t_start
    print(f"pool ready: {len(pool['pose'])} bodies in {t_data:.0f} s", flush=True)

    limbs = None if args.legs is None else LimbScales(legs=tuple(args.legs))
    net = LifterNet(LifterConfig(width=args.width, blocks=args.blocks))
    n = len(pool["pose"])

    def next_terms():
        return loss_terms(net, make_batch(pool, rng.integers(0, n, args.batch), rng,
                                          args.free_fraction, limbs=limbs,
                                          structured=args.structured))

    def report(step, loss, terms, seconds):
        ev = evaluate(net, val)
        print(f"step {step:5d} loss {loss.item():.4f} | held-out motion MPJPE "
              f"{ev['mpjpe_mm']:.1f} mm, PA {ev['pa_mpjpe_mm']:.1f} mm ({seconds:.0f} s)",
              flush=True)

    train_seconds = optimise(net, args.steps, args.lr, next_terms, WEIGHTS, report, 500)

    meta = {"seed": args.seed, "steps": args.steps, "batch": args.batch, "pool_bodies": n,
            "pool_shapes": args.shapes, "poses_per_shape": args.poses_per_shape,
            "real_fraction": args.real_fraction, "free_fraction": args.free_fraction,
            "mocap_training_frames": n_mocap, "mirror_mix": args.mirror_mix,
            "augmented_frames": int(len(real_poses) - n_stand), "standing_poses": n_stand,
            "structured_fraction": args.structured,
            "standing_fraction": args.standing_fraction,
            "limb_scales": None if limbs is None else vars(limbs), "mocap_heldout_subjects": held,
            "samples_seen": args.steps * args.batch, "lr": args.lr,
            "data_seconds": round(t_data, 1), "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.time() - t_start, 1),
            "cpu_seconds": round(time.process_time() - cpu_start, 1), "threads": args.threads,
            "validation": {k: round(v, 2) for k, v in evaluate(net, val).items()},
            "validation_set": "1024 frames of the held-out performers' motion capture, realistic "
                              "cameras, 4 px noise, 5 % dropouts, BlazePose-like confidences"}
    Lifter(net, "cpu").save(args.out, meta)
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
