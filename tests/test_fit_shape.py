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
    # model's own average adult 1.53, the fits' start 1.43 (at an adult's stature), with the
    # ankles where the detector puts them (ANKLE_RAISE; 1.57 and 1.47 at Anny's COCO ankles).
    assert _legs_per_arm(anny, anny.fit_shape()) < 1.45
    assert _legs_per_arm(anny, anny.mean_shape()) > 1.5


def test_fit_shape_is_an_adult_and_the_shape_prior_centre(anny):
    shape = anny.fit_shape()
    assert shape[anny.shape_names.index("age")] >= 0.5         # Anny's 18 years or older
    verts = anny.rest_vertices(torch.as_tensor(shape[None]))[0].detach().numpy()
    assert 1.6 < float(np.ptp(verts[:, 1])) < 1.8              # metres: an adult's stature
    s = torch.as_tensor(np.stack([shape, np.append(anny.mean_shape(), 1.0)]).astype(np.float32))
    prior = anny.shape_prior(s, anny.fit_shape())
    assert float(prior[0]) == 0.0 and float(prior[1]) > 0.5


def test_stature_scale_scales_the_whole_body_and_travels_through_the_rigs(anny):
    """A shape's 7th column scales Anny's rest body (mesh and bones) about the root; the
    frozen-shape rig of the fits and the avatar's frame poser give what forward gives."""
    from core.fitting.frozen_shape_rig import FrozenShapeRig
    from core.subject.posing import FramePoser

    phen = anny.fit_shape()[:6]
    torch.manual_seed(0)
    go, pose = 0.4 * torch.randn(2, 3), 0.3 * torch.randn(2, anny.num_pose_joints, 3)
    tr = torch.tensor([[0.0, 0.0, 3.0], [0.2, 0.1, 4.0]])
    ids = torch.arange(0, anny.num_vertices, 97)
    one = anny(go, pose, torch.as_tensor(np.append(phen, 1.0).astype(np.float32))[None].expand(2, -1), tr,
               vertex_ids=ids)
    plain = anny(go, pose, torch.as_tensor(phen)[None].expand(2, -1), tr, vertex_ids=ids)
    np.testing.assert_allclose(one.vertices.numpy(), plain.vertices.numpy(), atol=1e-6)
    big = np.append(phen, 1.25).astype(np.float32)
    out = anny(go, pose, torch.as_tensor(big)[None].expand(2, -1), tr, vertex_ids=ids)
    for a, b in ((out.vertices, plain.vertices), (out.landmarks, plain.landmarks)):
        np.testing.assert_allclose((a - tr[:, None]).numpy(), 1.25 * (b - tr[:, None]).numpy(),
                                   atol=2e-5)
    lm, _, verts = FrozenShapeRig(anny, big, ids).pose(go, pose, tr)
    np.testing.assert_allclose(lm.numpy(), out.landmarks.numpy(), atol=1e-4)
    np.testing.assert_allclose(verts.numpy(), out.vertices.numpy(), atol=1e-4)
    S = torch.as_tensor(big)[None]
    posed = FramePoser(anny, S, pose).pose(torch.arange(2), go, pose, S, tr,
                                          torch.zeros(anny.num_vertices, 3), ids, False)
    np.testing.assert_allclose(posed.vertices.numpy(), out.vertices.numpy(), atol=1e-4)


def test_a_fit_keeps_the_start_stature(anny):
    """The shape stage moves the phenotypes only: one view cannot see a person's size."""
    from core.body.base import FreeShape

    free = FreeShape(anny, anny.fit_shape())
    assert tuple(free.free.shape) == (1, 6)
    (free.value()[0, :6].sum()).backward()
    with torch.no_grad():
        free.free += 0.5 * free.free.grad
    value = free.value()[0].detach().numpy()
    assert value[6] == pytest.approx(anny.fit_shape()[6])
    assert not np.allclose(value[:6], anny.fit_shape()[:6])


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


def test_fits_with_and_without_the_stature_scale_stack_together(anny):
    """A photo fit (7 numbers) and a sequence fit or an older fits.json (6) of one person go
    into one batch (the avatar, the rigged export): the missing scale is 1."""
    from core.body import BodyParams

    zero = np.zeros((anny.num_pose_joints, 3), np.float32)
    a = BodyParams("anny", (0, 0, 0), zero, anny.fit_shape(), (0, 0, 3))
    b = BodyParams("anny", (0, 0, 0), zero, anny.mean_shape(), (0, 0, 3))
    shapes = anny.tensors([a, b])["shape"].numpy()
    assert shapes.shape == (2, 7) and shapes[1, 6] == 1.0
    np.testing.assert_allclose(shapes[0], anny.fit_shape())
    verts = anny.rest_vertices(torch.as_tensor(shapes)).detach().numpy()
    assert np.ptp(verts[0, :, 1]) < np.ptp(verts[1, :, 1])          # 1.67 m, 1.83 m


def test_the_start_shape_rig_is_built_once_and_only_for_its_own_body(anny):
    """Photo fits reuse the frozen-shape rig and rest landmarks of the start shape; the cache
    answers only for the very body (and shape) it was built for."""
    from core.body.anny_body import AnnyBody
    from core.fitting import single_frame

    ids = torch.arange(5)
    shape = anny.fit_shape()
    rig = single_frame.frozen_rig(anny, shape, ids)
    assert single_frame.frozen_rig(anny, shape.copy(), ids) is rig
    assert single_frame.frozen_rig(anny, shape * 0.9, ids) is not rig
    other = AnnyBody(torch.device("cpu"))                   # the same model, another object
    assert single_frame.frozen_rig(other, shape, ids) is not rig
    rest = single_frame.rest_landmarks(anny, shape)
    assert single_frame.rest_landmarks(anny, shape) is rest and not rest.flags.writeable
    z = torch.zeros(1, 3, dtype=anny.dtype)
    with torch.no_grad():
        fresh = anny(z, torch.zeros(1, anny.num_pose_joints, 3, dtype=anny.dtype),
                     torch.as_tensor(shape[None], dtype=anny.dtype), z).landmarks[0].numpy()
    assert np.allclose(rest, fresh, atol=1e-6)
