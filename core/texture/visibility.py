"""Which points of a mesh the camera sees: in front of the z-buffer and facing the camera."""
from __future__ import annotations

import cv2
import numpy as np

from core.render.raster import rasterize
from core.types import Camera

#: Longest side, in pixels, of the depth buffer used for visibility tests.
VISIBILITY_RASTER = 512


def depth_buffer(vertices: np.ndarray, faces: np.ndarray, camera: Camera,
                 max_side: int = VISIBILITY_RASTER) -> tuple[np.ndarray, float]:
    """Front depth of the mesh at reduced resolution: ((h, w) float32 z in metres, inf where
    empty; the scale from image pixels to buffer pixels)."""
    scale = min(1.0, max_side / max(camera.width, camera.height))
    r = rasterize(vertices, faces, camera, scale)
    return r.depth, scale


def visible_points(points: np.ndarray, normals: np.ndarray, depth: np.ndarray, scale: float,
                   camera: Camera, tolerance: float = 0.02) -> np.ndarray:
    """(N,) bool: points the camera sees.

    points: (N, 3) float, camera frame, metres. normals: (N, 3) outward unit normals (same
    frame). depth, scale: from ``depth_buffer``. tolerance: metres a point may lie behind the
    buffer's depth (the buffer is coarse) and still count as seen.
    """
    p = np.asarray(points, np.float64)
    uv = camera.project(p) * scale + (scale - 1.0) * 0.5        # pixel centres of the buffer
    h, w = depth.shape
    x = np.clip(np.rint(uv[:, 0]).astype(np.int64), 0, w - 1)
    y = np.clip(np.rint(uv[:, 1]).astype(np.int64), 0, h - 1)
    # Where the pixel itself is empty (a point on the outline), the nearest depth around it.
    d = depth[y, x]
    empty = ~np.isfinite(d)
    if empty.any():
        near = cv2.erode(np.where(np.isfinite(depth), depth, 1e9).astype(np.float32),
                         np.ones((3, 3), np.uint8))
        d = np.where(empty, near[y, x], d)
    in_front = p[:, 2] <= d + tolerance
    facing = (np.asarray(normals) * -p).sum(1) > 0.0
    return in_front & facing
