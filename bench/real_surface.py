"""Real-data clothed-surface benchmark: one view reconstructed as a user would, judged by the
other calibrated views' silhouettes (the hidden side becomes visible there).

    .venv/bin/python bench/real_surface.py [--quick] [--captures pose2sim_single,pose2sim_multi]
        [--frames 10,30,50,70,90] [--no-garment] [--no-folds] [--switches] [--readme]

For each capture in ../shared/realdata (core.evaluation.datasets) and each chosen frame:
1. BlazePose, the face mesh and the person mask in every view, as the app detects a photo
   (core.perception.PoseDetector, image mode), cached in bench/_out/real_surface/.
2. The 3D reference: robust triangulation of the views' keypoints
   (core.evaluation.multiview.triangulate), world frame.
3. Every view as the source, alone, as a user would: the fit (core.fitting.fit_observation,
   default FitConfig, the studio's camera of the file, no calibration), then the naked fitted
   body, the depth surface and the implicit surface (core.surface.reconstruct_surface, default
   settings).
4. Alignment: one view's depth and scale are ambiguous, so each result is carried into the
   world by the similarity transform (Umeyama: scale, rotation, translation) that maps the
   fitted body's 12 limb joints (its BlazePose points) onto the reference's. It uses the body
   only and is the same for every method of that view and frame.
5. Every other view: the aligned mesh projected with that view's calibration (lens distortion
   included) against that view's mask of the foreground person (the detected mask's parts that
   hold the reference's projected keypoints, core.evaluation.multiview.foreground_mask):
   silhouette IoU. Only views whose detection is of the reference person take part (the
   triangulation's member views), as source or as judge.
``--switches`` adds each mode with the folds off and with the garment layer off, built on the
same fits (the fit is the largest variation between runs, so on/off is only fair on one fit). "opposite" is the view whose optical axis is most opposite to the source's:
   the hidden side seen from the front.
Reported: the mean IoU over the other views and over the opposite view, per capture and method,
over every source view and frame; also the source view's own IoU (how well each fits the mask
it was made from).
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.evaluation.datasets import Capture, load_capture  # noqa: E402
from core.fitting.metrics import similarity  # noqa: E402
from core.evaluation.multiview import (CalibratedView, foreground_mask, project,  # noqa: E402
                                       triangulate)

CACHE = ROOT / "bench" / "_out" / "real_surface"
README = ROOT / "bench" / "README.md"
SECTION = "### Real multi-view surface (`bench/real_surface.py`)"
#: Shoulders, elbows, wrists, hips, knees, ankles (BlazePose indices): what the alignment uses.
LIMB_JOINTS = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
#: Silhouettes are compared at this fraction of each view's resolution.
RENDER_SCALE = 0.5


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def silhouette(vertices_world: np.ndarray, faces: np.ndarray, view: CalibratedView,
               scale: float = RENDER_SCALE) -> np.ndarray:
    """(h, w) bool silhouette of a world-frame mesh in a calibrated view (lens distortion
    included: every vertex is moved to where the lens puts it, then rasterized as a pinhole),
    at ``scale`` of the view's resolution."""
    from core.render.raster import render_mask

    cam = view.camera()
    pc = view.to_camera(vertices_world)
    uv = project(view, vertices_world, distort=True)
    z = pc[:, 2]
    moved = np.stack([(uv[:, 0] - cam.cx) / cam.fx * z, (uv[:, 1] - cam.cy) / cam.fy * z, z], 1)
    return render_mask(moved, faces, cam.scaled(scale))


def _resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(mask.astype(np.uint8), (shape[1], shape[0]),
                      interpolation=cv2.INTER_NEAREST).astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else float("nan")


def opposite_views(views: list[CalibratedView]) -> list[int]:
    """For each view, the index of the one whose optical axis is most opposite to it."""
    axes = np.stack([v.R[2] for v in views])                # viewing directions in world
    cos = axes @ axes.T
    np.fill_diagonal(cos, np.inf)
    return [int(np.argmin(c)) for c in cos]


# ---- detection (cached) ---------------------------------------------------------------------
def detections(capture: Capture, frames: list[int]) -> dict:
    """{(view, frame): (Observation, studio Camera, image (H, W, 3) uint8)} for every view and
    frame, detected as a photo (image mode), cached per capture and perception version."""
    from core.evaluation.detections import perception_version
    from core.media import open_source
    from core.perception import PoseDetector

    path = CACHE / f"{capture.name}_detections.pkl"
    version = perception_version()
    cached = {}
    if path.exists():
        with open(path, "rb") as f:
            data = pickle.load(f)
        if data.get("version") == version:
            cached = data["items"]
    need = [(v, f) for v in range(len(capture.views)) for f in frames if (v, f) not in cached]
    if need:
        with PoseDetector("image") as det:
            for v in sorted({v for v, _ in need}):
                with open_source(capture.media[v]) as src:
                    for f in sorted(f for vv, f in need if vv == v):
                        frame = src.read(f)
                        cached[(v, f)] = (det.detect(frame), src.camera, frame.image)
                        log(f"  detected {capture.name}/{capture.views[v].name} frame {f}")
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump({"version": version, "items": cached}, fh)
    return cached


# ---- one capture ----------------------------------------------------------------------------
def run_capture(capture: Capture, frames: list[int], body, variants: list[tuple]) -> list[dict]:
    """One row per (source view, frame, method, judging view): IoU and flags. variants: (name
    suffix, SurfaceConfig factory of a mode); every variant of both modes is built on the same
    fit."""
    from core.fitting import FitConfig, fit_observation
    from core.surface import reconstruct_surface

    dets = detections(capture, frames)
    views = capture.views
    opposite = opposite_views(views)
    rows = []
    for f in frames:
        kp = np.stack([dets[(v, f)][0].keypoints2d if dets[(v, f)][0].person
                       else np.zeros((33, 3), np.float32) for v in range(len(views))])
        tri = triangulate(views, kp, up=capture.up)
        ref = tri.points
        if not np.all(np.isfinite(ref[list(LIMB_JOINTS)])):
            log(f"  {capture.name} frame {f}: no complete reference, skipped")
            continue
        masks = {}
        for u, view in enumerate(views):
            obs_u = dets[(u, f)][0]
            # Only views whose detection is of the reference person (another person's
            # detection, e.g. in the two-person capture, has no mask of this one).
            if not obs_u.person or obs_u.mask is None or not tri.views[u]:
                continue
            pk = project(view, ref[tri.valid], distort=True)
            fg = foreground_mask(obs_u.mask, pk)
            shape = (round(view.height * RENDER_SCALE), round(view.width * RENDER_SCALE))
            masks[u] = _resize_mask(fg, shape)
        for v in range(len(views)):
            obs, cam, image = dets[(v, f)]
            if not obs.person or obs.mask is None or v not in masks:
                continue
            pk = project(views[v], ref[tri.valid], distort=True)
            obs.mask = foreground_mask(obs.mask, pk).astype(np.float32)
            if obs.mask.sum() < 100:
                continue
            t0 = time.perf_counter()
            fit = fit_observation(obs, cam, body, FitConfig())
            fit_s = time.perf_counter() - t0
            if fit.vertices is None:
                continue
            s, R, t = similarity(fit.landmarks[list(LIMB_JOINTS)], ref[list(LIMB_JOINTS)])
            meshes = {"naked body": (fit.vertices, body.faces)}
            secs = {"naked body": 0.0}
            for suffix, make in variants:
                for mode in ("depth", "implicit"):
                    name = mode + suffix
                    t0 = time.perf_counter()
                    surf = reconstruct_surface(image, obs, fit, body, make(mode))
                    secs[name] = time.perf_counter() - t0
                    meshes[name] = (surf.vertices, surf.faces)
            for method, (mv, mf) in meshes.items():
                world = s * np.asarray(mv, np.float64) @ R.T + t
                for u in masks:
                    sil = silhouette(world, mf, views[u])
                    rows.append({"capture": capture.name, "frame": f, "source": views[v].name,
                                 "judge": views[u].name, "method": method,
                                 "own": u == v, "opposite": u == opposite[v],
                                 "iou": iou(sil, masks[u]), "seconds": secs[method],
                                 "fit_s": fit_s})
            recent = [r for r in rows[-len(masks) * len(meshes):] if not r["own"]]
            log(f"  {capture.name} frame {f} from {views[v].name}: " + "  ".join(
                f"{m} {np.mean([r['iou'] for r in recent if r['method'] == m]):.3f}"
                for m in meshes))
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| capture | method | novel views IoU | opposite view IoU | source view IoU | "
             "pairs (novel) | s/surface |", "|---|---|---:|---:|---:|---:|---:|"]
    for cap in dict.fromkeys(r["capture"] for r in rows):
        for m in dict.fromkeys(r["method"] for r in rows):
            sel = [r for r in rows if r["capture"] == cap and r["method"] == m]
            novel = [r["iou"] for r in sel if not r["own"]]
            opp = [r["iou"] for r in sel if r["opposite"]]
            own = [r["iou"] for r in sel if r["own"]]
            sec = np.mean([r["seconds"] for r in sel if r["own"]]) if m != "naked body" else None
            lines.append(f"| {cap} | {m} | {np.mean(novel):.3f} | {np.mean(opp):.3f} | "
                         f"{np.mean(own):.3f} | {len(novel)} | "
                         + ("-" if sec is None else f"{sec:.2f}") + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--captures", default="pose2sim_single,pose2sim_multi")
    ap.add_argument("--frames", default="10,30,50,70,90", help="frame indices (every capture)")
    ap.add_argument("--quick", action="store_true", help="pose2sim_single, one frame")
    ap.add_argument("--no-garment", action="store_true", help="garment layer off")
    ap.add_argument("--no-folds", action="store_true", help="folds from shading off")
    ap.add_argument("--switches", action="store_true",
                    help="also each mode with the folds off and with the garment layer off, on "
                         "the same fits")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--readme", action="store_true", help="replace this section of bench/README.md")
    args = ap.parse_args(argv)
    if args.quick:
        args.captures, args.frames = "pose2sim_single", "40"
    torch.set_num_threads(args.threads)
    from core.body import load_body_model
    from core.surface import SurfaceConfig

    def variant(garment: bool, folds: bool):
        def make(mode: str) -> SurfaceConfig:
            cfg = SurfaceConfig(mode=mode)
            cfg.garment.enabled, cfg.folds.enabled = garment, folds
            return cfg
        return make

    variants = [("", variant(not args.no_garment, not args.no_folds))]
    if args.switches:
        variants += [(", folds off", variant(True, False)), (", garment off", variant(False, True))]

    body = load_body_model("anny")
    frames = [int(x) for x in args.frames.split(",")]
    t0 = time.perf_counter()
    rows = []
    for name in args.captures.split(","):
        capture = load_capture(name)
        rows += run_capture(capture, [f for f in frames if f < capture.frames], body, variants)
    layers = (f"garment layer {'off' if args.no_garment else 'on'}, "
              f"folds {'off' if args.no_folds else 'on'}")
    head = (f"Clothed surface against the other calibrated views' person masks, frames "
            f"{args.frames}, every view as the source, {layers}, "
            f"{time.perf_counter() - t0:.0f} s in all")
    out = head + "\n\n" + table(rows)
    print(out)
    if args.readme:
        _write_readme(out, " ".join(["bench/real_surface.py"] + (argv or sys.argv[1:])))
    return 0


def _write_readme(text: str, command: str) -> None:
    """Replace the text under SECTION (up to the next heading of the same or a higher level)."""
    doc = README.read_text()
    block = f"{SECTION}\n\n`.venv/bin/python {command.replace(' --readme', '')}`\n\n{text}\n"
    if SECTION in doc:
        a = doc.index(SECTION)
        rest = doc[a + len(SECTION):]
        nxt = [i for i in (rest.find("\n## "), rest.find("\n### ")) if i >= 0]
        b = a + len(SECTION) + (min(nxt) + 1 if nxt else len(rest))
        doc = doc[:a] + block + "\n" + doc[b:].lstrip("\n")
    else:
        doc = doc.rstrip("\n") + "\n\n" + block
    README.write_text(doc)


if __name__ == "__main__":
    raise SystemExit(main())
