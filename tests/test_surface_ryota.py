"""Both surface modes on the PIFu sample photo (a grey hoodie, black jeans, black hair):
detected keypoints and face, the given person mask, a quick body fit, then checks of the result
and pictures in tests/_artifacts/: the surface without colours from the front, the side and the
back (no anatomy through the hoodie, a hood), and with colours from the front and the back (no
face on the back of the head)."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.export.upright import fits_up
from core.fitting import FitConfig, Iterations, fit_observation
from core.media import open_source, read_image
from core.perception import PoseDetector
from core.render.raster import render_mask
from core.surface import SurfaceConfig, reconstruct_surface, textured_body
from core.surface.preview import levelled, render_colored, turned

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
    # The back of the head takes the hair's colour, not the face's.
    hair, skin = _image_hair_and_skin(image, obs)
    head = _back_of_head(s, fit, body, cam)
    assert head.sum() > 30
    back = s.vertex_colors[head].astype(float).mean(0)
    assert np.linalg.norm(back - hair) < np.linalg.norm(back - skin)
    assert s.labels is not None and s.labels.face_seeded
    from PIL import Image

    grey = np.full_like(s.vertex_colors, 200)
    big = cam.scaled(1.5)
    level = levelled(s.vertices, fits_up([fit]))   # as a level camera: no lean by its pitch
    pics = [_crop(render_colored(turned(level, a), s.faces, grey, big)) for a in (0, 90, 180)]
    pics += [_crop(render_colored(turned(level, a), s.faces, s.vertex_colors, big))
             for a in (0, 180)]
    h = max(p.shape[0] for p in pics)
    Image.fromarray(np.concatenate([np.pad(p, ((0, h - p.shape[0]), (0, 8), (0, 0)),
                                           constant_values=255) for p in pics], 1)).save(
        artifacts / f"surface_ryota_{mode}.png")


def _crop(picture: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero((picture < 250).any(2))
    return picture[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _image_hair_and_skin(image, obs):
    """Median RGB of the image's hair (the top rows of the person above the face) and of its
    skin (the cheeks and the nose of the face mesh)."""
    person = obs.mask > 0.5
    top = np.nonzero(person)[0].min()
    cx = int(np.rint(obs.face[:, 0].mean()))
    hair = image[top + 2:top + 10, cx - 6:cx + 7].reshape(-1, 3)
    pts = np.rint(obs.face[[50, 280, 4, 101, 330], :2]).astype(int)
    skin = np.concatenate([image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3) for x, y in pts])
    return np.median(hair, 0), np.median(skin, 0)


def _back_of_head(s, fit, body, cam):
    """(V,) bool: surface vertices on the fitted head, above the ears, facing away."""
    from core.surface.parts import HEAD, point_parts, vertex_parts
    from core.texture.vertex_colors import vertex_normals

    parts = point_parts(s.vertices, fit.vertices, vertex_parts(body))
    n = vertex_normals(s.vertices, s.faces)
    view = -s.vertices / np.linalg.norm(s.vertices, axis=1, keepdims=True)
    ears_y = fit.landmarks[[7, 8], 1].mean()
    return (parts == HEAD) & ((n * view).sum(1) < -0.3) & (s.vertices[:, 1] < ears_y)


def test_ryota_textured_body(ryota, artifacts):
    body, image, cam, obs, fit = ryota
    from core.surface.config import ColorConfig

    tb = textured_body(image, obs, fit, body, SurfaceConfig(color=ColorConfig(texture_size=512)))
    assert tb.texture.shape == (512, 512, 3) and tb.uvs is body.uvs
    assert tb.texture.std() > 20                       # not a flat fill
    # The UV texture follows the same rules: the back of the head is hair-coloured.
    hair, skin = _image_hair_and_skin(image, obs)
    head = _back_of_head(tb, fit, body, cam)
    back = tb.vertex_colors[head].astype(float).mean(0)
    assert np.linalg.norm(back - hair) < np.linalg.norm(back - skin)
    from core.texture.sampling import sample_bilinear

    uv = body.uvs[body.face_uvs[np.isin(body.faces, np.nonzero(head)[0]).all(1)].ravel()]
    texels = sample_bilinear(tb.texture, np.c_[uv[:, 0] * 512 - 0.5, (1 - uv[:, 1]) * 512 - 0.5])
    tex_back = texels.mean(0)
    assert np.linalg.norm(tex_back - hair) < np.linalg.norm(tex_back - skin)
    from PIL import Image

    Image.fromarray(tb.texture).save(artifacts / "surface_ryota_body_texture.png")
