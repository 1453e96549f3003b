"""``python main.py fit INPUT --out DIR``: detect the person, fit the body model to each frame.

Writes (frames finished before an error or Ctrl+C are still written):
    DIR/fits.json                 {"body_model", "input", "frames": [per-frame record, ...]}
    DIR/meshes/NNNNNN.obj         fitted body, camera frame, metres (with UVs when the model has them)
    DIR/overlays/NNNNNN.png       the body drawn over the frame

Per-frame record: index, person, status, camera {fx, fy, cx, cy, width, height},
landmarks3d (33 x [x, y, z], BlazePose points on the fitted body, camera frame, metres),
joints3d (the model's joints, camera frame, metres), params (BodyParams.to_dict()), error_px
(mean keypoint reprojection error), iou (silhouette IoU with the person mask). Frames with
nobody in them have person false and null body fields.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from core.types import FrameFit, Observation

QUALITIES = ("fast", "balanced", "best")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.body import BODY_MODELS

    parser.add_argument("input", help="photo, video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--body", default="anny", choices=BODY_MODELS,
                        help="body model (default anny; smpl/smplh/smplx need --model-dir)")
    parser.add_argument("--model-dir", default=None,
                        help="folder with the licensed SMPL/SMPL-H/SMPL-X files (smplx layout)")
    parser.add_argument("--frames", default="all",
                        help="'all' (default: the photo, or every frame of a video) or "
                             "comma-separated frame indices, e.g. 0,5,9")
    parser.add_argument("--quality", default="balanced", choices=QUALITIES,
                        help="fit quality: fast, balanced (default) or best")


def _round(a: np.ndarray | None, digits: int = 5) -> list | None:
    return None if a is None else np.round(np.asarray(a, np.float64), digits).tolist()


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def frame_record(fit: FrameFit, observation: Observation | None) -> dict:
    """The fits.json record of one frame."""
    fitted = fit.params is not None
    return {
        "index": int(fit.index),
        "person": bool(observation is not None and observation.person and fitted),
        "status": fit.status,
        "camera": fit.camera.to_dict(),
        "landmarks3d": _round(fit.landmarks),
        "joints3d": _round(fit.joints),
        "params": fit.params.to_dict() if fitted else None,
        "error_px": _finite(fit.error),
        "iou": _finite(fit.iou),
    }


def write_fits_json(out_dir: Path, body_name: str, input_path: str, records: list[dict]) -> Path:
    path = out_dir / "fits.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"body_model": body_name, "input": input_path,
                               "frames": sorted(records, key=lambda r: r["index"])}))
    tmp.replace(path)
    return path


def _write_mesh(out_dir: Path, fit: FrameFit, body) -> None:
    from core.export.mesh_io import write_obj

    write_obj(out_dir / "meshes" / f"{fit.index:06d}.obj", fit.vertices, body.faces,
              uvs=body.uvs, face_uvs=body.face_uvs if body.uvs is not None else None)


def _write_overlay(out_dir: Path, fit: FrameFit, image: np.ndarray, body,
                   observation: Observation | None) -> None:
    import cv2

    from core.render.overlay import draw_body

    if fit.vertices is not None:
        kp = observation.keypoints2d if observation is not None and observation.person else None
        image = draw_body(image, fit.vertices, body.faces, fit.camera, keypoints2d=kp)
    path = out_dir / "overlays" / f"{fit.index:06d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def write_frame_outputs(out_dir: Path, fit: FrameFit, image: np.ndarray, body,
                        observation: Observation | None) -> dict:
    """Write one frame's fit outputs (meshes/NNNNNN.obj when fitted, overlays/NNNNNN.png) and
    return its fits.json record. Shared by fit, track, reconstruct and optimize."""
    if fit.vertices is not None:
        _write_mesh(out_dir, fit, body)
    _write_overlay(out_dir, fit, image, body, observation)
    return frame_record(fit, observation)


def fit_to_folder(input_path: str | Path, out_dir: str | Path, body_name: str = "anny",
                  model_dir: str | None = None, frames: str = "all", quality: str = "balanced",
                  device: str | None = None, progress_bar: bool = True) -> list[FrameFit]:
    """Detect, fit and write the fit outputs of ``input_path`` into ``out_dir``."""
    from core.body import load_body_model
    from core.cli.detect import parse_frames
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source
    from core.perception.detect import detect_frames

    config = FitConfig(quality=quality, device=device)
    body = load_body_model(body_name, model_dir, config.device)  # a missing SMPL file fails first
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fits: list[FrameFit] = []
    records: list[dict] = []
    with open_source(input_path) as source:
        indices = parse_frames(frames, len(source))
        bar = None
        if progress_bar:
            from tqdm import tqdm
            bar = tqdm(total=len(indices), unit="frame", desc="fit", file=sys.stderr,
                       dynamic_ncols=True)
        try:
            for _progress, obs in detect_frames(source, indices):
                fit = fit_observation(obs, source.camera, body, config)
                fits.append(fit)
                records.append(write_frame_outputs(out_dir, fit, source.read(obs.index).image,
                                                   body, obs))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"fitted {sum(f.params is not None for f in fits)}/{len(fits)}")
        finally:
            if bar is not None:
                bar.close()
            write_fits_json(out_dir, body.name, str(source.path), records)
    return fits


def run(args: argparse.Namespace) -> int:
    import torch

    # Every optimizer step works on small tensors: one thread is as fast as two on an idle
    # machine and several times faster on a busy one (no intra-op synchronisation).
    torch.set_num_threads(1)
    fits = fit_to_folder(args.input, args.out, args.body, args.model_dir, args.frames,
                         args.quality, args.device)
    done = [f for f in fits if f.params is not None]
    ious = [f.iou for f in done if math.isfinite(f.iou)]
    extra = f", median silhouette IoU {np.median(ious):.2f}" if ious else ""
    print(f"Fitted the {args.body} body to {len(done)} of {len(fits)} frame(s){extra}; wrote "
          f"{Path(args.out) / 'fits.json'}, meshes/ and overlays/.")
    return 0
