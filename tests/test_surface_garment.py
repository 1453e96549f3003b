"""The garment layer: where the labels say garment, the surface follows cloth, not anatomy (the
cleavage and the navel of a female body are spanned); turned off, the anatomy is back; where
skin shows the body's detail is kept."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.render.raster import rasterize, render_mask
from core.surface import SurfaceConfig, reconstruct_surface
from core.types import Camera, FrameFit, Observation


@pytest.fixture(scope="module")
def dressed():
    """A female body facing the camera in a plain blue garment (no face, so every pixel is
    garment and the whole body but the head is clothed)."""
    torch.set_num_threads(2)
    body = load_body_model("anny")
    params = body.default_params(transl=(0.0, 0.1, 2.2))
    names = list(body.shape_names)
    if "gender" in names:
        params.shape = params.shape.copy()
        params.shape[names.index("gender")] = 1.0
    v, j, lm = body.evaluate(params)
    cam = Camera.from_fov(512, 512)
    mask = render_mask(v, body.faces, cam).astype(np.float32)
    img = np.zeros((512, 512, 3), np.uint8)
    img[mask > 0] = (60, 90, 170)
    obs = Observation(0, 512, 512, True, mask=mask)
    return body, img, obs, FrameFit(0, "fitted", cam, params, v, j, lm), cam


def _valley(profile: np.ndarray) -> float:
    """How far (metres) a front-depth profile dips behind the segment joining its two nearest
    points on either side of the middle (the depth of a hollow between two bumps)."""
    n = len(profile)
    mid = n // 2
    left, right = profile[:mid], profile[mid:]
    a, b = int(np.argmin(left)), mid + int(np.argmin(right))
    line = np.interp(np.arange(a, b + 1), [a, b], [profile[a], profile[b]])
    return float((profile[a:b + 1] - line).max())


def _between_bumps(profile: np.ndarray) -> float:
    """How far (metres) a front-depth profile dips behind the segment joining two neighbouring
    bumps (local minima of the depth): the deepest hollow between two bumps, 0 without two."""
    p = np.convolve(np.asarray(profile, np.float64), np.ones(3) / 3, mode="valid")
    bumps = [i for i in range(1, len(p) - 1) if p[i] <= p[i - 1] and p[i] < p[i + 1]]
    best = 0.0
    for a, b in zip(bumps[:-1], bumps[1:]):
        line = np.interp(np.arange(a, b + 1), [a, b], [p[a], p[b]])
        best = max(best, float((p[a:b + 1] - line).max()))
    return best


def _widest_valley(depth: np.ndarray, rows, cx: int) -> float:
    """The deepest hollow of the rows' front-depth profiles 30 pixels either side of cx."""
    return max(_valley(depth[r, cx - 30:cx + 31]) for r in rows
               if np.isfinite(depth[r, cx - 30:cx + 31]).all())


def _front(vertices, faces, cam):
    return rasterize(vertices, faces, cam).depth


@pytest.mark.parametrize("mode", ["depth", "implicit"])
def test_cloth_spans_the_cleavage_and_the_navel(dressed, mode):
    body, img, obs, fit, cam = dressed
    j = {n: fit.joints[body.joint_names.index(n)] for n in body.joint_names}
    chest = cam.project(j["spine01"] if "spine01" in j else fit.joints[0])
    navel = cam.project(j["spine04"] if "spine04" in j else fit.joints[0])
    results = {}
    for garment in (True, False):
        cfg = SurfaceConfig(mode=mode)
        cfg.garment.enabled = garment
        cfg.folds.enabled = False
        s = reconstruct_surface(img, obs, fit, body, cfg)
        d = _front(s.vertices, s.faces, cam)
        cx = int(round(chest[0]))
        # Across the chest below the neck (the bust) and down the belly's midline.
        bust_rows = range(int(chest[1]) + 5, int(navel[1]) - 5)
        bust = _widest_valley(d, bust_rows, cx)
        col = d[int(chest[1]):int(navel[1]) + 40, cx]
        results[garment] = (bust, _between_bumps(col[np.isfinite(col)]))
    body_d = _front(fit.vertices, body.faces, cam)
    cx = int(round(chest[0]))
    body_bust = _widest_valley(body_d, range(int(chest[1]) + 5, int(navel[1]) - 5), cx)
    assert body_bust > 0.01                                 # the naked body has a cleavage
    assert results[False][0] > 0.6 * body_bust              # without the garment layer: too
    assert results[True][0] < 0.3 * body_bust               # with it, cloth spans it
    col = body_d[int(chest[1]):int(navel[1]) + 40, cx]
    body_belly = _between_bumps(col[np.isfinite(col)])
    assert body_belly > 0.003                               # under the bust, the navel
    assert results[True][1] < 0.3 * body_belly              # cloth hangs over them
