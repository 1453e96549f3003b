"""The floor of a video: found from upright bodies whose feet touch it, and its terms."""
from __future__ import annotations

import numpy as np
import torch

from core.temporal.ground import FEET, Ground, estimate_ground, ground_loss


def _rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def _walker(frames: int = 40, pitch_deg: float = 25.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Landmarks (T, 33, 3) of a stick person walking on a floor, seen by a camera pitched down:
    returns (landmarks in the camera frame, the floor's true up normal, its offset)."""
    rng = np.random.default_rng(0)
    world = np.zeros((frames, 33, 3))
    for t in range(frames):
        x = 0.03 * t
        world[t, :] = [x, 1.0, 0.0]                           # everything at hip height first
        world[t, [11, 12]] = [[x, 1.5, 0.2], [x, 1.5, -0.2]]  # shoulders above the hips
        world[t, [23, 24]] = [[x, 1.0, 0.1], [x, 1.0, -0.1]]
        stance = 0.3 * np.sin(0.4 * t)
        for k, side in ((29, 1), (30, -1), (31, 1), (32, -1)):
            lift = max(0.0, 0.08 * np.sin(0.4 * t + (0 if side > 0 else np.pi)))
            world[t, k] = [x + side * stance + (0.15 if k >= 31 else 0.0), lift, 0.1 * side]
    world += rng.normal(0, 0.002, world.shape)
    # world: y up; camera: looking along +x? use a camera 3 m away along -z, pitched down
    to_cam = _rot_x(np.radians(pitch_deg)) @ np.diag([1.0, -1.0, -1.0])
    cam = world @ to_cam.T + np.array([0.0, 0.5, 4.0])
    up = to_cam @ np.array([0.0, 1.0, 0.0])
    offset = float(up @ np.array([0.0, 0.5, 4.0]))
    return cam, up, offset


def test_floor_found_under_a_walking_person():
    lm, up, offset = _walker()
    g = estimate_ground(lm)
    assert g is not None
    angle = np.degrees(np.arccos(np.clip(g.normal @ up, -1, 1)))
    assert angle < 3.0, angle
    assert abs(g.offset - offset) < 0.03
    # the stance feet are on it
    assert np.abs(g.height(lm[:, list(FEET)]).min(1)).max() < 0.03


def test_too_few_frames_or_not_upright_gives_no_floor():
    lm, _, _ = _walker(frames=5)
    assert estimate_ground(lm) is None
    lying, _, _ = _walker()
    lying[:, [11, 12]] = lying[:, [23, 24]] + np.random.default_rng(1).normal(0, 0.5, (40, 2, 3))
    assert estimate_ground(lying) is None


def test_ground_terms_vanish_on_the_floor_and_grow_off_it():
    lm, up, offset = _walker()
    g = Ground(up, offset, len(lm), 0.0)
    stand = torch.as_tensor(lm[:1], dtype=torch.float32)
    base = float(ground_loss(stand, g, contact=1.0, upright=1.0)[0])
    float_up = stand + torch.as_tensor(up * 0.2, dtype=torch.float32)
    sink = stand - torch.as_tensor(up * 0.2, dtype=torch.float32)
    above = float(ground_loss(float_up, g, contact=1.0, upright=1.0)[0])
    below = float(ground_loss(sink, g, contact=1.0, upright=1.0)[0])
    assert base < 0.5 and above > 10 * max(base, 0.1) and below > 2 * above
