"""The single-frame fit against known bodies (core.synthetic observations): it recovers the pose,
keeps the silhouette, never mirrors left and right on back views or crossed arms, and runs as a
cancellable job generator."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.body import BodyParams, load_body_model
from core.fitting import FitConfig, Iterations, fit_frames, fit_observation, mpjpe, pa_mpjpe
from core.progress import CancelToken
from core.types import Camera, FrameFit, Observation, Progress

CAMERA = Camera.from_fov(720, 1280)
L_SHOULDER, L_WRIST, R_SHOULDER, R_WRIST = 11, 15, 12, 16




@pytest.fixture(scope="module")
def body():
    return load_body_model("anny", device="cpu")


def _pose(body, mode: str, seed: int) -> np.ndarray:
    """One pose of a core.synthetic mode ("crossed_arms", "walk", ...), within joint limits."""
    from core.synthetic import MODES, PoseSamplerConfig, sample_poses

    w = tuple(float(m == mode) for m in MODES)
    cfg = PoseSamplerConfig(weights_easy=w, weights_hard=w)
    return sample_poses(body, 1, np.random.default_rng(seed), difficulty=0.0, config=cfg)[0]


def _observe(body, params: BodyParams, seed: int = 0, with_mask: bool = True):
    from core.synthetic import synthesize_observation

    return synthesize_observation(body, params, CAMERA, np.random.default_rng(seed), noise_px=3.0,
                                  dropout=0.0, with_mask=with_mask)


def _pose_joints(body) -> list[int]:
    return [0] + [body.joint_names.index(n) for n in body.pose_joint_names]


def test_fit_recovers_a_known_body(body, one_thread):
    """A walking adult seen from the front-left: joints within a few cm after similarity
    alignment, much closer than the start, and the silhouette matches."""
    pose = _pose(body, "walk", 3)
    truth_params = BodyParams("anny", (0.05, 0.5, 0.03), pose, (0.3, 0.8, 0.6, 0.4, 0.6, 0.5),
                              (0.1, 0.2, 4.0))
    obs, truth = _observe(body, truth_params)
    fit = fit_observation(obs, CAMERA, body, FitConfig())
    ids = _pose_joints(body)
    err = pa_mpjpe(fit.joints[ids], truth.joints[ids])
    start = body.evaluate(body.default_params(fit.params.transl))[1]
    assert fit.status == "fitted" and fit.params.model == "anny"
    # metres, PA-MPJPE: 0.031 from the previous start, 0.034 from the fits' start, whose legs
    # have real people's proportions (1.47 arm lengths; this body's 1.58)
    # (0.029 with the lifter retrained on mirrored and mixed motion)
    assert err < 0.038, err
    # root-aligned, so the start's shorter legs count: 0.0698 before that lifter, 0.0702 with it
    assert mpjpe(fit.joints[ids], truth.joints[ids], root=[0]) < 0.075
    assert pa_mpjpe(start[ids], truth.joints[ids]) > 2 * err  # the fit did the work
    # px, person ~500 px tall; 7.1 from the model's average adult, 8.0 from the previous start,
    # 8.8 from the fits' start
    assert fit.error < 9.5
    assert fit.iou > 0.85


@pytest.mark.parametrize("case", ["back_view", "crossed_arms"])
def test_no_left_right_swap(body, one_thread, case):
    """Back view (facing away, one arm raised) and crossed arms (each wrist on the other side of
    the body): the fitted left wrist and shoulder are the true left ones, not their mirror."""
    if case == "back_view":
        pose = _pose(body, "arms_raised", 11)
        params = BodyParams("anny", (0.0, np.pi * 0.92, 0.0), pose, body.mean_shape(),
                            (-0.1, 0.2, 4.2))
    else:
        pose = _pose(body, "crossed_arms", 5)
        params = BodyParams("anny", (0.05, -0.4, 0.0), pose, body.mean_shape(), (0.1, 0.2, 3.5))
    obs, truth = _observe(body, params, seed=1, with_mask=False)
    fit = fit_observation(obs, CAMERA, body, FitConfig(quality="fast", silhouette=False))
    lm, t = fit.landmarks, truth.landmarks
    # one view knows the body up to a scale about the camera (a smaller body nearer: the fit's
    # start is 1.67 m tall, this body 1.83 m): compare at the truth's depth
    lm = lm * (t[:, 2].mean() / lm[:, 2].mean())
    # a swapped point sits at its mirror twin (ratio about 1 or more); the raised wrist of the
    # back view is 17 cm off in depth since the fit reads the lifter's 3D (this synthetic 3D
    # reading is nearly exact, the real detector's is not), which puts it at 0.53
    for left, right in ((L_WRIST, R_WRIST), (L_SHOULDER, R_SHOULDER)):
        assert np.linalg.norm(lm[left] - t[left]) < 0.6 * np.linalg.norm(lm[left] - t[right])
        assert np.linalg.norm(lm[right] - t[right]) < 0.6 * np.linalg.norm(lm[right] - t[left])
    # facing the right way: the body's own left->right axis agrees with the truth's
    assert np.dot(lm[L_SHOULDER] - lm[R_SHOULDER], t[L_SHOULDER] - t[R_SHOULDER]) > 0
    if case == "crossed_arms":  # and the arms did not fold through the torso
        from core.fitting.losses import interpenetration_loss

        assert float(interpenetration_loss(torch.as_tensor(lm)[None])[0]) < 1e-3


def test_fit_frames_is_a_cancellable_job(body, one_thread):
    """fit_frames yields a FrameFit and a Progress per frame, gives frames with nobody status
    "no_person", returns the list, and returns early (not raises) when cancelled."""
    obs, _ = _observe(body, BodyParams("anny", (0, 0.3, 0), _pose(body, "stand", 2),
                                       body.mean_shape(), (0, 0.2, 4.0)), with_mask=False)
    observations = {0: Observation.empty(0, CAMERA.width, CAMERA.height), 1: obs}
    tiny = FitConfig(iterations=Iterations(rigid=5, pose=3, body=1), silhouette=False)
    gen = fit_frames(CAMERA, observations, body, [0, 1, 2], tiny)
    items = []
    while True:
        try:
            items.append(next(gen))
        except StopIteration as stop:
            result = stop.value
            break
    fits = [i for i in items if isinstance(i, FrameFit)]
    assert [f.status for f in fits] == ["no_person", "fitted", "no_person"]
    assert [p.done for p in items if isinstance(p, Progress)] == [1, 2, 3]
    assert result == fits and fits[1].vertices.shape == (body.num_vertices, 3)
    token = CancelToken()
    token.cancel()
    gen = fit_frames(CAMERA, observations, body, [0, 1], tiny, cancel=token)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == []


def test_frozen_shape_rig_matches_the_body_model(body):
    """The pose stage's fast rig (23 carried motions) gives the body model's own landmarks,
    joints and vertices for a random pose and shape."""
    from core.fitting.frozen_shape_rig import FrozenShapeRig

    params = BodyParams("anny", (0.2, 2.5, -0.1), _pose(body, "free", 7),
                        (0.2, 0.9, 0.7, 0.3, 0.6, 0.4), (0.3, -0.1, 3.0))
    t = body.tensors(params)
    ids = torch.arange(0, body.num_vertices, 7)
    lm, joints, verts = FrozenShapeRig(body, params.shape, ids).pose(
        t["global_orient"], t["body_pose"], t["transl"])
    with torch.no_grad():
        out = body(**t, vertex_ids=ids)
    assert float((verts - out.vertices).abs().max()) < 1e-5       # metres
    assert float((joints - out.joints).abs().max()) < 1e-5
    assert float((lm - out.landmarks).abs().max()) < 1e-4
