"""Files of an avatar: the canonical OBJ (+ MTL + PNG), the posed OBJ sequence, parameters."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.export.mesh_io import write_obj
from core.progress import drive

from .result import SubjectResult


def write_avatar(result: SubjectResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``out_dir``/avatar.obj (+ .mtl, .png; canonical rest pose, canonical body frame,
    metres, vertex colours), frames/NNNNNN.obj (posed, each frame's camera frame, metres),
    params/NNNNNN.json (each frame's BodyParams), state.npz (to resume) and avatar.json (figures).
    returns: name -> path of what was written.
    """
    from core.export.mesh_io import write_obj_sequence

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"avatar": write_obj(out / "avatar.obj", result.vertices, result.faces,
                                 uvs=result.uvs if result.texture is not None else None,
                                 face_uvs=result.face_uvs if result.texture is not None else None,
                                 texture=result.texture, vertex_colors=result.vertex_colors)}
    drive(write_obj_sequence(out / "frames", result.posed, result.faces))
    paths["frames"] = out / "frames"
    pdir = out / "params"
    pdir.mkdir(exist_ok=True)
    for index, p in result.frame_params.items():
        p.save_json(pdir / f"{int(index):06d}.json")
    paths["params"] = pdir
    paths["state"] = result.state.save(out / "state.npz")
    summary = {"iterations": result.iterations, "best_loss": result.best_loss,
               "mean_iou": result.mean_iou, "min_iou": result.min_iou,
               "seconds": round(result.seconds, 2),
               "shape": np.round(result.state.shape.astype(float), 4).tolist(),
               "iou": {str(k): round(v, 4) for k, v in result.iou.items()},
               "keypoint_error_px": {str(k): round(v, 2) for k, v in result.keypoint_error.items()}}
    (out / "avatar.json").write_text(json.dumps(summary, indent=1))
    paths["summary"] = out / "avatar.json"
    return paths
