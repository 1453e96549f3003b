"""A shaded synthetic person BlazePose detects, for tests and benchmarks of the analysis.

A flat silhouette is not reliably seen as a person; the body shaded by a head light
(core.render.overlay.draw_body) in a skin tone over a plain dark background is. The pose is the
body model's rest pose (Anny: an A-pose, forearms clear of the torso) facing the camera.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.body.params import BodyParams
from core.types import BLAZEPOSE_NAMES, Camera

SKIN_RGB = (222, 172, 140)
BACKGROUND_RGB = (58, 68, 80)


@dataclass
class ShadedPerson:
    """image: (H, W, 3) uint8 RGB. camera: its intrinsics. params: the body drawn.
    landmarks: (33, 3) float32 BlazePose points on it, camera frame, metres.
    keypoints: (33, 2) float64 their projections, pixels. mask: (H, W) bool body pixels."""

    image: np.ndarray
    camera: Camera
    params: BodyParams
    landmarks: np.ndarray
    keypoints: np.ndarray
    mask: np.ndarray

    def point(self, name: str) -> np.ndarray:
        """(2,) pixels of BlazePose point ``name`` on the drawn body."""
        return self.keypoints[BLAZEPOSE_NAMES.index(name)]


def shaded_person(body, width: int = 320, height: int = 320, depth_m: float = 2.3) -> ShadedPerson:
    """The body in its rest pose, ``depth_m`` metres in front of the camera (55° field of view),
    facing it, shaded over a plain background."""
    from core.render.overlay import draw_body

    camera = Camera.from_fov(width, height)
    params = BodyParams(body.name, np.zeros(3), np.zeros((body.num_pose_joints, 3)),
                        body.mean_shape(), np.array([0.0, 0.05, depth_m], np.float32))
    vertices, _, landmarks = body.evaluate(params)
    background = np.empty((height, width, 3), np.uint8)
    background[:] = BACKGROUND_RGB
    image = draw_body(background, vertices, body.faces, camera, color=SKIN_RGB, alpha=1.0,
                      max_side=max(width, height))
    mask = np.any(image != background, axis=2)
    return ShadedPerson(image, camera, params, landmarks, camera.project(landmarks), mask)
