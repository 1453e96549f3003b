"""Export figures on a tracked video: time to write the motion files (motion.glb + motion.bvh)
from a track's fits.json, their sizes, what ``track`` with its default formats writes in all, the
Khronos validator's verdict and the animation's span; and the four-influence skin's error
against the body model's own vertices (the rigged GLB posed from its own data).

    .venv/bin/python bench/export.py                      # track taiji.mp4 (412 frames), then all
    .venv/bin/python bench/export.py --fits DIR/fits.json # skip the track, time the export only
    .venv/bin/python bench/export.py --quick              # the bundled 48-frame clip, 24 frames

Outputs go to bench/_out/export/ (git-ignored). Timings on a busy shared machine are distorted;
the lead re-measures on a quiet one with the same command.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TAIJI = REPO.parent / "shared" / "samples" / "HybrIK" / "taiji.mp4"
CLIP = REPO / "resources" / "samples" / "video.mp4"


def fits_of(path: Path) -> tuple[list, str]:
    """The FrameFits (params and camera, no meshes) and the input of a fits.json."""
    from core.body.params import BodyParams
    from core.export.fits import read_fits_json
    from core.types import Camera, FrameFit

    data = read_fits_json(path)
    fits = [FrameFit(r["index"], r["status"], Camera.from_dict(r["camera"]),
                     BodyParams.from_dict(r["params"]) if r["params"] else None)
            for r in data["frames"]]
    return fits, data["input"]


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", default=str(TAIJI), help="video to track (default taiji.mp4)")
    ap.add_argument("--fits", default=None, help="an existing track's fits.json (skips the track)")
    ap.add_argument("--quick", action="store_true", help="bundled clip, first 24 frames")
    ap.add_argument("--out", default=str(REPO / "bench" / "_out" / "export"))
    args = ap.parse_args()

    import torch

    from core.body import load_body_model
    from core.cli import run_cli
    from core.export.formats import write_sequence_files
    from core.export.gltf import read_glb, validate_report
    from core.media import open_source

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    track_s = None
    if args.fits is None:
        video = CLIP if args.quick else Path(args.video)
        track_dir = out / "track"
        extra = ["--max-frames", "24"] if args.quick else []
        t0 = time.perf_counter()
        if run_cli(["track", str(video), "--out", str(track_dir), *extra]) != 0:
            return 1
        track_s = time.perf_counter() - t0
        fits_path = track_dir / "fits.json"
    else:
        fits_path, track_dir = Path(args.fits), Path(args.fits).parent
    fits, source_path = fits_of(fits_path)
    with open_source(source_path) as source:
        fps = source.fps
    torch.set_num_threads(2)
    body = load_body_model("anny", device="cpu")
    again = out / "export"
    t0 = time.perf_counter()
    written = write_sequence_files(again, body, fits, ("glb", "bvh"), fps=fps)
    export_s = time.perf_counter() - t0

    glb = read_glb(written["motion.glb"])
    report = validate_report(written["motion.glb"])["issues"]
    frames = [f for f in fits if f.params is not None]
    # the skinned GLB against the body model, at 24 frames spread over the motion
    picks = np.unique(np.linspace(0, len(fits) - 1, 24).round().astype(int))
    err = []
    with torch.no_grad():
        from core.export.mesh_io import camera_to_upright

        for k in picks:
            f = fits[k]
            if f.params is None:
                continue
            truth = camera_to_upright(body(**body.tensors(f.params)).vertices[0].numpy())
            err.append(np.linalg.norm(glb.pose(glb.times[k]) - truth, axis=1))
    err = np.concatenate(err)
    figures = {
        "frames": len(fits), "fitted": len(frames), "fps": round(fps, 3),
        "export_s (motion.glb + motion.bvh)": round(export_s, 2),
        "motion.glb MB": round(written["motion.glb"].stat().st_size / 1e6, 2),
        "motion.bvh MB": round(written["motion.bvh"].stat().st_size / 1e6, 2),
        "validator errors / warnings": f"{report['numErrors']} / {report['numWarnings']}",
        "keyframes": len(glb.times), "animation span s": round(glb.duration, 3),
        "span x fps + 1": round(glb.duration * fps + 1, 2),
        "skin error vs model cm (max / p99.9 / mean)": " / ".join(
            f"{x * 100:.{d}f}" for x, d in ((err.max(), 2), (np.percentile(err, 99.9), 2),
                                             (err.mean(), 3))),
    }
    if track_s is not None:
        figures["track s (default formats)"] = round(track_s, 1)
        figures["track output MB (all files)"] = round(folder_mb(track_dir), 2)
        figures["track files"] = sorted(p.name for p in track_dir.iterdir())
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
