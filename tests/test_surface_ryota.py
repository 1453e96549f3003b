"""Both surface modes on the PIFu sample photo: detected keypoints, the given person mask,
a quick body fit, then checks of the result and a picture in tests/_artifacts/."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.fitting import FitConfig, Iterations, fit_observation
from core.media import open_source, read_image
from core.perception import PoseDetector
from core.render.raster import render_mask
from core.surface import SurfaceConfig, reconstruct_surface, textured_body
from core.surface.preview import views

TORSO = ("spine05", "spine03", "spine01")


@pytest.fixture(scope="module")
def ryota(ryota_png, ryota_mask_png):
    torch.set_num_threads(2)
    body = load_body_model("anny")
    with open_source(ryota_png) as src:
        frame, cam = src.read(0), src.camera
    with PoseDetector("image") as det:
        obs = det.detect(frame)
    assert obs.person
    obs.mask = (read_image(ryota_mask_png)[0].mean(-1) > 127).astype(np.float32)
    cfg = FitConfig(iterations=Iterations(rigid=30, body=15))
    fit = fit_observation(obs, cam, body, cfg)
    return body, frame.image, cam, obs, fit


@pytest.mark.parametrize("mode", ["depth", "implicit"])
def test_ryota_surface_closed_around_torso_and_on_the_mask(ryota, mode, artifacts):
    body, image, cam, obs, fit = ryota
    s = reconstruct_surface(image, obs, fit, body, SurfaceConfig(mode=mode))
    assert s.edges_manifold() and s.signed_volume() > 0
    torso = np.stack([fit.joints[body.joint_names.index(n)] for n in TORSO])
    np.testing.assert_allclose(s.winding_numbers(torso), 1.0, atol=0.02)
    seen = render_mask(s.vertices, s.faces, cam)
    person = obs.mask > 0.5
    assert (seen & person).sum() / (seen | person).sum() >= 0.95
    # The hoodie is light grey and the trousers dark: colours follow the image.
    y = cam.project(s.vertices)[:, 1]
    ys = np.nonzero(person)[0]
    top, bottom = ys.min(), ys.max()
    grey = s.vertex_colors.astype(float).mean(1)
    chest = (y > top + 0.25 * (bottom - top)) & (y < top + 0.4 * (bottom - top))
    shins = y > top + 0.75 * (bottom - top)
    assert np.median(grey[chest]) > np.median(grey[shins]) + 60
    from PIL import Image

    Image.fromarray(np.concatenate([image, views(s.vertices, s.faces, s.vertex_colors, cam,
                                                  (0.0, 90.0))], 1)).save(
        artifacts / f"surface_ryota_{mode}.png")


def test_ryota_textured_body(ryota, artifacts):
    body, image, cam, obs, fit = ryota
    from core.surface.config import ColorConfig

    tb = textured_body(image, obs, fit, body, SurfaceConfig(color=ColorConfig(texture_size=512)))
    assert tb.texture.shape == (512, 512, 3) and tb.uvs is body.uvs
    assert tb.texture.std() > 20                       # not a flat fill
    from PIL import Image

    Image.fromarray(tb.texture).save(artifacts / "surface_ryota_body_texture.png")
