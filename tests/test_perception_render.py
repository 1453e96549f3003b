"""core/render/skeleton.py: previews draw where the person is and nowhere else."""
from __future__ import annotations

import numpy as np

from core.render.skeleton import draw_mask, draw_observation, draw_skeleton
from core.types import Observation


def _obs() -> Observation:
    kp = np.zeros((33, 3), np.float32)
    kp[11] = (30, 40, 0.9)   # left shoulder
    kp[13] = (30, 80, 0.9)   # left elbow
    kp[12] = (90, 40, 0.1)   # right shoulder: not confident, not drawn
    return Observation(0, 120, 100, True, keypoints2d=kp)


def test_draw_skeleton_draws_confident_bones_only():
    image = np.zeros((100, 120, 3), np.uint8)
    out = draw_skeleton(image, _obs())
    assert not image.any()  # input untouched
    assert out[60, 29:32].any()  # on the shoulder-elbow bone
    assert not out[35:45, 85:95].any()  # low-confidence right shoulder
    assert not out[:, 60:].any()  # no bone to it either
    assert not draw_skeleton(image, Observation.empty(0, 120, 100)).any()


def test_draw_mask_tints_inside_only():
    image = np.full((10, 10, 3), 100, np.uint8)
    mask = np.zeros((10, 10), np.float32)
    mask[2:5, 2:5] = 1.0
    mask[7, 7] = 0.5
    out = draw_mask(image, mask, color=(0, 255, 0), alpha=0.5)
    assert out[3, 3].tolist() == [50, 178, 50]
    assert out[0, 0].tolist() == [100, 100, 100]
    assert out[7, 7].tolist() == [75, 139, 75]  # soft mask: a quarter tint
    assert np.array_equal(draw_mask(image, None), image)
    obs = _obs()
    obs.mask = mask
    assert draw_observation(np.zeros((10, 10, 3), np.uint8), obs).shape == (10, 10, 3)
