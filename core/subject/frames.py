"""The frames an avatar is optimized against: per-frame targets built once from observations."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.base import BodyModel
from core.body.params import BodyParams
from core.errors import StudioError
from core.render.silhouette import SilhouetteTarget
from core.types import Camera, FrameFit, Observation

#: Keypoints at or above this confidence count as seen (person height, keypoint error).
SEEN = 0.5


@dataclass
class SubjectFrame:
    """One used frame, reduced to what the optimization needs (no full-size image or mask).

    index: frame number. camera: intrinsics of the full frame. params: the frame's body fit
    (initial value of the per-frame pose). silhouette: the person mask prepared for the
    silhouette loss (reduced resolution). keypoints: (33, 2) float32 detected keypoints, pixels;
    kp_weights: (33,) float32 confidence x the body's landmark reliability.
    person_scale: person height in pixels / 500 (keypoint residuals are normalised by it).
    """

    index: int
    camera: Camera
    params: BodyParams
    silhouette: SilhouetteTarget
    keypoints: np.ndarray
    kp_weights: np.ndarray
    person_scale: float


def spread(items: list, count: int) -> list:
    """At most ``count`` items evenly spread over ``items`` (all when count <= 0)."""
    if count <= 0 or len(items) <= count:
        return list(items)
    pick = np.unique(np.linspace(0, len(items) - 1, count).round().astype(np.int64))
    return [items[i] for i in pick]


def usable(fit: FrameFit | None, obs: Observation | None) -> bool:
    """A frame takes part when it has a body fit, a person and a non-empty mask."""
    return (fit is not None and fit.params is not None and fit.status != "no_person"
            and obs is not None and obs.person and obs.mask is not None
            and bool((obs.mask >= 0.5).any()))


def prepare_frames(observations: dict[int, Observation], fits: dict[int, FrameFit],
                   body: BodyModel, config: "SubjectConfig | None" = None) -> list[SubjectFrame]:
    """SubjectFrames of at most ``count`` usable frames, evenly spread, in frame order.

    config: SubjectConfig (frames, mask_side, contour_points; the cover term compares each
        contour with at most half of the vertices posed per step).

    observations, fits: frame number -> Observation (with its mask) / FrameFit (with params).
    raises StudioError when no frame is usable.
    """
    from .config import SubjectConfig

    config = config or SubjectConfig()
    keys = sorted(k for k in fits if usable(fits[k], observations.get(k)))
    if not keys:
        raise StudioError("No frame has both a fitted body and a person mask; run detection and "
                          "fitting on a video where the person is visible.")
    out = []
    for k in spread(keys, config.frames):
        obs, fit = observations[k], fits[k]
        kp = obs.keypoints2d.astype(np.float32)
        seen = kp[kp[:, 2] >= SEEN, :2]
        height = float(np.ptp(seen[:, 1])) if len(seen) >= 2 else 0.0
        if height <= 0:
            ys = np.nonzero((obs.mask >= 0.5).any(1))[0]
            height = float(ys.max() - ys.min() + 1)
        target = SilhouetteTarget.from_mask(obs.mask, fit.camera, max_side=config.mask_side,
                                            n_contour=config.contour_points,
                                            max_vertices=max(config.optim.vertices // 2, 1))
        out.append(SubjectFrame(k, fit.camera, fit.params, target, kp[:, :2].copy(),
                                (np.clip(kp[:, 2], 0, 1) * body.landmark_weights).astype(np.float32),
                                max(height, 50.0) / 500.0))
    return out


def stack_params(frames: list[SubjectFrame], body: BodyModel) -> dict[str, torch.Tensor]:
    """(N, ...) float32 tensors of the frames' fits: global_orient, body_pose, shape, transl."""
    return body.tensors([f.params for f in frames])
