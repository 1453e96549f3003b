"""Colours of the avatar from many frames, through the texture stage's UV baker.

Each frame adds colour to every texel of the avatar's UV layout that it sees (z-buffer
visibility, core.texture.visibility), weighted by cos(normal, view)^2 (UVBaker) times the
frame's trust: how well the avatar's silhouette matches the person mask there (IoU) and how
close its keypoints land, so a badly fitted frame smears little. Texels no frame saw and the
gutters between UV islands take the nearest baked colour (UVBaker.texture), so seams do not
show. Vertex colours are the texture read at each vertex's UV.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from core.progress import NEVER, CancelToken
from core.texture.uv_bake import UVBaker
from core.types import Camera, Progress


def frame_trust(iou: float, keypoint_error_px: float, person_px: float, min_iou: float) -> float:
    """Weight in [0, 1] of a frame's colours: 0 below ``min_iou``, rising to 1 at IoU 1, times
    a falloff with the keypoint error relative to the person's height in pixels."""
    if not np.isfinite(iou) or iou < min_iou:
        return 0.0
    w = ((iou - min_iou) / max(1.0 - min_iou, 1e-6)) ** 2
    if np.isfinite(keypoint_error_px):
        w *= float(np.exp(-keypoint_error_px / max(0.05 * person_px, 1.0)))
    return float(w)


def bake_avatar_colors(faces: np.ndarray, uvs: np.ndarray | None, face_uvs: np.ndarray | None,
                       views: list[tuple[int, np.ndarray, Camera, float]],
                       read_frame: Callable[[int], tuple[np.ndarray, np.ndarray]],
                       size: int, erode: int = 2, *, cancel: CancelToken = NEVER
                       ) -> Iterator[object]:
    """Job generator: bake the texture and vertex colours of an avatar.

    faces: (F, 3) int64. uvs (T, 2) / face_uvs (F, 3): the layout (None: vertex colours from
    a per-vertex bake). views: (frame number, (V, 3) posed vertices in that frame's camera frame
    (metres), camera, trust weight) per frame. read_frame(index) -> ((H, W, 3) uint8 RGB image,
    (H, W) bool person mask). size: texture side (pixels).
    yields Progress("texture", done, total); returns (texture (size, size, 3) uint8 or None,
    vertex_colors (V, 3) uint8).
    """
    n_verts = int(np.asarray(faces).max()) + 1
    views = [v for v in views if v[3] > 0]
    if uvs is None or face_uvs is None or size <= 0 or not views:
        return None, (yield from _best_view_colors(faces, views, read_frame, erode, n_verts))
    baker = UVBaker(faces, uvs, face_uvs, size)
    for done, (index, verts, camera, weight) in enumerate(views, 1):
        if cancel.cancelled:
            break
        image, mask = read_frame(index)
        baker.add_view(image, mask, verts, camera, weight=weight, erode=erode)
        yield Progress("texture", done, len(views), f"frame {index}")
    tex = baker.texture()
    return tex, sample_at_vertices(tex, faces, uvs, face_uvs, n_verts)


def _best_view_colors(faces, views, read_frame, erode, n_verts):
    """Vertex colours from the most trusted frame alone (no UV layout to bake into)."""
    from core.texture.vertex_colors import vertex_colors

    if not views:
        return np.full((n_verts, 3), 160, np.uint8)
    index, verts, camera, _ = max(views, key=lambda v: v[3])
    image, mask = read_frame(index)
    colors, _ = vertex_colors(image, mask, verts, faces, camera, erode)
    yield Progress("texture", 1, 1, f"frame {index}")
    return colors


def sample_at_vertices(texture: np.ndarray, faces: np.ndarray, uvs: np.ndarray,
                       face_uvs: np.ndarray, n_verts: int) -> np.ndarray:
    """(n_verts, 3) uint8: the texture (H, W, 3) at the UV of each vertex's first face corner."""
    f, ft = np.asarray(faces, np.int64).ravel(), np.asarray(face_uvs, np.int64).ravel()
    uv_of = np.zeros(n_verts, np.int64)
    uv_of[f[::-1]] = ft[::-1]
    t = np.asarray(uvs, np.float64)[uv_of]
    h, w = texture.shape[:2]
    x = np.clip(np.rint(t[:, 0] * w - 0.5).astype(np.int64), 0, w - 1)
    y = np.clip(np.rint((1.0 - t[:, 1]) * h - 0.5).astype(np.int64), 0, h - 1)
    return texture[y, x].astype(np.uint8)

