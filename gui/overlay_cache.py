"""The fitted body over a frame, drawn at display resolution and only where the body is.

A scrub step used to draw the body into a full-resolution transparent layer (1280x720 or
1920x1080 RGBA, then copied into a QPixmap) although the window shows the frame at about half
that size. ``body_patch`` draws only the body's box, at ``scale`` of full resolution (the frame
view's zoom, see FrameView.overlay_scale), with the same core.render.overlay.draw_body (through
gui.pipeline.body_layer); the frame view stretches the patch over the box. Only the triangles
that face the camera are drawn: a closed body's visible surface is made of them, so the covered
pixels are the same, in ~60 % of the time (the rasterizer's cost is per triangle); only the
shading of the outline's last pixel row changes a little. ``BodyOverlays``
keeps the patches of recently shown frames (LRU, ``max_bytes``), so scrubbing back and forth
draws each body once.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from core.types import Camera
from gui import pipeline

#: Points closer to the camera plane than this (metres) are left out of the body's box.
NEAR = 1e-3


@dataclass
class Patch:
    """An RGBA layer covering part of a frame.

    rgba: (h, w, 4) uint8, stretched over ``box`` = (x0, y0, x1, y1), full-resolution pixel
    edges ([x0, x1) x [y0, y1)); h, w may be smaller than the box (drawn at reduced scale).
    """

    rgba: np.ndarray
    box: tuple[int, int, int, int]


def body_patch(vertices: np.ndarray, faces: np.ndarray, camera: Camera,
               scale: float = 1.0) -> Patch | None:
    """The shaded body of ``vertices`` (V, 3) float32 camera frame, metres (faces (F, 3) int64)
    as seen by ``camera``, drawn at ``scale`` (0, 1] of full resolution; None when no part of
    the body falls inside the frame."""
    v = np.asarray(vertices, np.float32)
    front = v[v[:, 2] > NEAR]
    if len(front) == 0:
        return None
    p = camera.project(front)
    x0, y0 = (max(0, int(math.floor(c)) - 1) for c in p.min(0))
    x1 = min(camera.width, int(math.ceil(p[:, 0].max())) + 2)
    y1 = min(camera.height, int(math.ceil(p[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return None
    faces = front_faces(v, np.asarray(faces, np.int64))
    bw, bh = x1 - x0, y1 - y0
    lw, lh = max(1, round(bw * scale)), max(1, round(bh * scale))
    sx, sy = lw / bw, lh / bh
    # pixel centres: patch pixel i sits at full-resolution x0 + (i + 0.5) / sx - 0.5
    crop = Camera(camera.fx * sx, camera.fy * sy, (camera.cx - x0 + 0.5) * sx - 0.5,
                  (camera.cy - y0 + 0.5) * sy - 0.5, lw, lh)
    return Patch(pipeline.body_layer(v, faces, crop), (x0, y0, x1, y1))


def front_faces(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The rows of ``faces`` (F, 3) int whose triangle faces the camera at the origin of the
    camera frame (vertices (V, 3) float, metres). The mesh's orientation (outward normals
    counter-clockwise or clockwise) is read from the sign of its enclosed volume."""
    p0, p1, p2 = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    normal = np.cross(p1 - p0, p2 - p0)            # outward for counter-clockwise faces
    toward = (normal * (p0 + p1 + p2)).sum(1)      # < 0: the face looks at the camera
    outward = (normal * p0).sum() >= 0.0           # 6 x signed volume
    return faces[toward < 0] if outward else faces[toward > 0]


class BodyOverlays:
    """Body patches of recently shown frames, at most ``max_bytes`` of RGBA (default 32 MiB)."""

    def __init__(self, max_bytes: int = 32 * 2**20) -> None:
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self._patches: OrderedDict[tuple, tuple[object, object, Patch | None]] = OrderedDict()

    def get(self, index: int, fit, faces: np.ndarray, scale: float) -> Patch | None:
        """The patch of ``fit`` (a FrameFit with vertices and camera) of frame ``index``; drawn
        when the cache holds none for this very fit, faces and scale."""
        key = (int(index), round(float(scale), 4))
        hit = self._patches.get(key)
        if hit is not None and hit[0] is fit and hit[1] is faces:
            self._patches.move_to_end(key)
            return hit[2]
        patch = body_patch(fit.vertices, faces, fit.camera, scale)
        self._store(key, (fit, faces, patch))
        return patch

    def _store(self, key: tuple, entry: tuple) -> None:
        old = self._patches.pop(key, None)
        if old is not None and old[2] is not None:
            self.nbytes -= old[2].rgba.nbytes
        self._patches[key] = entry
        self.nbytes += entry[2].rgba.nbytes if entry[2] is not None else 0
        while self.nbytes > self.max_bytes and len(self._patches) > 1:
            _, (_, _, dropped) = self._patches.popitem(last=False)
            self.nbytes -= dropped.rgba.nbytes if dropped is not None else 0

    def clear(self) -> None:
        self._patches.clear()
        self.nbytes = 0
