"""The silhouette loss: minimal at the truth, recovers a known offset and scale from a mask made
by render_mask, finite gradients anywhere (outside the image, behind the camera)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from core.render.raster import render_mask
from core.render.silhouette import SilhouetteTarget, silhouette_iou
from core.types import Camera

CAM = Camera.from_fov(480, 640)


@pytest.fixture(autouse=True)
def one_thread():
    """These tensors are small: one thread avoids OpenMP stalls on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _shape():
    """An asymmetric 'person-like' blob: a tall ellipsoid with an off-centre ball (arm/head)."""
    body = trimesh.creation.icosphere(subdivisions=4)
    v1 = body.vertices * [0.25, 0.8, 0.15]
    ball = trimesh.creation.icosphere(subdivisions=3, radius=0.15)
    v2 = ball.vertices + [0.3, -0.55, 0.0]
    v = np.concatenate([v1, v2]).astype(np.float32)
    f = np.concatenate([body.faces, ball.faces + len(v1)]).astype(np.int64)
    return v, f


def _place(v, t, s, z=3.0):
    return v * s + torch.cat([t, torch.tensor([z], dtype=v.dtype)])


def test_optimizing_translation_and_scale_recovers_the_truth():
    v, f = _shape()
    true_t, true_s = np.array([0.18, -0.12], np.float32), 1.15
    mask = render_mask(v * true_s + np.append(true_t, 3.0).astype(np.float32), f, CAM)
    target = SilhouetteTarget.from_mask(mask, CAM, max_side=256)
    assert max(target.mask.shape) == 256
    V = torch.from_numpy(v)
    t = torch.zeros(2, requires_grad=True)
    log_s = torch.zeros((), requires_grad=True)
    opt = torch.optim.Adam([t, log_s], lr=0.01)
    for _ in range(150):
        opt.zero_grad()
        loss = target.loss(_place(V, t, torch.exp(log_s))[None])
        loss.sum().backward()
        opt.step()
    assert np.abs(t.detach().numpy() - true_t).max() < 0.01          # metres, at 3 m
    assert abs(torch.exp(log_s).item() - true_s) < 0.02
    fitted = render_mask(_place(V, t, torch.exp(log_s)).detach().numpy(), f, CAM)
    assert silhouette_iou(fitted, mask) > 0.95


def test_loss_is_smallest_at_the_truth_and_grows_with_the_offset():
    v, f = _shape()
    placed = v + np.float32([0, 0, 3.0])
    target = SilhouetteTarget.from_mask(render_mask(placed, f, CAM).astype(np.float32), CAM)
    shifts = [0.0, 0.02, 0.05, 0.1, 0.3]
    batch = torch.stack([torch.from_numpy(placed + np.float32([dx, 0, 0])) for dx in shifts])
    loss = target.loss(batch)
    assert loss.shape == (len(shifts),)
    assert (loss.diff() > 0).all()
    assert loss[0] < 0.01                      # < 1 % of the image side at the truth
    inside, cover = target.terms(batch)
    assert torch.allclose(inside + cover, loss)


def test_gradients_are_finite_outside_the_image_and_behind_the_camera():
    v, f = _shape()
    target = SilhouetteTarget.from_mask(render_mask(v + np.float32([0, 0, 3]), f, CAM), CAM)
    for offset in ([5.0, -4.0, 3.0], [0.0, 0.0, -2.0], [0.0, 0.0, 0.0], [1e4, 0.0, 1e-6]):
        x = torch.from_numpy(v + np.float32(offset))[None].requires_grad_(True)
        loss = target.loss(x)
        loss.sum().backward()
        assert torch.isfinite(loss).all() and torch.isfinite(x.grad).all()
    # Far outside the image the pull still points back towards the mask.
    x = torch.from_numpy(v + np.float32([5.0, 0, 3.0]))[None].requires_grad_(True)
    target.loss(x).sum().backward()
    assert x.grad[0, :, 0].sum() > 0          # decreasing x lowers the loss


def test_empty_mask_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="empty"):
        SilhouetteTarget.from_mask(np.zeros((64, 48), bool), Camera.from_fov(48, 64))


def test_iou():
    a = np.zeros((10, 10), bool)
    b = np.zeros((10, 10), bool)
    a[:, :5] = True
    b[:, 2:7] = True
    assert silhouette_iou(a, b) == pytest.approx(30 / 70)
    assert silhouette_iou(a, a) == 1.0 and silhouette_iou(b & False, a & False) == 1.0
