"""Clothed-surface benchmark on synthetic people: both surface modes against the naked fitted body.

For each garment (core/surface/synthetic.py: loose shirt, skirt, shoulder-length hair, a 30 x 40
x 15 cm backpack, a long-sleeved top with diagonal folds) and each view (the person turned by yaw 0, 45, 90 and 180 degrees on top of a
slight 14 degree turn: front, three-quarter, side, back) the posed Anny body is dressed by a
signed-distance union and cut by marching cubes: that is the ground truth. It is rendered
(512x512, 55 degree camera, a key light from the upper left front plus ambient) to an image and
a mask, coloured like a person: skin where the truth is bare, dark hair, the garment in its
colour (the shirt striped, a print that must not become relief); the observation's keypoints
are the body's BlazePose landmarks projected (confidence 1 where the truth does not hide them,
0.2 where it does) and its 3D landmarks are the true ones, hip-centred. The body is then **fitted** to that observation
with core.fitting (the honest setting: the surface sees the fitted body, not the true one);
``--true-body`` uses the true body instead, to separate surface error from fitting error.

Metrics against the ground-truth surface, from 60k area-uniform samples of each mesh:
  chamfer  mean of the two directed mean nearest-surface distances (cm)
  p2s      mean distance from the reconstruction to the ground truth (cm)
  normal   normal consistency: mean |n_rec . n_gt| at nearest neighbours (1 is perfect)
  s/img    seconds to build the surface from image + fit (fitting excluded, reported apart)

Each case is reported as the mean over the views (a single image shows a different part of
the garment from each side), then every view on its own row.

Run: .venv/bin/python bench/surface_synthetic.py [--cases shirt,skirt] [--views 0,90] [--true-body]
     [--no-garment] [--no-folds] [--switches] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import load_body_model  # noqa: E402
from core.surface import SurfaceConfig, reconstruct_surface  # noqa: E402
from core.surface.metrics import surface_distances  # noqa: E402
from core.surface.synthetic import GARMENTS, clothed_person, photographed  # noqa: E402
from core.types import Camera, FrameFit  # noqa: E402

def true_params(body, yaw_deg: float = 0.0):
    """An adult in a relaxed stance, 2.6 m in front of the camera, turned slightly (14 degrees)
    and then by ``yaw_deg`` about the vertical (0 faces the camera, 180 shows the back)."""
    p = body.default_params(transl=(0.05, 0.05, 2.6))
    p.global_orient = np.array([0.0, 0.25 + np.radians(yaw_deg), 0.0], np.float32)
    names = body.pose_joint_names
    pose = p.body_pose.copy()
    for name, aa in (("upperarm01.L", (0, 0, 0.25)), ("upperarm01.R", (0, 0, -0.25)),
                     ("lowerarm01.L", (0, 0.4, 0)), ("upperleg01.R", (0.15, 0, 0)),
                     ("lowerleg01.R", (-0.2, 0, 0))):
        if name in names:
            pose[names.index(name)] = aa
    p.body_pose = pose
    return p


def _row_text(m: dict, sec: float, fit_s: float) -> str:
    s = "-" if np.isnan(sec) else f"{sec:.2f}"
    return (f"{m['chamfer']:.2f} | {m['p2s']:.2f} | {m['normal']:.3f} | {s} | {fit_s:.1f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(GARMENTS))
    ap.add_argument("--views", default="0,45,90,180", help="yaw angles in degrees")
    ap.add_argument("--true-body", action="store_true", help="skip fitting, use the true body")
    ap.add_argument("--quality", default="balanced", help="fit quality preset")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-garment", action="store_true", help="turn the garment layer off")
    ap.add_argument("--no-folds", action="store_true", help="turn the folds from shading off")
    ap.add_argument("--switches", action="store_true",
                    help="also each mode with the folds off and with the garment layer off, on "
                         "the same fits")
    ap.add_argument("--save", default="", help="folder for the rendered inputs (PNG)")
    ap.add_argument("--quick", action="store_true",
                    help="two views (front, side) of three cases, to check it runs")
    args = ap.parse_args(argv)
    if args.quick:
        args.cases, args.views = "shirt,skirt,folds", "0,90"
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    body = load_body_model("anny")
    cam = Camera.from_fov(512, 512)
    views = [float(a) for a in args.views.split(",")]
    variants = [("", not args.no_garment, not args.no_folds)]
    if args.switches:            # on the same fits: the fit is what varies most between runs
        variants += [(", folds off", True, False), (", garment off", False, True)]
    methods = ("naked body",) + tuple(m + v[0] for v in variants for m in SurfaceConfig.MODES)
    rows = []                                       # (case, yaw, method, metrics, fit s, s/image)
    cpu = {m: [] for m in SurfaceConfig.MODES}      # CPU seconds of every surface, per mode
    warm = set()
    for case in args.cases.split(","):
        for yaw in views:
            params = true_params(body, yaw)
            bv, bj, bl = body.evaluate(params)
            *gt, region = clothed_person(bv, body.faces, bl, case, regions=True)
            img, obs = photographed(*gt, region, case, bl, cam)
            if args.save:
                from PIL import Image

                Path(args.save).mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(Path(args.save) / f"{case}_{yaw:.0f}.png")
            t0 = time.perf_counter()
            if args.true_body:
                fit = FrameFit(0, "fitted", cam, params, bv, bj, bl)
            else:
                from core.fitting import FitConfig, fit_observation

                fit = fit_observation(obs, cam, body, FitConfig(quality=args.quality))
            fit_s = time.perf_counter() - t0
            rows.append((case, yaw, "naked body", surface_distances((fit.vertices, body.faces), gt),
                         fit_s, float("nan")))
            for suffix, garment, folds in variants:
                for mode in SurfaceConfig.MODES:
                    cfg = SurfaceConfig(mode=mode)
                    cfg.garment.enabled, cfg.folds.enabled = garment, folds
                    if mode not in warm:                # first run pays one-off caches
                        reconstruct_surface(img, obs, fit, body, cfg)
                        warm.add(mode)
                    t0, c0 = time.perf_counter(), time.process_time()
                    s = reconstruct_surface(img, obs, fit, body, cfg)
                    sec = time.perf_counter() - t0
                    if not suffix:
                        cpu[mode].append(time.process_time() - c0)
                    rows.append((case, yaw, mode + suffix,
                                 surface_distances((s.vertices, s.faces), gt), fit_s, sec))
            print("  " + f"{case:9s} yaw {yaw:5.0f}  " + "  ".join(
                f"{r[2]} {r[3]['chamfer']:.2f}" for r in rows[-len(methods):]), flush=True)
    setting = "true body" if args.true_body else f"fitted ({args.quality})"
    layers = (f"garment layer {'off' if args.no_garment else 'on'}, "
              f"folds {'off' if args.no_folds else 'on'}")
    print(f"\nClothed surface, synthetic 512x512, body: {setting}, {layers}, {args.threads} "
          f"threads, views {args.views}, {time.perf_counter() - t_start:.0f} s in all; CPU "
          "seconds per surface (median / max): " + ", ".join(
              f"{m} {np.median(c):.2f} / {np.max(c):.2f}" for m, c in cpu.items()) + "\n")
    print("Mean over views:\n")
    print("| case | method | Chamfer (cm) | P2S (cm) | normal consistency | s/image (surface) "
          "| fit s |")
    print("|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        for method in methods:
            sel = [r for r in rows if r[0] == case and r[2] == method]
            m = {k: float(np.mean([r[3][k] for r in sel])) for k in sel[0][3]}
            print(f"| {case} | {method} | " + _row_text(m, float(np.mean([r[5] for r in sel])),
                                                        float(np.mean([r[4] for r in sel]))))
    print("\nEvery view:\n")
    print("| case | yaw | method | Chamfer (cm) | P2S (cm) | normal consistency | s/image (surface) "
          "| fit s |")
    print("|---|---|---|---|---|---|---|---|")
    for case, yaw, method, m, fit_s, sec in rows:
        print(f"| {case} | {yaw:.0f} | {method} | " + _row_text(m, sec, fit_s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
