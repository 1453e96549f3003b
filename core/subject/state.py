"""SubjectState: everything needed to resume an avatar optimization, saved as one .npz."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.body.params import BodyParams
from core.errors import StudioError

#: Fields a state may lack (files written before they existed load with None).
_OPTIONAL = ("reference_global_orient", "reference_body_pose", "reference_transl",
             "frame_weights")


@dataclass
class SubjectState:
    """The avatar so far: canonical clothing, shape and every used frame's pose.

    model: body model name. displacement: (V,) float32 clothing displacement of every body
        vertex along ``normals``, metres (the optimized variable).
    normals: (V, 3) float32 unit directions of the displacement, canonical body frame: the
        outward normals of the rest mesh of the shape the optimization started from (fixed for
        the avatar's life, so a resumed run poses exactly the same avatar).
    offsets: (V, 3) float32 displacement x normals, the per-vertex offsets in the canonical
        body frame, metres (what ``BodyModel.forward(vertex_offsets=...)`` takes).
    shape: (S,) float32 shape parameters shared by every frame.
    frame_indices: (N,) int64 frame numbers of the used frames.
    global_orient: (N, 3), body_pose: (N, P, 3) axis-angles in radians; transl: (N, 3) root
        positions in each frame's camera frame, metres (float32).
    iteration: optimizer steps done. best_loss: the full objective of this state (inf before
        the first evaluation).
    reference_global_orient (N, 3), reference_body_pose (N, P, 3), reference_transl (N, 3):
        the per-frame poses the drift term pulls towards (the refined sequence fit; None: the
        frames' own fits). frame_weights: (N,) float32 weights of the frames' silhouette terms
        (None: all 1). Both are fixed when an optimization starts, so a resumed run minimises
        the same objective.
    """

    model: str
    displacement: np.ndarray
    normals: np.ndarray
    offsets: np.ndarray
    shape: np.ndarray
    frame_indices: np.ndarray
    global_orient: np.ndarray
    body_pose: np.ndarray
    transl: np.ndarray
    iteration: int = 0
    best_loss: float = float("inf")
    reference_global_orient: np.ndarray | None = None
    reference_body_pose: np.ndarray | None = None
    reference_transl: np.ndarray | None = None
    frame_weights: np.ndarray | None = None

    def frame_params(self, k: int) -> BodyParams:
        """BodyParams of the k-th used frame (not the frame number: see ``frame_indices``)."""
        return BodyParams(self.model, self.global_orient[k], self.body_pose[k], self.shape,
                          self.transl[k])

    def params_by_frame(self) -> dict[int, BodyParams]:
        """frame number -> BodyParams of every used frame."""
        return {int(i): self.frame_params(k) for k, i in enumerate(self.frame_indices)}

    def save(self, path: str | Path) -> Path:
        """Write the state atomically (a temporary file renamed over ``path``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, model=np.array(self.model), displacement=self.displacement,
                 normals=self.normals, offsets=self.offsets, shape=self.shape, frame_indices=self.frame_indices,
                 global_orient=self.global_orient, body_pose=self.body_pose,
                 transl=self.transl, iteration=np.array(self.iteration),
                 best_loss=np.array(self.best_loss),
                 **{k: getattr(self, k) for k in _OPTIONAL if getattr(self, k) is not None})
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "SubjectState":
        """Read a state written by ``save``; raises StudioError for a missing or foreign file."""
        path = Path(path)
        if not path.exists():
            raise StudioError(f"No saved avatar state at {path}; run the optimization without "
                              "resuming first.")
        try:
            with np.load(path, allow_pickle=False) as z:
                return cls(model=str(z["model"]), displacement=z["displacement"].astype(np.float32),
                           normals=z["normals"].astype(np.float32),
                           offsets=z["offsets"].astype(np.float32),
                           shape=z["shape"].astype(np.float32),
                           frame_indices=z["frame_indices"].astype(np.int64),
                           global_orient=z["global_orient"].astype(np.float32),
                           body_pose=z["body_pose"].astype(np.float32),
                           transl=z["transl"].astype(np.float32),
                           iteration=int(z["iteration"]), best_loss=float(z["best_loss"]),
                           **{k: z[k].astype(np.float32) for k in _OPTIONAL if k in z.files})
        except (KeyError, ValueError, OSError) as exc:
            raise StudioError(f"{path} is not an avatar state file ({exc}); delete it or point "
                              "to the state.npz an earlier optimization wrote.") from exc

    def copy(self) -> "SubjectState":
        return SubjectState(self.model, self.displacement.copy(), self.normals.copy(),
                            self.offsets.copy(),
                            self.shape.copy(), self.frame_indices.copy(),
                            self.global_orient.copy(), self.body_pose.copy(), self.transl.copy(),
                            self.iteration, self.best_loss,
                            *(None if getattr(self, k) is None else getattr(self, k).copy()
                              for k in _OPTIONAL))
