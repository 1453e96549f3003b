"""Left/right label swaps: keep each frame's labelling consistent with the frame before.

BlazePose sometimes trades the subject's left and right keypoints for a few frames (side views,
back views). A real body never swaps its sides between two frames, so each frame's keypoints are
compared with the previous (already corrected) frame's, as labelled and with the
``BLAZEPOSE_FLIP`` permutation; the swapped labelling wins only when it is clearly closer.
2D distances are measured in person heights and the hip-centred 3D landmarks are added: they
separate left from right even in a side view, where the 2D points overlap.
"""
from __future__ import annotations

import numpy as np

from core.types import BLAZEPOSE_FLIP, Observation

from .config import FlipConfig

_FLIP = np.asarray(BLAZEPOSE_FLIP)
#: Keypoints that take part in the comparison: shoulders to ankles (faces and hands are noisy).
_BODY = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])


def person_height_px(keypoints2d: np.ndarray, min_confidence: float = 0.2) -> float:
    """Rough height of the person in pixels from (33, 3) keypoints (at least 1)."""
    k = keypoints2d[keypoints2d[:, 2] >= min_confidence]
    if len(k) < 2:
        return 1.0
    ext = np.ptp(k[:, :2], axis=0)
    return float(max(ext.max(), 1.0))


def flipped(obs: Observation) -> Observation:
    """The observation with its left and right labels swapped (arrays copied)."""
    return obs.flipped()


def labelling_error(a: Observation, b: Observation) -> float:
    """Mean distance between two observations' body keypoints: 2D in person heights plus 3D in
    metres (divided by 1.7 m, a person's height), over points confident in both."""
    ka, kb = a.keypoints2d[_BODY], b.keypoints2d[_BODY]
    ok = (ka[:, 2] > 0.2) & (kb[:, 2] > 0.2)
    if ok.sum() < 3:
        return 0.0
    h = person_height_px(b.keypoints2d)
    e2 = np.linalg.norm(ka[ok, :2] - kb[ok, :2], axis=1).mean() / h
    la, lb = a.landmarks3d[_BODY], b.landmarks3d[_BODY]
    e3 = 0.0
    if np.abs(la).sum() > 0 and np.abs(lb).sum() > 0:
        e3 = np.linalg.norm(la[ok] - lb[ok], axis=1).mean() / 1.7
    return float(e2 + e3)


def fix_swap(obs: Observation, previous: Observation | None, config: FlipConfig) -> tuple[Observation, bool]:
    """(observation with a consistent labelling, whether it was swapped).

    previous: the previous frame's corrected observation (None at the start: kept as is).
    """
    if not config.enabled or previous is None or not obs.person or not previous.person:
        return obs, False
    keep = labelling_error(obs, previous)
    alt = flipped(obs)
    swap = labelling_error(alt, previous)
    if swap < config.ratio * keep and keep - swap > config.min_gap:
        return alt, True
    return obs, False
