"""The rasterizer against analytic answers: a sphere's depth (front and back) and disc area,
exact pixel-centre coverage, z-buffer order, clipping, barycentrics and scaling."""
from __future__ import annotations

import math

import numpy as np
import pytest
import trimesh

from core.render.raster import rasterize, render_mask
from core.types import Camera

CAM = Camera(fx=300.0, fy=300.0, cx=127.5, cy=119.5, width=256, height=240)


def _sphere(center, radius, subdivisions=5):
    s = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return (s.vertices + np.asarray(center)).astype(np.float32), s.faces.astype(np.int64)


def _ray_sphere(cam, center, radius):
    """Analytic z of the near and far intersections of every pixel ray (nan on a miss), and the
    distance of each ray from the centre divided by the radius."""
    ys, xs = np.mgrid[0:cam.height, 0:cam.width].astype(np.float64)
    d = np.stack([(xs - cam.cx) / cam.fx, (ys - cam.cy) / cam.fy, np.ones_like(xs)], -1)
    c = np.asarray(center, np.float64)
    # |t d - c|^2 = r^2 with the ray point t d (its z is t since d_z = 1)
    a = (d * d).sum(-1)
    b = -2.0 * (d @ c)
    q = c @ c - radius ** 2
    disc = b * b - 4 * a * q
    with np.errstate(invalid="ignore"):
        t0 = (-b - np.sqrt(disc)) / (2 * a)
        t1 = (-b + np.sqrt(disc)) / (2 * a)
    tmid = -b / (2 * a)
    miss = np.linalg.norm(tmid[..., None] * d - c, axis=-1) / radius
    return t0, t1, miss


@pytest.mark.parametrize("center", [(0.0, 0.0, 2.0), (0.25, -0.15, 1.7)])
def test_sphere_depth_front_and_back_match_ray_intersection(center):
    radius = 0.4
    v, f = _sphere(center, radius)
    r = rasterize(v, f, CAM, back=True)
    t0, t1, miss = _ray_sphere(CAM, center, radius)
    inner = miss < 0.9                       # away from the grazing rim
    assert inner.sum() > 5000
    assert r.mask[inner].all()
    # The inscribed polyhedron lies inside the sphere: front a bit farther, back a bit nearer.
    err_front = r.depth[inner] - t0[inner]
    err_back = t1[inner] - r.depth_back[inner]
    assert err_front.min() > -1e-5 and err_back.min() > -1e-5
    assert err_front.max() < 2e-3 * radius and err_back.max() < 2e-3 * radius
    assert (r.depth_back[inner] - r.depth[inner] > 0.8 * radius).all()   # chord >= 0.87 r
    # Nothing drawn where the ray misses the sphere by a margin; empty pixels are inf / -1.
    outer = miss > 1.02
    assert not r.mask[outer].any()
    assert np.isinf(r.depth[outer]).all() and np.isinf(r.depth_back[outer]).all()
    assert (r.face[outer] == -1).all() and (r.face_back[outer] == -1).all()
    assert r.depth.dtype == np.float32 and r.face.dtype == np.int32


def test_sphere_on_axis_covers_the_analytic_disc():
    center, radius = (0.0, 0.0, 2.5), 0.5
    cam = Camera(fx=400.0, fy=400.0, cx=200.0, cy=200.0, width=401, height=401)
    v, f = _sphere(center, radius, subdivisions=6)
    mask = render_mask(v, f, cam)
    rho = cam.fx * radius / math.sqrt(center[2] ** 2 - radius ** 2)   # image radius, pixels
    area = math.pi * rho ** 2
    assert abs(mask.sum() - area) / area < 0.005
    # The disc is centred on the principal point: its centroid sits there to a tenth of a pixel.
    ys, xs = np.nonzero(mask)
    assert abs(xs.mean() - cam.cx) < 0.1 and abs(ys.mean() - cam.cy) < 0.1
    assert np.array_equal(mask, rasterize(v, f, cam).mask)


def _quad(x0, x1, y0, y1, z):
    v = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], np.float32)
    return v, np.array([[0, 1, 2], [0, 2, 3]], np.int64)


def test_pixel_centres_are_at_integer_coordinates():
    cam = Camera(fx=100.0, fy=100.0, cx=0.0, cy=0.0, width=12, height=10)
    # x in pixels [2.05, 7.95] covers centres 3..7; y [1.5, 4.2] covers rows 2..4.
    v, f = _quad(0.0205, 0.0795, 0.015, 0.042, 1.0)
    expected = np.zeros((10, 12), bool)
    expected[2:5, 3:8] = True
    assert np.array_equal(render_mask(v, f, cam), expected)
    # A centre exactly on an edge counts as covered, with no crack along the shared diagonal
    # (coordinates exact in float32: pixels x 2..8, y 1..5 through fx = fy = 64).
    cam = Camera(fx=64.0, fy=64.0, cx=0.0, cy=0.0, width=12, height=10)
    v, f = _quad(2 / 64, 8 / 64, 1 / 64, 5 / 64, 1.0)
    expected = np.zeros((10, 12), bool)
    expected[1:6, 2:9] = True
    r = rasterize(v, f, cam)
    assert np.array_equal(r.mask, expected)
    assert np.allclose(r.depth[expected], 1.0)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_z_buffer_keeps_the_nearest_face_in_front_and_the_farthest_behind(order):
    near_v, near_f = _quad(-0.1, 0.1, -0.1, 0.1, 1.0)     # pixels 26.5..36.5
    far_v, far_f = _quad(-1.0, 1.0, -1.0, 1.0, 3.0)
    meshes = [(near_v, near_f), (far_v, far_f)]
    (va, fa), (vb, fb) = (meshes[i] for i in order)
    v = np.concatenate([va, vb])
    f = np.concatenate([fa, fb + len(va)])
    cam = Camera(fx=50.0, fy=50.0, cx=31.5, cy=31.5, width=64, height=64)
    r = rasterize(v, f, cam, back=True)
    near_faces = {0, 1} if order == (0, 1) else {2, 3}
    centre = (32, 32)
    assert r.depth[centre] == pytest.approx(1.0) and r.depth_back[centre] == pytest.approx(3.0)
    assert r.face[centre] in near_faces and r.face_back[centre] not in near_faces
    corner = (18, 18)   # only the far quad (pixels 14.8..48.2) covers it
    assert r.depth[corner] == pytest.approx(3.0) == r.depth_back[corner]


def test_slanted_plane_depth_is_perspective_correct():
    # The plane z = 2 + 0.5 x, seen through each pixel: z = 2 / (1 - 0.5 (u - cx) / fx).
    cam = Camera(fx=80.0, fy=80.0, cx=39.5, cy=29.5, width=80, height=60)
    v = np.array([[-1, -1, 1.5], [1, -1, 2.5], [1, 1, 2.5], [-1, 1, 1.5]], np.float32)
    r = rasterize(v, np.array([[0, 1, 2], [0, 2, 3]]), cam, barycentric=True)
    ys, xs = np.nonzero(r.mask)
    assert len(xs) > 2000
    expected = 2.0 / (1.0 - 0.5 * (xs - cam.cx) / cam.fx)
    assert np.abs(r.depth[ys, xs] - expected).max() < 1e-5
    # Barycentrics rebuild the 3D point seen by the pixel: it projects back onto the centre.
    tri = np.array([[0, 1, 2], [0, 2, 3]])[r.face[ys, xs]]
    p = (r.barycentric[ys, xs, :, None] * v[tri]).sum(1)
    uv = cam.project(p)
    assert np.abs(uv[:, 0] - xs).max() < 1e-3 and np.abs(uv[:, 1] - ys).max() < 1e-3
    assert np.allclose(p[:, 2], r.depth[ys, xs], atol=1e-5)
    assert np.allclose(r.barycentric[ys, xs].sum(1), 1.0, atol=1e-5)
    assert (r.barycentric[~r.mask] == 0).all()


def test_triangles_behind_the_camera_are_ignored():
    cam = Camera(fx=50.0, fy=50.0, cx=31.5, cy=31.5, width=64, height=64)
    behind, f = _quad(-1, 1, -1, 1, -2.0)
    straddle = np.array([[-0.1, -0.1, -1.0], [0.1, -0.1, 1.0], [0.0, 0.1, 1.0]], np.float32)
    front, _ = _quad(-0.2, 0.2, -0.2, 0.2, 2.0)
    v = np.concatenate([behind, straddle, front])
    f_all = np.concatenate([f, [[4, 5, 6]], f + 7])
    r = rasterize(v, f_all, cam, back=True)
    assert set(np.unique(r.face)) == {-1, 3, 4}
    assert np.isfinite(r.depth[r.mask]).all() and (r.depth[r.mask] > 0).all()
    assert not render_mask(behind, f, cam).any()


def test_scale_renders_through_the_scaled_camera():
    v, f = _sphere((0.1, 0.0, 2.0), 0.5, subdivisions=4)
    full = rasterize(v, f, CAM)
    half = rasterize(v, f, CAM, scale=0.5)
    assert half.depth.shape == (CAM.scaled(0.5).height, CAM.scaled(0.5).width) == (120, 128)
    assert half.camera == CAM.scaled(0.5)
    assert abs(half.mask.sum() * 4 - full.mask.sum()) / full.mask.sum() < 0.02
    assert np.nanmin(np.where(half.mask, half.depth, np.nan)) == pytest.approx(
        np.nanmin(np.where(full.mask, full.depth, np.nan)), abs=5e-3)


def test_mesh_partly_outside_the_image_and_empty_mesh():
    v, f = _sphere((0.9, 0.0, 1.5), 0.5, subdivisions=3)   # cut by the right image border
    r = rasterize(v, f, CAM, back=True)
    assert r.mask[:, -1].any() and r.mask.any()
    assert np.array_equal(r.mask, render_mask(v, f, CAM))
    empty = rasterize(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64), CAM,
                      back=True, barycentric=True)
    assert not empty.mask.any() and np.isinf(empty.depth).all()
