"""Quick pictures of a coloured mesh with core.render (for logs, tests and thumbnails):
the camera's own view and views from other angles around the mesh's vertical axis."""
from __future__ import annotations

import numpy as np

from core.render.raster import rasterize
from core.texture.vertex_colors import vertex_normals
from core.types import Camera


def render_colored(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray, camera: Camera,
                   background: tuple[int, int, int] = (255, 255, 255),
                   ambient: float = 0.45, light: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8 RGB picture of a mesh with vertex colours, lit from the camera.

    vertices: (V, 3) float, camera frame, metres. faces: (F, 3) int. colors: (V, 3) uint8 RGB.
    camera: the view (its width/height give the picture size). light: (3,) direction towards
    a distant light in the camera frame (None: a light at the camera, both sides lit).
    """
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    r = rasterize(v, f, camera, barycentric=True)
    img = np.empty((camera.height, camera.width, 3), np.float32)
    img[:] = background
    hit = r.face >= 0
    if hit.any():
        n = vertex_normals(v, f)
        if light is None:
            d = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-20)
            lit = ambient + (1.0 - ambient) * np.abs((n * d).sum(1))
        else:
            ld = np.asarray(light, np.float64) / np.linalg.norm(light)
            lit = ambient + (1.0 - ambient) * np.clip(n @ ld, 0.0, None)
        shaded = np.asarray(colors, np.float32)[:, :3] * lit[:, None].astype(np.float32)
        corners = f[r.face[hit]]
        img[hit] = (r.barycentric[hit][:, :, None] * shaded[corners]).sum(1)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def turned(vertices: np.ndarray, degrees: float, up: np.ndarray | None = None) -> np.ndarray:
    """(V, 3) float64 vertices rotated by ``degrees`` about the vertical axis through their
    centre (``up``: the axis in the camera frame, default -y)."""
    v = np.asarray(vertices, np.float64)
    c = 0.5 * (v.min(0) + v.max(0))
    a = np.radians(degrees)
    axis = np.array([0.0, -1.0, 0.0]) if up is None else np.asarray(up, np.float64)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k
    return (v - c) @ rot.T + c


def levelled(vertices: np.ndarray, up: np.ndarray | None) -> np.ndarray:
    """(V, 3) float64 vertices turned about their centre so that ``up`` (the world's up in the
    camera frame, core.export.upright) becomes the camera's -y: the person as a level camera
    would have seen them, for front / side / back pictures that do not lean by the camera's
    pitch. ``up`` None: unchanged."""
    v = np.asarray(vertices, np.float64)
    if up is None:
        return v
    from core.export.upright import upright_rotation

    rot = np.diag([1.0, -1.0, -1.0]) @ upright_rotation(up)
    c = 0.5 * (v.min(0) + v.max(0))
    return (v - c) @ rot.T + c


def views(vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray, camera: Camera,
          angles: tuple[float, ...] = (0.0, 90.0)) -> np.ndarray:
    """(H, W * len(angles), 3) uint8 RGB: the mesh seen by ``camera`` turned by each angle."""
    return np.concatenate([render_colored(turned(vertices, a), faces, colors, camera)
                           for a in angles], 1)
