"""Pictures of an avatar (front and back, textured) for tests, benchmarks and the log."""
from __future__ import annotations

import numpy as np

from core.render.raster import rasterize
from core.types import Camera


def render_textured(vertices: np.ndarray, faces: np.ndarray, camera: Camera,
                    uvs: np.ndarray | None = None, face_uvs: np.ndarray | None = None,
                    texture: np.ndarray | None = None, vertex_colors: np.ndarray | None = None,
                    background: tuple[int, int, int] = (40, 40, 48)) -> tuple[np.ndarray, np.ndarray]:
    """Render a mesh with its texture (or vertex colours), flat-lit by a headlight.

    vertices: (V, 3) float, camera frame, metres. faces: (F, 3) int. uvs (T, 2) v up, face_uvs
    (F, 3) and texture (H, W, 3) uint8, or vertex_colors (V, 3) uint8.
    returns: image (h, w, 3) uint8 RGB of ``camera``, mask (h, w) bool of covered pixels.
    """
    r = rasterize(vertices, faces, camera, barycentric=True)
    img = np.empty((camera.height, camera.width, 3), np.uint8)
    img[:] = background
    ys, xs = np.nonzero(r.face >= 0)
    if len(ys) == 0:
        return img, r.mask
    f = np.asarray(faces, np.int64)[r.face[ys, xs]]
    bc = r.barycentric[ys, xs].astype(np.float64)
    if texture is not None and uvs is not None:
        uv = np.einsum("nk,nkc->nc", bc, np.asarray(uvs)[np.asarray(face_uvs)[r.face[ys, xs]]])
        h, w = texture.shape[:2]
        tx = np.clip((uv[:, 0] * w).astype(np.int64), 0, w - 1)
        ty = np.clip(((1.0 - uv[:, 1]) * h).astype(np.int64), 0, h - 1)
        col = texture[ty, tx].astype(np.float64)
    elif vertex_colors is not None:
        col = np.einsum("nk,nkc->nc", bc, np.asarray(vertex_colors, np.float64)[f])
    else:
        col = np.full((len(ys), 3), 200.0)
    v = np.asarray(vertices, np.float64)
    t = v[f]
    n = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
    p = np.einsum("nk,nkc->nc", bc, t)
    shade = np.abs((n * -p).sum(1) / np.maximum(np.linalg.norm(p, axis=1), 1e-20))
    img[ys, xs] = np.clip(col * (0.35 + 0.65 * shade[:, None]), 0, 255).astype(np.uint8)
    return img, r.mask


def turntable_views(canonical: np.ndarray, faces: np.ndarray, size: int = 512, **colours
                    ) -> np.ndarray:
    """(size, 2 * size, 3) uint8: the canonical avatar seen from the front and from the back.

    canonical: (V, 3) float, canonical body frame (y down, facing -z), metres. colours: the
    keyword arguments of ``render_textured`` (uvs, face_uvs, texture or vertex_colors).
    """
    v = np.asarray(canonical, np.float64)
    centre = (v.max(0) + v.min(0)) / 2
    height = float(np.ptp(v[:, 1]))
    cam = Camera.from_fov(size, size, 40.0)
    dist = 1.15 * height / 2 / np.tan(np.radians(20.0))
    out = []
    for turn in (0.0, np.pi):
        c, s = np.cos(turn), np.sin(turn)
        R = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        p = (v - centre) @ R.T + [0.0, 0.0, dist]
        out.append(render_textured(p, faces, cam, **colours)[0])
    return np.concatenate(out, 1)
