"""Files of an avatar: the canonical OBJ (+ MTL + PNG), the posed OBJ sequence, parameters."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.export.mesh_io import write_obj
from core.progress import drive

from .result import SubjectResult


def write_avatar(result: SubjectResult, out_dir: str | Path, meshes: bool = True
                 ) -> dict[str, Path]:
    """Write ``out_dir``/avatar.obj (+ .mtl, .png; canonical rest pose, canonical body frame,
    metres, vertex colours), frames/NNNNNN.obj (posed, each frame's camera frame, metres),
    params/NNNNNN.json (each frame's BodyParams), state.npz (to resume), avatar.json (figures)
    and preview.png (the textured avatar from the front and from the back, 512 px each).
    meshes: False leaves out the OBJs (avatar.obj, frames/), e.g. when only a GLB is asked for.
    returns: name -> path of what was written.
    """
    from core.export.mesh_io import write_obj_sequence

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    if meshes:
        paths["avatar"] = write_obj(out / "avatar.obj", result.vertices, result.faces,
                                    uvs=result.uvs if result.texture is not None else None,
                                    face_uvs=result.face_uvs if result.texture is not None
                                    else None, texture=result.texture,
                                    vertex_colors=result.vertex_colors)
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
    paths["preview"] = write_preview(result, out / "preview.png")
    return paths


def write_preview(result: SubjectResult, path: Path, size: int = 512) -> Path:
    """Write the canonical avatar, textured, from the front and from the back (RGB PNG)."""
    import cv2

    from .preview import turntable_views

    colours = ({"uvs": result.uvs, "face_uvs": result.face_uvs, "texture": result.texture}
               if result.texture is not None else {"vertex_colors": result.vertex_colors})
    views = turntable_views(result.vertices, result.faces, size, **colours)
    cv2.imwrite(str(path), cv2.cvtColor(views, cv2.COLOR_RGB2BGR))
    return path
