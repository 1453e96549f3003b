"""What the per-subject optimization hands to the GUI, the CLI and the exporters (numpy only)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .state import SubjectState


@dataclass
class AvatarSnapshot:
    """A preview yielded while optimizing (the current avatar, not necessarily the best).

    iteration: optimizer steps done. loss: the last full objective evaluated (nan when none
        yet). best_loss: the best objective so far.
    vertices: (V, 3) float32 canonical avatar in the rest pose, canonical body frame (y down,
        facing -z, subject's left at +x, root at the origin), metres. faces: (F, 3) int64.
    """

    iteration: int
    loss: float
    best_loss: float
    vertices: np.ndarray
    faces: np.ndarray


@dataclass
class SubjectResult:
    """One clothed, textured, re-posable avatar of the subject of a video.

    state: the SubjectState it was made from (resume from it, or save it).
    vertices: (V, 3) float32 canonical avatar in the rest pose, canonical body frame (y down,
        facing -z, subject's left at +x, root at the origin), metres. Only the body's main
        surface: internal parts (Anny's eyeballs and tongue) are left out.
    faces: (F, 3) int64 triangles into ``vertices``, outward.
    uvs: (T, 2) float32 texture coordinates in [0, 1], v up; face_uvs: (F, 3) int64 per corner
        (both None when the body model has no UV layout).
    texture: (H, W, 3) uint8 RGB UV texture (None when not baked).
    vertex_colors: (V, 3) uint8 RGB.
    posed: frame number -> (V, 3) float32 the avatar posed in that frame, camera frame, metres.
    frame_params: frame number -> core.body.params.BodyParams of the refined fit.
    iou: frame number -> silhouette IoU of the posed avatar with the frame's person mask.
    keypoint_error: frame number -> mean confidence-weighted keypoint error, pixels.
    body_vertex_ids: (V,) int64 the body model's vertex behind each avatar vertex.
    iterations: optimizer steps done; best_loss: its full objective; seconds: wall time spent.
    """

    state: SubjectState
    vertices: np.ndarray
    faces: np.ndarray
    uvs: np.ndarray | None
    face_uvs: np.ndarray | None
    texture: np.ndarray | None
    vertex_colors: np.ndarray
    posed: dict[int, np.ndarray]
    frame_params: dict
    iou: dict[int, float]
    keypoint_error: dict[int, float]
    body_vertex_ids: np.ndarray
    iterations: int = 0
    best_loss: float = float("inf")
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mean_iou(self) -> float:
        vals = [v for v in self.iou.values() if np.isfinite(v)]
        return float(np.mean(vals)) if vals else float("nan")

    @property
    def min_iou(self) -> float:
        vals = [v for v in self.iou.values() if np.isfinite(v)]
        return float(np.min(vals)) if vals else float("nan")
