"""The learned initializer: missing weights, bad input, and its value on synthetic people."""
from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.errors import StudioError
from core.fitting.initializer import WEIGHTS_PATH, Initializer, initial_params
from core.synthetic import (sample_camera_and_pose, sample_poses, sample_shapes,
                            synthesize_observation)
from core.types import Observation


@pytest.fixture(scope="module")
def body():
    torch.set_num_threads(1)
    return load_body_model("anny", device="cpu")


@pytest.fixture(scope="module")
def init():
    net = Initializer.load("cpu")
    assert net is not None, f"{WEIGHTS_PATH} is missing: the shipped weights must be committed"
    return net


def _mpjpe(body, a, b) -> float:
    """Root-aligned mean error (metres) over the root and the 22 pose joints, camera axes."""
    ids = [0] + [body.joint_names.index(n) for n in body.pose_joint_names]
    ja, jb = body.evaluate(a)[1][ids], body.evaluate(b)[1][ids]
    return float(np.linalg.norm((ja - ja[0]) - (jb - jb[0]), axis=1).mean())


def test_missing_weights_give_none_and_a_log_line(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="core.fitting.initializer"):
        assert Initializer.load("cpu", tmp_path / "absent.pt") is None
    assert "train_initializer" in caplog.text


def test_no_person_is_a_clear_error(init, body):
    empty = Observation.empty(0, 640, 480)
    with pytest.raises(StudioError, match="person"):
        from core.types import Camera
        init.predict(empty, Camera.from_fov(640, 480))
    assert initial_params(empty, Camera.from_fov(640, 480), body) is None


def test_initializer_beats_the_rest_pose_on_synthetic_people(init, body):
    rng = np.random.default_rng(123)
    n = 24
    poses, shapes = sample_poses(body, n, rng, difficulty=0.5), sample_shapes(n, rng)
    err_init, err_rest, depth_err = [], [], []
    for i in range(n):
        cam, truth = sample_camera_and_pose(body, poses[i], shapes[i], rng)
        obs, _ = synthesize_observation(body, truth, cam, rng, with_mask=False)
        guess = init.predict(obs, cam)
        assert guess.body_pose.shape == (body.num_pose_joints, 3)
        err_init.append(_mpjpe(body, guess, truth))
        err_rest.append(_mpjpe(body, body.default_params(truth.transl), truth))
        depth_err.append(abs(guess.transl[2] - truth.transl[2]) / truth.transl[2])
    print(f"initializer MPJPE {1000 * np.mean(err_init):.0f} mm, rest pose "
          f"{1000 * np.mean(err_rest):.0f} mm, depth error {100 * np.mean(depth_err):.1f} %")
    assert np.mean(err_init) < 0.120 and np.mean(err_init) < 0.4 * np.mean(err_rest)
    assert np.mean(err_rest) > 0.150
    assert np.median(depth_err) < 0.10


def test_prediction_does_not_depend_on_image_resolution(init, body):
    """Depth comes from the focal length and the box size: halving the image (and the focal
    length) must give the same body at the same place."""
    rng = np.random.default_rng(7)
    cam, truth = sample_camera_and_pose(body, sample_poses(body, 1, rng)[0],
                                        sample_shapes(1, rng)[0], rng)
    obs, _ = synthesize_observation(body, truth, cam, rng, with_mask=False)
    half = cam.scaled(0.5)
    obs_half = Observation(0, half.width, half.height, True,
                           keypoints2d=np.concatenate([(obs.keypoints2d[:, :2] + 0.5) * 0.5 - 0.5,
                                                       obs.keypoints2d[:, 2:]], 1),
                           landmarks3d=obs.landmarks3d)
    a, b = init.predict(obs, cam), init.predict(obs_half, half)
    np.testing.assert_allclose(a.transl, b.transl, atol=0.03)
    np.testing.assert_allclose(a.body_pose, b.body_pose, atol=0.05)
