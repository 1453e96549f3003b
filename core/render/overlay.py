"""The fitted body drawn over a frame: shaded, semi-transparent, cheap enough for scrubbing.

Speed comes from rasterizing only the body's bounding box at a reduced internal resolution
(``max_side`` pixels on its longer side), then upsampling that patch with ``cv2.resize`` and
alpha-blending it inside the box only. Upsampling the coverage too gives soft (anti-aliased)
edges for free. 1920x1080 with the 27k-triangle Anny body costs ~25 ms of CPU time on the
shared 2-core box (bench/overlay.py).
"""
from __future__ import annotations

import cv2
import numpy as np

from core.render.raster import NEAR, rasterize
from core.types import Camera

#: Default body colour (RGB, 0-255): a light blue that reads on skin, clothes and backgrounds.
BODY_COLOR = (130, 180, 255)
#: Default keypoint colour (RGB, 0-255).
KEYPOINT_COLOR = (255, 80, 40)


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) float32 unit area-weighted vertex normals of a mesh (same frame as ``vertices``).

    vertices: (V, 3) float. faces: (F, 3) int, counter-clockwise seen from outside gives outward
    normals. Vertices used by no face get a zero normal.
    """
    v = np.asarray(vertices, np.float32)
    f = np.asarray(faces, np.int64)
    p0, p1, p2 = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    e1, e2 = p1 - p0, p2 - p0
    fn = (e1[:, [1, 2, 0]] * e2[:, [2, 0, 1]]
          - e1[:, [2, 0, 1]] * e2[:, [1, 2, 0]])                 # cross product, |.| = 2 * area
    idx = f.ravel()
    n = np.stack([np.bincount(idx, np.repeat(fn[:, k], 3), minlength=len(v)) for k in range(3)], 1)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)
    return n.astype(np.float32)


def _headlight(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V,) float32 Lambert intensity in [0, 1] of a light at the camera centre (two-sided, so a
    mesh with flipped winding shades the same)."""
    n = vertex_normals(vertices, faces)
    d = np.asarray(vertices, np.float32)
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-20)
    return np.abs((n * d).sum(1))


def draw_body(image: np.ndarray, vertices: np.ndarray, faces: np.ndarray, camera: Camera,
              color: tuple[int, int, int] = BODY_COLOR, alpha: float = 0.6,
              keypoints2d: np.ndarray | None = None, *, max_side: int = 448,
              ambient: float = 0.35, keypoint_color: tuple[int, int, int] = KEYPOINT_COLOR,
              keypoint_threshold: float = 0.3) -> np.ndarray:
    """The image with the body drawn over it.

    image: (H, W, 3) uint8 RGB; camera: its intrinsics (camera.width/height should match W/H; the
        image size wins, the intrinsics are used as they are).
    vertices: (V, 3) float, camera frame, metres. faces: (F, 3) int.
    color: RGB 0-255 of the body; alpha: its opacity in [0, 1].
    keypoints2d: optional (K, 2) or (K, 3) float pixels [x, y(, confidence)]; points with a
        confidence below ``keypoint_threshold`` are not drawn.
    max_side: longer side in pixels of the internal raster of the body's bounding box.
    ambient: share of the colour that does not depend on the light, in [0, 1].
    returns: (H, W, 3) uint8 RGB, a new array (the input is not modified).
    """
    out = np.array(image, dtype=np.uint8, copy=True)
    H, W = out.shape[:2]
    v = np.asarray(vertices, np.float32)
    f = np.asarray(faces, np.int64)
    box = _bbox(v, camera, W, H)
    if box is not None and alpha > 0 and len(f):
        _blend_patch(out, v, f, camera, box, color, alpha, max_side, ambient)
    if keypoints2d is not None:
        _draw_points(out, np.asarray(keypoints2d, np.float32), keypoint_color, keypoint_threshold)
    return out


def _bbox(v: np.ndarray, camera: Camera, W: int, H: int) -> tuple[int, int, int, int] | None:
    """Integer pixel box [x0, x1) x [y0, y1) around the projected vertices, clipped to the
    image, or None when nothing in front of the camera falls inside it."""
    front = v[v[:, 2] > NEAR]
    if len(front) == 0:
        return None
    p = camera.project(front)
    lo = np.floor(p.min(0)) - 1
    hi = np.ceil(p.max(0)) + 2
    x0, y0 = int(max(lo[0], 0)), int(max(lo[1], 0))
    x1, y1 = int(min(hi[0], W)), int(min(hi[1], H))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _blend_patch(out: np.ndarray, v: np.ndarray, f: np.ndarray, camera: Camera,
                 box: tuple[int, int, int, int], color, alpha: float, max_side: int,
                 ambient: float) -> None:
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    s = min(1.0, max_side / max(bw, bh))
    lw, lh = max(1, round(bw * s)), max(1, round(bh * s))
    sx, sy = lw / bw, lh / bh
    # The patch camera maps exactly like cv2.resize from (lw, lh) back to (bw, bh):
    # a low-res pixel centre i sits at full-res (i + 0.5) / s - 0.5.
    patch = Camera(camera.fx * sx, camera.fy * sy, (camera.cx - x0 + 0.5) * sx - 0.5,
                   (camera.cy - y0 + 0.5) * sy - 0.5, lw, lh)
    r = rasterize(v, f, patch, barycentric=True)
    hit = r.face >= 0
    if not hit.any():
        return
    light = _headlight(v, f)
    shade = np.zeros((lh, lw), np.float32)
    corners = f[r.face[hit]]                                  # (N, 3)
    shade[hit] = (r.barycentric[hit] * light[corners]).sum(1)
    shade = ambient + (1.0 - ambient) * shade
    a = hit.astype(np.float32) * float(alpha)                  # coverage * opacity
    # Premultiplied colour and opacity in uint8: resizing and blending 8-bit images is several
    # times cheaper than float at full resolution, and costs at most 1 level of rounding.
    premul = (shade * a)[..., None] * np.asarray(color, np.float32)[None, None, :]
    premul = cv2.convertScaleAbs(premul)                       # rounds and saturates to uint8
    a8 = cv2.convertScaleAbs(a, alpha=255.0)
    if (lw, lh) != (bw, bh):
        a8 = cv2.resize(a8, (bw, bh), interpolation=cv2.INTER_LINEAR)
        premul = cv2.resize(premul, (bw, bh), interpolation=cv2.INTER_LINEAR)
    region = out[y0:y1, x0:x1]
    keep = cv2.merge([255 - a8] * 3)
    cv2.add(cv2.multiply(region, keep, scale=1.0 / 255.0), premul, dst=region)


def _draw_points(out: np.ndarray, kp: np.ndarray, color, threshold: float) -> None:
    H, W = out.shape[:2]
    radius = max(2, round(max(H, W) / 300))
    ok = np.isfinite(kp[:, :2]).all(1)
    if kp.shape[1] > 2:
        ok &= kp[:, 2] >= threshold
    for x, y in kp[ok, :2]:
        cv2.circle(out, (int(round(x)), int(round(y))), radius, tuple(int(c) for c in color), -1,
                   cv2.LINE_AA)
