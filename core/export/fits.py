"""The fit outputs every command writes: DIR/fits.json, DIR/meshes/NNNNNN.obj, DIR/overlays/NNNNNN.png.

fits.json (one format for fit, track, reconstruct, optimize and demo)::

    {"body_model": "anny", "input": "clip.mp4", "frames": [per-frame record, ...]}

frames are in frame order, one record per processed frame::

    index        frame number in the input
    person       true exactly when the frame has a fitted body (``params`` is not null), whether
                 fitted to its own detection or bridged from its neighbours; ``status`` says which
    status       "fitted", "low_confidence" (fitted to few keypoints), "bridged" (interpolated
                 over a gap) or "no_person" (nobody found, nothing fitted)
    camera       {fx, fy, cx, cy, width, height}: intrinsics in pixels
    landmarks3d  33 x [x, y, z]: BlazePose points on the fitted body, camera frame, metres
    joints3d     the body model's joints, camera frame, metres
    params       BodyParams.to_dict() (model, global_orient, body_pose, shape, transl, ...)
    error_px     mean keypoint reprojection error in pixels (null when unknown)
    iou          silhouette IoU of the body with the person mask (null when unknown)

Frames without a body have person false and null body fields. Commands that write motion
files (motion.glb, motion.bvh, avatar.glb) add ``gaps``: [[first, last], ...] the frame ranges
without a fitted body, which those files hold at the last pose, and ``camera_up``: [x, y, z] the
world's up in the camera frame that the upright motion files are turned by (read off the
standing frames' legs, core.export.upright), null for a level camera. The file is replaced atomically,
so a reader never sees half of it, and commands write it in a ``finally`` so frames finished
before an error or Ctrl+C are kept.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.types import FrameFit, Observation

#: the keys of fits.json, in the order written
FITS_KEYS = ("body_model", "input", "frames")


def _round(a: np.ndarray | None, digits: int = 5) -> list | None:
    return None if a is None else np.round(np.asarray(a, np.float64), digits).tolist()


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def frame_record(fit: FrameFit) -> dict:
    """The fits.json record of one frame (keys in the module docstring); ``person`` is whether
    ``fit`` carries a body (``fit.params`` set), ``status`` says how it got one."""
    fitted = fit.params is not None
    return {
        "index": int(fit.index),
        "person": fitted,
        "status": fit.status,
        "camera": fit.camera.to_dict(),
        "landmarks3d": _round(fit.landmarks) if fitted else None,
        "joints3d": _round(fit.joints) if fitted else None,
        "params": fit.params.to_dict() if fitted else None,
        "error_px": _finite(fit.error),
        "iou": _finite(fit.iou),
    }


def write_fits_json(out_dir: str | Path, body_model: str, input_path: str | Path,
                    records: Iterable[dict], gaps: list[list[int]] | None = None,
                    camera_up=False) -> Path:
    """Write ``out_dir/fits.json`` from per-frame records (``frame_record``), sorted by index,
    replacing an earlier file atomically; ``gaps`` and ``camera_up`` ((3,) or None; False:
    not written) when given, as the module docstring says. returns: the path written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "fits.json"
    tmp = path.with_suffix(".json.tmp")
    data = {"body_model": body_model, "input": str(input_path),
            "frames": sorted(records, key=lambda r: r["index"])}
    if gaps is not None:
        data["gaps"] = [[int(a), int(b)] for a, b in gaps]
    if camera_up is not False:
        data["camera_up"] = None if camera_up is None else [round(float(x), 6) for x in camera_up]
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
    return path


def read_fits_json(path: str | Path) -> dict:
    """The parsed fits.json at ``path`` (or ``path/fits.json`` for a folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "fits.json"
    return json.loads(path.read_text())


def write_frame_mesh(out_dir: str | Path, fit: FrameFit, body) -> Path | None:
    """Write ``out_dir/meshes/NNNNNN.obj`` (the fitted body, camera frame, metres, with UVs when
    the body model has them); None when the frame has no vertices."""
    from core.export.mesh_io import write_obj

    if fit.vertices is None:
        return None
    path = Path(out_dir) / "meshes" / f"{fit.index:06d}.obj"
    write_obj(path, fit.vertices, body.faces, uvs=body.uvs,
              face_uvs=body.face_uvs if body.uvs is not None else None)
    return path


def write_frame_overlay(out_dir: str | Path, fit: FrameFit, image: np.ndarray, body,
                        observation: Observation | None = None) -> Path:
    """Write ``out_dir/overlays/NNNNNN.png``: the body drawn over ``image`` ((H, W, 3) uint8 RGB),
    with the detected keypoints when ``observation`` has a person."""
    import cv2

    from core.render.overlay import draw_body

    if fit.vertices is not None:
        kp = observation.keypoints2d if observation is not None and observation.person else None
        image = draw_body(image, fit.vertices, body.faces, fit.camera, keypoints2d=kp)
    path = Path(out_dir) / "overlays" / f"{fit.index:06d}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def write_frame_outputs(out_dir: str | Path, fit: FrameFit, image: np.ndarray, body,
                        observation: Observation | None = None) -> dict:
    """Write one frame's mesh (when fitted) and overlay and return its fits.json record."""
    write_frame_mesh(out_dir, fit, body)
    write_frame_overlay(out_dir, fit, image, body, observation)
    return frame_record(fit)
