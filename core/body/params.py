"""BodyParams: the parameters of one fitted body in one frame, and their files."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class BodyParams:
    """Parameters of one body in one frame (float32 numpy arrays).

    model: body model name ("anny", "smpl", "smplh", "smplx").
    global_orient: (3,) axis-angle in radians, rotation from the body's canonical frame (upright,
        facing the camera: y down, facing -z, subject's left at +x) into the camera frame, about
        the root joint.
    body_pose: (P, 3) axis-angle per posed joint in the model's own joint convention
        (P = BodyModel.num_pose_joints).
    shape: (S,) shape parameters (Anny: 6 phenotypes in [0, 1] in model order, optionally a 7th,
        the stature scale (1 when absent); SMPL: betas).
    transl: (3,) position of the root joint (pelvis) in the camera frame, metres.
    extras: model-specific arrays (SMPL-X jaw / hands / expression, ...), name -> float32 array.
    """

    model: str
    global_orient: np.ndarray
    body_pose: np.ndarray
    shape: np.ndarray
    transl: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.global_orient = np.asarray(self.global_orient, np.float32).reshape(3)
        self.body_pose = np.asarray(self.body_pose, np.float32).reshape(-1, 3)
        self.shape = np.asarray(self.shape, np.float32).reshape(-1)
        self.transl = np.asarray(self.transl, np.float32).reshape(3)
        self.extras = {k: np.asarray(v, np.float32) for k, v in self.extras.items()}

    # ---- dict / json -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready dict of plain lists."""
        return {
            "model": self.model,
            "global_orient": self.global_orient.tolist(),
            "body_pose": self.body_pose.tolist(),
            "shape": self.shape.tolist(),
            "transl": self.transl.tolist(),
            "extras": {k: v.tolist() for k, v in self.extras.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "BodyParams":
        return cls(model=str(d["model"]), global_orient=d["global_orient"],
                   body_pose=d["body_pose"], shape=d["shape"], transl=d["transl"],
                   extras={k: np.asarray(v, np.float32) for k, v in d.get("extras", {}).items()})

    def save_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load_json(cls, path: str | Path) -> "BodyParams":
        return cls.from_dict(json.loads(Path(path).read_text()))

    # ---- npz ---------------------------------------------------------------------------------
    def save_npz(self, path: str | Path) -> None:
        arrays = {"global_orient": self.global_orient, "body_pose": self.body_pose,
                  "shape": self.shape, "transl": self.transl, "model": np.array(self.model)}
        arrays.update({f"extra__{k}": v for k, v in self.extras.items()})
        np.savez(path, **arrays)

    @classmethod
    def load_npz(cls, path: str | Path) -> "BodyParams":
        with np.load(path, allow_pickle=False) as z:
            extras = {k[len("extra__"):]: z[k] for k in z.files if k.startswith("extra__")}
            return cls(model=str(z["model"]), global_orient=z["global_orient"],
                       body_pose=z["body_pose"], shape=z["shape"], transl=z["transl"],
                       extras=extras)

    def copy(self) -> "BodyParams":
        return BodyParams.from_dict(self.to_dict())


def stack_shapes(shapes) -> np.ndarray:
    """(N, S) float32: shape vectors of several fits stacked, the shorter ones completed with 1
    (Anny's stature scale, absent from fits made before it existed or by the sequence fit's
    estimate, is 1 when absent), so fits of one person made different ways go together."""
    rows = [np.asarray(x, np.float32).reshape(-1) for x in shapes]
    n = max((len(r) for r in rows), default=0)
    return np.stack([np.concatenate([r, np.ones(n - len(r), np.float32)]) for r in rows]) \
        if rows else np.zeros((0, 0), np.float32)

