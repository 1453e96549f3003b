"""Vertex colours and UV baking on the Anny body with images of known colours."""
import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.render.raster import render_mask
from core.texture import UVBaker, vertex_colors
from core.types import Camera

RED, GREEN = (220, 30, 30), (30, 200, 40)


@pytest.fixture(scope="module")
def posed():
    torch.set_num_threads(2)
    body = load_body_model("anny")
    cam = Camera.from_fov(320, 320)
    front = body.default_params(transl=(0.0, 0.05, 2.6))
    back = body.default_params(transl=(0.0, 0.05, 2.6))
    back.global_orient = np.array([0.0, np.pi, 0.0], np.float32)       # turned around
    return body, cam, body.evaluate(front)[0], body.evaluate(back)[0]


def _image(cam, mask, colour):
    img = np.zeros((cam.height, cam.width, 3), np.uint8)
    img[mask] = colour
    return img


def test_vertex_colors_follow_the_image_and_mirror_to_the_back(posed):
    body, cam, v, _ = posed
    mask = render_mask(v, body.faces, cam)
    img = _image(cam, mask, RED)
    img[:, cam.width // 2:][mask[:, cam.width // 2:]] = GREEN       # image-right half green
    col, seen = vertex_colors(img, mask, v, body.faces, cam)
    u = cam.project(v)[:, 0]
    left, right = u < cam.cx - 8, u > cam.cx + 8
    is_red = (col[:, 0] > 150) & (col[:, 1] < 100)
    is_green = (col[:, 1] > 150) & (col[:, 0] < 100)
    assert is_red[left].mean() > 0.97 and is_green[right].mean() > 0.97   # seen and mirrored
    assert 0.3 < seen.mean() < 0.7                                      # about the front half
    # The background (black) never leaks onto the body, even at the silhouette.
    assert col.max(1).min() > 100


def test_uv_baker_combines_views_and_mirrors_unseen_texels(posed):
    body, cam, v_front, v_back = posed
    baker = UVBaker(body.faces, body.uvs, body.face_uvs, size=256)
    m1 = render_mask(v_front, body.faces, cam)
    seen1 = baker.add_view(_image(cam, m1, RED), m1, v_front, cam)
    single = baker.texture()
    ty, tx = baker.texel_y, baker.texel_x
    red = lambda t: (t[..., 0] > 150) & (t[..., 1] < 100)                 # noqa: E731
    green = lambda t: (t[..., 1] > 150) & (t[..., 0] < 100)               # noqa: E731
    assert red(single[ty, tx]).mean() > 0.97                             # mirror fill: all red
    m2 = render_mask(v_back, body.faces, cam)
    seen2 = baker.add_view(_image(cam, m2, GREEN), m2, v_back, cam)
    both = baker.texture()[ty, tx]
    only2 = seen2 & ~seen1
    only1 = seen1 & ~seen2
    assert only2.sum() > 1000 and only1.sum() > 1000
    assert green(both[only2]).mean() > 0.95 and red(both[only1]).mean() > 0.95
