"""Retarget the CMU motion capture in ../shared/mocap onto a body model (Anny by default).

    nice -n 10 .venv/bin/python scripts/retarget_mocap.py [--fps 30] [--quick] [--body anny]
        [--model-dir DIR] [--out .cache/mocap/anny] [--steps 100] [--threads 1] [--seed 0]

Reads every .bvh and .amc (with its .asf) under ../shared/mocap (relative to the repository),
resamples to --fps, retargets each clip (core.priors.retarget: shape to the bone lengths,
closed-form first guess, batched refinement) and writes one .npz per clip (core.priors.mocap_data
documents the keys) plus ``index.json`` (clips, frames, residuals, rejections). Nothing it
writes may be committed: the clips' licence allows use, not redistribution of converted data.

Which clips: the same CMU take appears several times in ../shared/mocap (01_01 as ASF/AMC, as
two BVH conversions and in the IClone rig; 131_0x also scaled to metres; shortened copies of
01_01 and 14_14). One copy of each CMU take is kept, preferring the rawest form (ASF/AMC, then
the 31-joint BVH, then the other rigs), then the original file (named by the take alone; the
scaled copy of 131_03 has 146 frames more than the original), then the longest. acLSTM's
salsa clips are 60 fps although their headers say 120 (the folder's readme). Non-human test
files (fairmotion's sinusoidal.bvh) and clips under 10 frames are skipped with the reason in
the index.
--quick retargets one short clip per rig.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body import load_body_model  # noqa: E402
from core.errors import StudioError  # noqa: E402
from core.priors.mocap import load_clip  # noqa: E402
from core.priors.mocap_data import save_motion  # noqa: E402
from core.priors.retarget import (RetargetConfig, concat_clips, fit_shape,  # noqa: E402
                                  retarget_group, source_lengths)
from core.progress import drive  # noqa: E402

MOCAP = ROOT.parent / "shared" / "mocap"
#: True frame rates where a folder's headers are wrong (path prefix relative to MOCAP -> fps).
SOURCE_FPS = {"acLSTM_cmu/train_data_bvh/salsa/": 60.0}
#: Preference among copies of one CMU take (lower first), by file kind / folder.
PREFERENCE = (("fairmotion/", ".amc"), ("fairmotion/", ".bvh"), ("bvh11/", ".bvh"),
              ("AnimatedDrawings_cmu/", ".bvh"), ("acLSTM_cmu/", ".bvh"),
              ("IClone-CMU-Mocap/", ".bvh"))
#: --quick: one short clip per rig.
QUICK = ("fairmotion/tests/data/11_01.amc", "bvh11/resources/131_01.bvh",
         "fairmotion/tests/data/01_01.bvh", "acLSTM_cmu/train_data_bvh/martial/04.bvh",
         "IClone-CMU-Mocap/All_BVH/subjects/002/002_06.bvh")


def cmu_take(rel: str) -> tuple[int, int] | None:
    """(subject, trial) of a CMU take named in a file name (01_01, 131_02, 001_14, ...)."""
    m = re.search(r"(?:^|_)(\d{2,3})_(\d{2})(?:_|$)", Path(rel).stem)
    return (int(m.group(1)), int(m.group(2))) if m else None


def frame_count(path: Path) -> int:
    """Frames in a BVH header or an AMC file (cheap, no parsing of the motion)."""
    if path.suffix.lower() == ".bvh":
        with open(path, errors="replace") as fh:
            for line in fh:
                if line.strip().startswith("Frames:"):
                    return int(line.split()[1])
        return 0
    with open(path, errors="replace") as fh:
        return sum(1 for line in fh if line.strip().isdigit())


def select_clips(root: Path) -> tuple[list[str], dict[str, str]]:
    """(clips to retarget, {skipped clip: why}) under ``root``, relative paths, sorted."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                   if p.suffix.lower() in (".bvh", ".amc"))
    rank = lambda rel: next((i for i, (d, ext) in enumerate(PREFERENCE)  # noqa: E731
                             if rel.startswith(d) and rel.lower().endswith(ext)), len(PREFERENCE))
    best: dict[tuple[int, int], str] = {}
    for rel in files:
        take = cmu_take(rel)
        if take is None:
            continue
        key = lambda r: (rank(r), not re.fullmatch(r"\d+_\d+", Path(r).stem),  # noqa: E731
                         -frame_count(root / r))
        if take not in best or key(rel) < key(best[take]):
            best[take] = rel
    keep, skipped = [], {}
    for rel in files:
        take = cmu_take(rel)
        if take is not None and best[take] != rel:
            skipped[rel] = f"a copy of CMU {take[0]:02d}_{take[1]:02d} (kept {best[take]})"
        else:
            keep.append(rel)
    return keep, skipped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mocap", default=str(MOCAP), help="the mocap folder (../shared/mocap)")
    ap.add_argument("--out", default=str(ROOT / ".cache" / "mocap" / "anny"))
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--body", default="anny")
    ap.add_argument("--model-dir", default=None, help="SMPL-family model folder")
    ap.add_argument("--steps", type=int, default=RetargetConfig.steps)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="one short clip per rig")
    ap.add_argument("--limit", type=int, default=0, help="only the first N clips (0: all)")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    root, out = Path(args.mocap), Path(args.out)
    if not root.is_dir():
        print(f"error: {root} does not exist; the mocap clips live in ../shared/mocap.",
              file=sys.stderr)
        return 2
    clips, skipped = select_clips(root)
    if args.quick:
        clips = [c for c in QUICK if (root / c).exists()]
    if args.limit:
        clips = clips[: args.limit]
    body = load_body_model(args.body, args.model_dir, "cpu")
    config = RetargetConfig(steps=args.steps)
    out.mkdir(parents=True, exist_ok=True)
    index: list[dict] = []
    t0 = time.time()
    loaded = []
    for i, rel in enumerate(clips):
        fps = next((v for k, v in SOURCE_FPS.items() if rel.startswith(k)), None)
        try:
            clip = load_clip(root / rel, fps=args.fps, source_fps=fps, source=rel)
        except StudioError as exc:
            skipped[rel] = str(exc)
            print(f"[{i + 1}/{len(clips)}] {rel}: skipped ({exc})", flush=True)
            continue
        if clip.num_frames < config.min_frames:
            skipped[rel] = f"only {clip.num_frames} frames at {args.fps:g} fps"
            print(f"[{i + 1}/{len(clips)}] {rel}: skipped ({skipped[rel]})", flush=True)
            continue
        loaded.append(clip)
    print(f"read {len(loaded)} clips in {time.time() - t0:.0f} s", flush=True)
    # clips of one skeleton (same rig, joints and limb lengths) share a shape and are refined
    # together in batches: many short clips then cost what one long clip does. The limbs are
    # single rigid segments; the trunk and shoulder spans change with the pose and stay out.
    groups: dict[tuple, list] = {}
    for clip in loaded:
        limbs = [round(v, 3) for k, v in source_lengths(clip).items()
                 if k.startswith(("thigh", "shin", "upperarm", "forearm"))]
        groups.setdefault((clip.rig.name, tuple(clip.names), *limbs), []).append(clip)
    done = 0
    for members in groups.values():
        t = time.time()
        shape = fit_shape(body, source_lengths(concat_clips(members)[0]), config)
        results = drive(retarget_group(body, members, config, shape=shape))
        seconds_each = (time.time() - t) / len(members)
        for clip, res in zip(members, results):
            done += 1
            rel = clip.source
            name = re.sub(r"[^A-Za-z0-9]+", "_", rel.rsplit(".", 1)[0]).strip("_")
            if res.accepted:
                save_motion(out / f"{name}.npz", res)
            ok = res.error_mm[res.valid]
            stat = lambda f: round(float(f(ok)), 2) if len(ok) else None  # noqa: E731
            index.append({
                "source": rel, "file": f"{name}.npz" if res.accepted else None, "rig": res.rig,
                "frames": clip.num_frames, "valid_frames": int(res.valid.sum()), "fps": res.fps,
                "unit": clip.unit, "dropped_leading": clip.dropped, "median_mm": stat(np.median),
                "mean_mm": stat(np.mean), "p95_mm": stat(lambda x: np.percentile(x, 95)),
                "accepted": res.accepted, "reason": res.reason,
                "shape": [round(float(v), 4) for v in res.shape],
                "point_mm": {k: round(v, 1) for k, v in res.point_error_mm.items()},
                "offset_mm": {k: round(v, 1) for k, v in res.offset_mm.items()},
                "seconds": round(seconds_each, 2)})
            med = index[-1]["median_mm"]
            print(f"[{done}/{len(loaded)}] {rel} ({res.rig}): {clip.num_frames} frames, median "
                  f"{med} mm, {'ok' if res.accepted else 'REJECTED: ' + res.reason}", flush=True)
        print(f"  group of {len(members)} clips ({members[0].rig.name}): {time.time() - t:.0f} s",
              flush=True)
    seconds = time.time() - t0
    acc = [e for e in index if e["accepted"]]
    frames = sum(e["frames"] for e in acc)
    valid = sum(e["valid_frames"] for e in acc)
    all_err = [e["median_mm"] for e in acc]
    summary = {"clips": len(acc), "rejected": len(index) - len(acc), "skipped": len(skipped),
               "frames": frames, "valid_frames": valid, "fps": args.fps, "body": args.body,
               "median_of_clip_medians_mm": float(np.median(all_err)) if all_err else None,
               "seconds": round(seconds, 1), "steps": args.steps, "quick": args.quick}
    (out / "index.json").write_text(json.dumps({"summary": summary, "clips": index,
                                                "skipped": skipped}, indent=1))
    print(f"retargeted {len(acc)} clips ({len(index) - len(acc)} rejected, {len(skipped)} "
          f"skipped): {frames} frames ({valid} valid) at {args.fps:g} fps, median residual "
          f"{summary['median_of_clip_medians_mm'] or float('nan'):.1f} mm, {seconds:.0f} s "
          f"-> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
