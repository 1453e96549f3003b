"""Both surface modes on a synthetic clothed person (skirt + hair are separate cases; the true
body stands in for the fit so this tests the surface, not the fitter)."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.errors import StudioError
from core.progress import CancelToken, drive
from core.render.raster import render_mask
from core.surface import SurfaceConfig, reconstruct_frames, reconstruct_surface
from core.surface.config import DepthConfig, ImplicitConfig
from core.surface.metrics import surface_distances
from core.surface.synthetic import clothed_person
from core.types import Camera, FrameFit, Observation, Progress

TORSO = ("spine05", "spine03", "spine01", "neck01")


@pytest.fixture(scope="module")
def scene():
    torch.set_num_threads(2)
    body = load_body_model("anny")
    params = body.default_params(transl=(0.0, 0.05, 2.6))
    v, j, lm = body.evaluate(params)
    cam = Camera.from_fov(384, 384)
    gv, gf = clothed_person(v, body.faces, lm, "skirt", voxel=0.012)
    mask = render_mask(gv, gf, cam).astype(np.float32)
    img = np.zeros((384, 384, 3), np.uint8)
    img[mask > 0] = (40, 160, 90)
    img[:, :192][mask[:, :192] > 0] = (200, 40, 40)             # left half red in the image
    obs = Observation(0, 384, 384, True, mask=mask)
    fit = FrameFit(0, "fitted", cam, params, v, j, lm)
    torso = np.stack([j[body.joint_names.index(n)] for n in TORSO])
    return body, cam, img, obs, fit, torso, (gv, gf)


@pytest.mark.parametrize("mode", ["depth", "implicit"])
def test_clothed_surface_is_closed_encloses_torso_and_matches_mask(scene, mode):
    body, cam, img, obs, fit, torso, (gv, gf) = scene
    cfg = SurfaceConfig(mode=mode, depth=DepthConfig(cells=192), implicit=ImplicitConfig(resolution=120))
    s = reconstruct_surface(img, obs, fit, body, cfg)
    assert s.vertices.dtype == np.float32 and s.faces.dtype == np.int64
    assert s.vertex_colors.shape == (s.num_vertices, 3) and s.vertex_colors.dtype == np.uint8
    assert s.edges_manifold() and s.signed_volume() > 0
    np.testing.assert_allclose(s.winding_numbers(torso), 1.0, atol=0.02)
    seen = render_mask(s.vertices, s.faces, cam)
    person = obs.mask > 0.5
    assert (seen & person).sum() / (seen | person).sum() >= 0.95
    # The skirt is recovered: nearer the clothed truth than the naked body is.
    ours = surface_distances((s.vertices, s.faces), (gv, gf), 20_000)["chamfer"]
    naked = surface_distances((fit.vertices, body.faces), (gv, gf), 20_000)["chamfer"]
    assert ours < 0.95 * naked
    # Colours: the image's red half lands on the surface's image-left side (x < centre).
    u = cam.project(s.vertices)[:, 0]
    red = s.vertex_colors[:, 0].astype(int) > s.vertex_colors[:, 1]
    assert red[u < 180].mean() > 0.9 and red[u > 204].mean() < 0.1


def test_job_generator_streams_meshes_and_skips_frames_without_a_fit(scene):
    body, cam, img, obs, fit, *_ = scene
    cfg = SurfaceConfig(depth=DepthConfig(cells=128))
    items = []
    result = drive(reconstruct_frames([0, 1], lambda i: img, {0: obs}, {0: fit}, body, cfg),
                   on_progress=items.append, on_item=items.append)
    assert list(result) == [0] and result[0].mode == "depth"
    assert any("skipped" in p.message for p in items if isinstance(p, Progress))
    cancel = CancelToken()
    cancel.cancel()
    assert drive(reconstruct_frames([0], lambda i: img, {0: obs}, {0: fit}, body, cfg,
                                    cancel=cancel)) == {}


def test_bad_inputs_say_what_to_do(scene):
    body, cam, img, obs, fit, *_ = scene
    with pytest.raises(StudioError, match="Fit"):
        reconstruct_surface(img, obs, FrameFit(0, "no_person", cam), body)
    with pytest.raises(StudioError, match="mode"):
        reconstruct_surface(img, obs, fit, body, SurfaceConfig(mode="voxels"))
    empty = Observation(0, 384, 384, True, mask=np.zeros((384, 384), np.float32))
    with pytest.raises(StudioError, match="empty"):
        reconstruct_surface(img, empty, fit, body)
