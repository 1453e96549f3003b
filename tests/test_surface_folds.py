"""Folds from shading (core/surface/folds.py): on a top with folds the shading brings the surface
nearer the truth; on a striped shirt (a print, no folds) it makes it no worse; under a flat
light nothing changes."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.surface import SurfaceConfig, reconstruct_surface
from core.surface.folds import sh_basis
from core.surface.metrics import surface_distances
from core.surface.synthetic import clothed_person, photographed
from core.types import Camera, FrameFit


def _case(kind: str):
    torch.set_num_threads(2)
    body = load_body_model("anny")
    params = body.default_params(transl=(0.05, 0.05, 2.6))
    params.global_orient = np.array([0.0, 0.25, 0.0], np.float32)
    v, j, lm = body.evaluate(params)
    cam = Camera.from_fov(512, 512)
    gv, gf, region = clothed_person(v, body.faces, lm, kind, voxel=0.012, regions=True)
    img, obs = photographed(gv, gf, region, kind, lm, cam)
    return body, img, obs, FrameFit(0, "fitted", cam, params, v, j, lm), (gv, gf)


def _on_off(case, mode):
    body, img, obs, fit, truth = case
    out = {}
    for on in (False, True):
        cfg = SurfaceConfig(mode=mode)
        cfg.folds.enabled = on
        s = reconstruct_surface(img, obs, fit, body, cfg)
        out[on] = (surface_distances((s.vertices, s.faces), truth, 30_000), s)
    return out


@pytest.fixture(scope="module")
def folds():
    return _case("folds")


@pytest.fixture(scope="module")
def shirt():
    return _case("shirt")


@pytest.mark.parametrize("mode", ["depth", "implicit"])
def test_folds_from_shading_bring_the_surface_nearer_the_truth(folds, mode):
    r = _on_off(folds, mode)
    off, on = r[False][0], r[True][0]
    assert on["normal"] > off["normal"] + 0.002
    assert on["chamfer"] < off["chamfer"]
    # Only the visible side moves, and by at most the fold depth.
    moved = np.linalg.norm(r[True][1].vertices - r[False][1].vertices, axis=1)
    assert moved.max() <= SurfaceConfig().folds.max_depth * 1.05 + 1e-4
    assert 0.05 < (moved > 1e-4).mean() < 0.6


def test_a_print_does_not_become_relief(shirt):
    r = _on_off(shirt, "implicit")
    off, on = r[False][0], r[True][0]
    assert on["normal"] >= off["normal"] - 0.001 and on["chamfer"] <= off["chamfer"] + 0.01


def test_flat_light_adds_nothing(shirt):
    body, img, obs, fit, truth = shirt
    flat = np.where(obs.mask[..., None] > 0, 120, 0).astype(np.uint8) * np.ones(3, np.uint8)
    cfg = SurfaceConfig(mode="implicit")
    cfg.implicit.resolution = 96
    s_on = reconstruct_surface(flat, obs, fit, body, cfg)
    cfg.folds.enabled = False
    s_off = reconstruct_surface(flat, obs, fit, body, cfg)
    assert np.allclose(s_on.vertices, s_off.vertices)


def test_sh_basis_orders():
    n = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    assert sh_basis(n, 1).shape == (2, 4) and sh_basis(n, 2).shape == (2, 9)
