"""A synthetic person and calibrated rig for the core.evaluation tests.

``standing_person()``: 33 BlazePose points of a person 1.7 m tall standing at the origin, world
frame z up, facing +x, the subject's left at +y, metres (straight legs, arms hanging).
``ring_of_views(n)``: n cameras 4 m away on a ring 1.5 m high, looking at the person's hips,
1000x1600 portrait images with a little lens distortion.
"""
from __future__ import annotations

import numpy as np

from core.evaluation.multiview import CalibratedView, project
from core.types import BLAZEPOSE_NAMES

# (x forward, y left, z up) of the subject's left side; right side mirrors y. Centre points: y=0.
_LEFT = {
    "eye_inner": (0.09, 0.015, 1.66), "eye": (0.085, 0.035, 1.66), "eye_outer": (0.08, 0.05, 1.66),
    "ear": (0.0, 0.075, 1.63), "mouth": (0.09, 0.025, 1.57), "shoulder": (0.0, 0.19, 1.42),
    "elbow": (-0.02, 0.22, 1.12), "wrist": (0.01, 0.23, 0.86), "pinky": (0.02, 0.23, 0.78),
    "index": (0.04, 0.22, 0.77), "thumb": (0.05, 0.21, 0.80), "hip": (0.0, 0.10, 0.92),
    "knee": (0.02, 0.10, 0.50), "ankle": (0.0, 0.10, 0.08), "heel": (-0.05, 0.10, 0.03),
    "foot_index": (0.17, 0.10, 0.02),
}


def standing_person() -> np.ndarray:
    """(33, 3) float64 BlazePose points, world metres (z up, facing +x, left at +y)."""
    out = np.zeros((33, 3))
    for i, name in enumerate(BLAZEPOSE_NAMES):
        if name == "nose":
            out[i] = (0.11, 0.0, 1.62)
            continue
        side, part = name.split("_", 1)
        if name.startswith("mouth"):
            part, side = side, part
        x, y, z = _LEFT[part]
        out[i] = (x, y if side == "left" else -y, z)
    return out


def look_at(centre: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """(R, t) of an OpenCV camera at ``centre`` looking at ``target`` (x right, y down)."""
    z = target - centre
    z = z / np.linalg.norm(z)
    x = np.cross(z, np.asarray(up, float))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ centre


def ring_of_views(n: int = 4, radius: float = 4.0, distortion: bool = True) -> list[CalibratedView]:
    views = []
    K = np.array([[1500.0, 0.0, 499.5], [0.0, 1500.0, 799.5], [0.0, 0.0, 1.0]])
    dist = np.array([-0.05, 0.12, 0.001, -0.0005, 0.0]) if distortion else np.zeros(5)
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        centre = np.array([radius * np.cos(a), radius * np.sin(a), 1.5])
        R, t = look_at(centre, np.array([0.0, 0.0, 0.9]))
        views.append(CalibratedView(f"cam{i}", K, dist, R, t, 1000, 1600))
    return views


def keypoints_in(views: list[CalibratedView], points: np.ndarray, noise_px: float = 0.0,
                 seed: int = 0) -> np.ndarray:
    """(V, 33, 3) keypoints (pixels + confidence 1) of world ``points`` seen by ``views``."""
    rng = np.random.default_rng(seed)
    out = np.ones((len(views), 33, 3))
    for i, v in enumerate(views):
        out[i, :, :2] = project(v, points) + rng.normal(0.0, noise_px, (33, 2))
    return out
