"""Session file records of the clothed meshes: per-frame surfaces and the subject's avatar.

Arrays go into the session's ``.npz`` under these keys (JSON records keep the small fields):

    surface/000012/vertices     (V, 3) float32 camera frame, metres
    surface/000012/faces        (F, 3) int64
    surface/000012/colors       (V, 3) uint8 RGB
    surface/000012/uvs, face_uvs, texture   optional UV layout and (H, W, 3) uint8 texture
    avatar/vertices, faces, colors, uvs, face_uvs, texture, body_vertex_ids   canonical avatar
    avatar/posed/000012         (V, 3) float32 the avatar posed in frame 12, camera frame, metres
    avatar/state/<field>        the SubjectState arrays (resume the optimization from them)

Sessions written before these records existed simply have none (they load unchanged).
"""
from __future__ import annotations

import numpy as np

_OPTIONAL = ("uvs", "face_uvs", "texture")
_STATE_ARRAYS = ("displacement", "normals", "offsets", "shape", "frame_indices", "global_orient",
                 "body_pose", "transl")


def surface_arrays(surface, index: int) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON record, arrays) of one core.surface.SurfaceMesh."""
    base = f"surface/{index:06d}/"
    arrays = {base + "vertices": np.asarray(surface.vertices, np.float32),
              base + "faces": np.asarray(surface.faces, np.int64),
              base + "colors": np.asarray(surface.vertex_colors, np.uint8)}
    for name in _OPTIONAL:
        value = getattr(surface, name)
        if value is not None:
            arrays[base + name] = np.asarray(value)
    return {"index": int(index), "mode": surface.mode}, arrays


def surface_from(rec: dict, z) -> object:
    """The SurfaceMesh of a JSON record and the open npz ``z``."""
    from core.surface.mesh import SurfaceMesh

    i = int(rec["index"])
    base = f"surface/{i:06d}/"
    extra = {n: (z[base + n] if base + n in z.files else None) for n in _OPTIONAL}
    return SurfaceMesh(z[base + "vertices"], z[base + "faces"], z[base + "colors"], index=i,
                       mode=str(rec.get("mode", "")), **extra)


def avatar_arrays(avatar) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON record, arrays) of a core.subject.SubjectResult."""
    arrays = {"avatar/vertices": np.asarray(avatar.vertices, np.float32),
              "avatar/faces": np.asarray(avatar.faces, np.int64),
              "avatar/colors": np.asarray(avatar.vertex_colors, np.uint8),
              "avatar/body_vertex_ids": np.asarray(avatar.body_vertex_ids, np.int64)}
    for name in _OPTIONAL:
        value = getattr(avatar, name)
        if value is not None:
            arrays[f"avatar/{name}"] = np.asarray(value)
    for i, v in avatar.posed.items():
        arrays[f"avatar/posed/{int(i):06d}"] = np.asarray(v, np.float32)
    st = avatar.state
    for name in _STATE_ARRAYS:
        arrays[f"avatar/state/{name}"] = np.asarray(getattr(st, name))
    fin = lambda x: float(x) if np.isfinite(x) else None  # noqa: E731
    rec = {"model": st.model, "iteration": int(st.iteration), "best_loss": fin(st.best_loss),
           "iterations": int(avatar.iterations), "seconds": float(avatar.seconds),
           "iou": {str(k): fin(v) for k, v in avatar.iou.items()},
           "keypoint_error": {str(k): fin(v) for k, v in avatar.keypoint_error.items()}}
    return rec, arrays


def avatar_from(rec: dict, z) -> object:
    """The SubjectResult of a JSON record and the open npz ``z``."""
    from core.subject.result import SubjectResult
    from core.subject.state import SubjectState

    nan = lambda x: float("nan") if x is None else float(x)  # noqa: E731
    state = SubjectState(rec["model"], *(z[f"avatar/state/{n}"] for n in _STATE_ARRAYS),
                         iteration=int(rec.get("iteration", 0)),
                         best_loss=float("inf") if rec.get("best_loss") is None
                         else float(rec["best_loss"]))
    posed = {int(k.rsplit("/", 1)[1]): z[k] for k in z.files if k.startswith("avatar/posed/")}
    opt = {n: (z[f"avatar/{n}"] if f"avatar/{n}" in z.files else None) for n in _OPTIONAL}
    return SubjectResult(state=state, vertices=z["avatar/vertices"], faces=z["avatar/faces"],
                         vertex_colors=z["avatar/colors"], posed=posed,
                         frame_params=state.params_by_frame(),
                         iou={int(k): nan(v) for k, v in rec.get("iou", {}).items()},
                         keypoint_error={int(k): nan(v)
                                         for k, v in rec.get("keypoint_error", {}).items()},
                         body_vertex_ids=z["avatar/body_vertex_ids"],
                         iterations=int(rec.get("iterations", 0)),
                         best_loss=state.best_loss, seconds=float(rec.get("seconds", 0.0)), **opt)
