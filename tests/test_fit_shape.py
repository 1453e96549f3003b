"""The shape a fit of a person starts from (BodyModel.fit_shape): its limbs have the proportions
the detector's points have on real people, so that the fit does not tilt over-long legs in depth
to meet the 2D keypoints. The real-data figure is in bench/README.md ("the fit's start
shape"); these tests hold the proportions and the plumbing."""
from __future__ import annotations

import numpy as np
import pytest
import torch

LEG = ((23, 25), (25, 27), (24, 26), (26, 28))      # hip -> knee -> ankle, both sides
ARM = ((11, 13), (13, 15), (12, 14), (14, 16))      # shoulder -> elbow -> wrist


@pytest.fixture(scope="module")
def anny():
    from core.body import load_body_model

    return load_body_model("anny", device="cpu")


def _legs_per_arm(body, shape: np.ndarray) -> float:
    z = torch.zeros(1, 3, dtype=body.dtype)
    with torch.no_grad():
        lm = body(z, torch.zeros(1, body.num_pose_joints, 3, dtype=body.dtype),
                  torch.as_tensor(shape[None], dtype=body.dtype), z).landmarks[0].numpy()
    length = lambda bones: sum(np.linalg.norm(lm[a] - lm[b]) for a, b in bones)  # noqa: E731
    return float(length(LEG) / length(ARM))


def test_fit_shape_has_the_detected_proportions_of_real_people(anny):
    # Triangulated BlazePose points of the real captures: legs 1.37-1.43 arm lengths; the
    # model's own average adult 1.57, the fits' start 1.49 (at an adult's stature).
    assert _legs_per_arm(anny, anny.fit_shape()) < 1.51
    assert _legs_per_arm(anny, anny.mean_shape()) > 1.55


def test_fit_shape_is_an_adult_and_the_shape_prior_centre(anny):
    shape = anny.fit_shape()
    assert shape[anny.shape_names.index("age")] >= 0.6         # a grown-up
    verts = anny.rest_vertices(torch.as_tensor(shape[None]))[0].detach().numpy()
    assert 1.6 < float(np.ptp(verts[:, 1])) < 1.8              # metres: an adult's stature
    s = torch.as_tensor(np.stack([shape, anny.mean_shape()]))
    prior = anny.shape_prior(s, anny.fit_shape())
    assert float(prior[0]) == 0.0 and float(prior[1]) > 0.5


def test_single_frame_guesses_start_from_the_fit_shape(anny):
    from core.body import BodyParams
    from core.fitting import FitConfig, single_frame
    from core.synthetic import synthesize_observation
    from core.types import Camera

    camera = Camera.from_fov(720, 1280)
    params = BodyParams("anny", (0.0, 0.3, 0.0), np.zeros((anny.num_pose_joints, 3)),
                        anny.mean_shape(), (0.0, 0.2, 4.0))
    obs, _ = synthesize_observation(anny, params, camera, np.random.default_rng(0),
                                    noise_px=3.0, dropout=0.0, with_mask=False)
    _, _, shapes = single_frame._hypotheses(obs, camera, anny, FitConfig(), None)
    assert len(shapes) >= 2 and np.allclose(shapes, anny.fit_shape()[None])
