"""Hands from hand landmarks: an open hand, a fist and a pointing hand are recovered."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.fitting.hands import RELAXED, body_hand_points, finger_pose, flexion_angles
from core.types import Observation

FIST = np.array([[0.5, 0.6, 0.5]] + [[1.4, 1.6, 1.0]] * 4, np.float32)
OPEN = np.zeros((5, 3), np.float32)
POINT = FIST.copy()
POINT[1] = 0.0


@pytest.fixture(scope="module")
def body():
    from core.body import load_body_model

    return load_body_model("anny")


def _landmarks(body, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a hand model reports for the body's hands posed with (5, 3) finger angles each:
    x, y pixels and relative depth in pixels, camera 2.5 m in front of the hands."""
    pts = body_hand_points(body, torch.as_tensor(np.stack([left, right]))[None])[0].numpy()
    cam = pts + np.array([0.0, 0.0, 2.5])
    z = cam[..., 2:3]
    px = np.concatenate([1000 * cam[..., :2] / z + 500,
                         1000 * (cam[..., 2:3] - cam[:, :1, 2:3]) / z], -1).astype(np.float32)
    return px[0], px[1]


@pytest.mark.parametrize("name,pose", [("open", OPEN), ("fist", FIST), ("point", POINT)])
def test_finger_pose_recovered_from_hand_landmarks(body, name, pose):
    left, right = _landmarks(body, pose, pose[::-1] * 0 + RELAXED)
    obs = Observation(0, 1000, 1000, True, left_hand=left, right_hand=right)
    est = finger_pose(obs, body)
    assert est.shape == (2, 5, 3)
    # per finger, the summed flexion is what tells open / closed / pointing
    err = np.abs(est[0].sum(-1) - pose.sum(-1))
    assert err.max() < 0.35, (name, est[0].round(2), pose)
    curled = est[0, 1:].sum(-1) > 1.5
    if name == "open":
        assert not curled.any()
    elif name == "fist":
        assert curled.all()
    else:
        assert not curled[0] and curled[1:].all()
    assert np.abs(est[1] - RELAXED).max() < 0.35     # the other hand stays as it was


def test_missing_hand_gets_the_relaxed_pose(body):
    est = finger_pose(Observation(0, 100, 100, True), body)
    assert np.allclose(est, np.stack([RELAXED, RELAXED]))


def test_flexion_of_a_straight_chain_is_zero():
    pts = np.zeros((21, 3))
    for f in range(5):
        for k in range(4):
            pts[1 + 4 * f + k] = [f * 0.1, 1.0 + k, 0.0]
    assert np.allclose(flexion_angles(pts)[:, 1:], 0.0, atol=1e-6)


def test_fingers_change_the_hand_mesh_only(body):
    z = torch.zeros(1, 3)
    shape = torch.as_tensor(body.mean_shape())[None]
    pose = torch.zeros(1, body.num_pose_joints, 3)
    rest = body(z, pose, shape, z).vertices[0]
    fist = body(z, pose, shape, z, extras={"fingers": torch.as_tensor(np.stack([FIST, FIST]))[None]})
    moved = (fist.vertices[0] - rest).norm(dim=-1) > 1e-4
    w = body.skinning_weights()
    finger_bones = torch.as_tensor(body.hand_rig.bone_ids.reshape(-1))
    on_fingers = w[:, finger_bones].sum(-1) > 0
    assert moved.any() and not (moved & ~on_fingers).any()
