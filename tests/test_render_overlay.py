"""The body overlay: drawn where the body projects, blended with the right opacity, shaded,
the input left untouched, keypoints drawn, and no crash for bodies off screen."""
from __future__ import annotations

import numpy as np
import trimesh

from core.render.overlay import draw_body, vertex_normals
from core.render.raster import render_mask
from core.types import Camera

CAM = Camera(fx=900.0, fy=900.0, cx=639.5, cy=359.5, width=1280, height=720)


def _ellipsoid(center=(0.0, 0.0, 3.0)):
    s = trimesh.creation.icosphere(subdivisions=4)
    v = s.vertices * [0.3, 0.8, 0.2] + center
    return v.astype(np.float32), s.faces.astype(np.int64)


def test_overlay_covers_the_silhouette_and_blends_with_alpha():
    v, f = _ellipsoid()
    image = np.full((720, 1280, 3), 40, np.uint8)
    color = (0, 200, 100)
    out = draw_body(image, v, f, CAM, color=color, alpha=0.5)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert (image == 40).all()                      # input untouched
    mask = render_mask(v, f, CAM)
    changed = (out != image).any(-1)
    # Inside the silhouette (away from its soft edge) every pixel changed; far outside none did.
    inner = ~np.asarray(__import__("cv2").dilate((~mask).astype(np.uint8), np.ones((7, 7))), bool)
    outer = __import__("cv2").dilate(mask.astype(np.uint8), np.ones((9, 9))) == 0
    assert changed[inner].all() and not changed[outer].any()
    # Blend: background 40 mixed half-half with a shaded colour that never exceeds ``color``.
    px = out[inner].astype(np.float64)
    assert np.allclose(px[:, 0], 20, atol=1)        # red: 0.5 * 40 + 0.5 * 0
    green = (px[:, 1] - 20) / 0.5 / 200             # recovered shading factor
    assert green.min() > 0.3 and green.max() <= 1.0 + 1e-2
    # Headlight shading: the centre faces the camera (bright), the rim is grazing (darker).
    ys, xs = np.nonzero(inner)
    centre = out[int(CAM.cy), int(CAM.cx), 1]
    assert centre >= out[ys, xs, 1].max() - 2 and centre > out[ys, xs, 1].min() + 20


def test_overlay_full_alpha_and_keypoints():
    v, f = _ellipsoid()
    image = np.zeros((720, 1280, 3), np.uint8)
    kp = np.array([[100, 100, 0.9], [1200, 650, 0.1], [np.nan, 3, 1.0]], np.float32)
    out = draw_body(image, v, f, CAM, color=(255, 255, 255), alpha=1.0, keypoints2d=kp,
                    keypoint_color=(255, 0, 0))
    assert tuple(out[100, 100]) == (255, 0, 0)      # confident keypoint drawn
    assert (out[640:660, 1190:1210] == 0).all()     # low-confidence one skipped
    g = out[int(CAM.cy), int(CAM.cx)]
    assert g[0] == g[1] == g[2] and g[0] > 240      # opaque white, lit head-on


def test_overlay_body_off_screen_or_behind_the_camera():
    image = np.full((720, 1280, 3), 7, np.uint8)
    for center in [(50.0, 0.0, 3.0), (0.0, 0.0, -3.0)]:
        v, f = _ellipsoid(center)
        assert np.array_equal(draw_body(image, v, f, CAM), image)
    # Partly outside: drawn, clipped at the image border without error.
    v, f = _ellipsoid((2.0, 0.0, 3.0))   # projects over x = 1279
    out = draw_body(image, v, f, CAM)
    assert (out[:, -1] != 7).any()


def test_vertex_normals_point_outward_on_a_sphere():
    s = trimesh.creation.icosphere(subdivisions=3)
    n = vertex_normals(s.vertices, s.faces)
    cos = (n * s.vertices / np.linalg.norm(s.vertices, axis=1, keepdims=True)).sum(1)
    assert n.dtype == np.float32 and cos.min() > 0.999
