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
draws each body once, and ``OverlayPrefetcher`` draws the next few bodies in the direction of
the scrub on a low-priority thread (numpy releases the GIL in its loops), so a step usually
finds its body drawn. Everything here is numpy; no Qt.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from core.threads import lower_thread_priority
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
    """Body patches of recently shown (and prefetched) frames, at most ``max_bytes`` of RGBA
    (default 32 MiB: ~250 patches of a standing person at 720p, half scale); thread-safe."""

    def __init__(self, max_bytes: int = 32 * 2**20) -> None:
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self.hits = self.misses = 0
        self._patches: OrderedDict[tuple, tuple[object, object, Patch | None]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, index: int, fit, faces: np.ndarray, scale: float):
        """(True, patch) when the cache holds the patch of this very fit, faces and scale, else
        (False, None)."""
        key = (int(index), round(float(scale), 4))
        with self._lock:
            hit = self._patches.get(key)
            if hit is not None and hit[0] is fit and hit[1] is faces:
                self._patches.move_to_end(key)
                return True, hit[2]
        return False, None

    def get(self, index: int, fit, faces: np.ndarray, scale: float) -> Patch | None:
        """The patch of ``fit`` (a FrameFit with vertices and camera) of frame ``index``; drawn
        when the cache holds none for this very fit, faces and scale."""
        found, patch = self.cached(index, fit, faces, scale)
        self.hits += found
        self.misses += not found
        if not found:
            patch = body_patch(fit.vertices, faces, fit.camera, scale)
            self.put(index, fit, faces, scale, patch)
        return patch

    def put(self, index: int, fit, faces: np.ndarray, scale: float, patch: Patch | None) -> None:
        key = (int(index), round(float(scale), 4))
        with self._lock:
            old = self._patches.pop(key, None)
            if old is not None and old[2] is not None:
                self.nbytes -= old[2].rgba.nbytes
            self._patches[key] = (fit, faces, patch)
            self.nbytes += patch.rgba.nbytes if patch is not None else 0
            while self.nbytes > self.max_bytes and len(self._patches) > 1:
                _, (_, _, dropped) = self._patches.popitem(last=False)
                self.nbytes -= dropped.rgba.nbytes if dropped is not None else 0

    def clear(self) -> None:
        with self._lock:
            self._patches.clear()
            self.nbytes = 0


class OverlayPrefetcher:
    """Draws body patches into a BodyOverlays cache ahead of the scrub, on a daemon thread
    whose nice value is raised by ``nice`` (core.threads).

    ``plan(work)`` replaces the work not started yet (the latest plan wins): a list of
    (index, fit, faces, scale), nearest-needed first.
    """

    def __init__(self, overlays: BodyOverlays, nice: int = 15) -> None:
        self.overlays = overlays
        self.nice = nice
        self.drawn = 0
        self._work: list[tuple] = []
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="overlay-prefetch", daemon=True)
        self._thread.start()

    def plan(self, work: list[tuple]) -> None:
        with self._wake:
            self._work = list(work)
            self._wake.notify()

    def close(self, timeout_s: float = 5.0) -> None:
        with self._wake:
            self._closed, self._work = True, []
            self._wake.notify()
        self._thread.join(timeout_s)

    def _next(self):
        with self._wake:
            while not self._work and not self._closed:
                self._wake.wait()
            return None if self._closed else self._work.pop(0)

    def _run(self) -> None:
        lower_thread_priority(self.nice)
        while (item := self._next()) is not None:
            index, fit, faces, scale = item
            if self.overlays.cached(index, fit, faces, scale)[0]:
                continue
            try:
                patch = body_patch(fit.vertices, faces, fit.camera, scale)
            except Exception:  # noqa: BLE001 - the window draws it itself then, and says why
                continue
            self.overlays.put(index, fit, faces, scale, patch)
            self.drawn += 1
