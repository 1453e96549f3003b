"""Memory and time bounded by the person, not the photo: a large generated image costs the
grid of a small one, and a surface whose estimate exceeds the memory allowed is refused with a
sentence or run coarser."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.errors import StudioError
from core.render.raster import render_mask
from core.surface import SurfaceConfig, reconstruct_surface
from core.surface.budget import MIN_IMPLICIT_RESOLUTION, plan_surface, working_view
from core.surface.depth import MAX_SLICES
from core.types import Camera, FrameFit, Observation


def _scene(width: int, height: int):
    body = load_body_model("anny")
    params = body.default_params(transl=(0.0, 0.05, 2.6))
    v, j, lm = body.evaluate(params)
    cam = Camera.from_fov(width, height)
    mask = render_mask(v, body.faces, cam).astype(np.float32)
    img = np.zeros((height, width, 3), np.uint8)
    img[mask > 0] = (90, 130, 200)
    kp = np.concatenate([cam.project(lm), np.ones((33, 1))], 1).astype(np.float32)
    obs = Observation(0, width, height, True, kp, mask=mask)
    return body, img, obs, FrameFit(0, "fitted", cam, params, v, j, lm)


@pytest.fixture(scope="module")
def small():
    torch.set_num_threads(2)
    return _scene(512, 512)


@pytest.fixture(scope="module")
def large():
    return _scene(4000, 6000)             # 24 megapixels, the person ~5000 px tall


@pytest.mark.parametrize("mode", ["depth", "implicit"])
def test_a_24_megapixel_image_uses_the_grid_of_a_small_one(small, large, mode):
    cfg = SurfaceConfig(mode=mode)
    cfg.folds.enabled = False
    grids = []
    for body, img, obs, fit in (small, large):
        view = working_view(img, obs.mask, obs, fit.camera, cfg.budget.work_size)
        assert max(view.mask.shape) <= 1.2 * cfg.budget.work_size
        grids.append(plan_surface(view, fit.vertices, cfg).shape)
    body, img, obs, fit = large
    s = reconstruct_surface(img, obs, fit, body, cfg)
    assert s.edges_manifold()
    budget = cfg.depth.cells if mode == "depth" else cfg.implicit.resolution
    nx, ny, nz = s.grid
    assert max(nx, ny) <= budget + 16 and nz <= max(MAX_SLICES, budget + 16)
    # The same person at 24 megapixels: at most 1.3x the cells of the 512-pixel image.
    assert np.prod(grids[1]) <= 1.3 * np.prod(grids[0])
    # Reprojects onto the large mask like the small one.
    seen = render_mask(s.vertices, s.faces, fit.camera.scaled(0.125))
    person = render_mask(fit.vertices, body.faces, fit.camera.scaled(0.125))
    assert (seen & person).sum() / person.sum() > 0.95


def test_over_the_memory_allowed_refuses_with_a_sentence_or_coarsens(small):
    body, img, obs, fit = small
    cfg = SurfaceConfig(mode="implicit")
    cfg.budget.max_memory_gb = 0.05
    cfg.budget.over_budget = "refuse"
    with pytest.raises(StudioError, match="memory"):
        reconstruct_surface(img, obs, fit, body, cfg)
    cfg.budget.max_memory_gb = 0.3
    cfg.budget.over_budget = "coarsen"
    view = working_view(img, obs.mask, obs, fit.camera, cfg.budget.work_size)
    plan = plan_surface(view, fit.vertices, cfg)
    assert MIN_IMPLICIT_RESOLUTION <= plan.cells < cfg.implicit.resolution
    assert plan.estimate <= plan.limit and "coarser" in plan.notes[0]
    cfg.budget.max_memory_gb = 0.01
    with pytest.raises(StudioError, match="lowest detail"):
        plan_surface(view, fit.vertices, cfg)
