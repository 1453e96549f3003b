"""Joint limits, the pose sampler, random views and synthetic BlazePose observations."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.body import load_body_model
from core.body.anny_body import POSE_JOINTS
from core.body.anny_limits import (MIRROR, anny_pose_prior, clamp_to_limits, from_limit_coords,
                                   within_limits)
from core.synthetic import (MODES, ViewConfig, sample_camera_and_pose, sample_pose_coords,
                            sample_poses, sample_shapes, sample_views, synthesize_observation)

J = {n: i for i, n in enumerate(POSE_JOINTS)}
NONE = torch.zeros(0, dtype=torch.long)
FACE_NO_EARS = [0, 1, 2, 3, 4, 5, 6, 9, 10]


@pytest.fixture(scope="module")
def body():
    torch.set_num_threads(1)
    return load_body_model("anny", device="cpu")


def _joints(body, pose: torch.Tensor) -> dict[str, torch.Tensor]:
    z = torch.zeros(1, 3)
    with torch.no_grad():
        out = body(z, pose, torch.as_tensor(body.mean_shape())[None], z, vertex_ids=NONE)
    return {n: out.joints[:, body.joint_names.index(n)] for n in body.joint_names}


def _one(joint: str, coords) -> torch.Tensor:
    c = torch.zeros(1, len(POSE_JOINTS), 3)
    c[0, J[joint]] = torch.tensor(coords, dtype=torch.float32)
    return from_limit_coords(c)


def test_limits_follow_anatomy(body):
    """Knees bend backward only, elbows bend toward the shoulder and stop straight."""
    rest = _joints(body, torch.zeros(1, len(POSE_JOINTS), 3))
    assert float(anny_pose_prior(torch.zeros(1, len(POSE_JOINTS), 3))) == 0.0
    for side in "LR":
        bent = _one(f"lowerleg01.{side}", (1.5, 0, 0))
        assert float(anny_pose_prior(bent)) == 0.0
        foot = _joints(body, bent)[f"foot.{side}"]
        assert float(foot[0, 2] - rest[f"foot.{side}"][0, 2]) > 0.3    # +z: behind the body
        assert float(anny_pose_prior(_one(f"lowerleg01.{side}", (-0.5, 0, 0)))) > 0.1
        # elbow: -0.73 is straight (the rest pose is 42 degrees bent), more is hyperextension
        j = _joints(body, _one(f"lowerarm01.{side}", (-0.73, 0, 0)))
        u = j[f"lowerarm01.{side}"] - j[f"upperarm01.{side}"]
        v = j[f"wrist.{side}"] - j[f"lowerarm01.{side}"]
        assert float(torch.nn.functional.cosine_similarity(u, v)) > 0.99
        assert float(anny_pose_prior(_one(f"lowerarm01.{side}", (-1.2, 0, 0)))) > 0.1
        flexed = _joints(body, _one(f"lowerarm01.{side}", (1.7, 0, 0)))
        d_rest = (rest[f"wrist.{side}"] - rest[f"upperarm01.{side}"]).norm()
        d_flex = (flexed[f"wrist.{side}"] - flexed[f"upperarm01.{side}"]).norm()
        assert float(d_flex) < 0.7 * float(d_rest)


def test_limits_are_mirror_symmetric_and_clamp_inside():
    rng = np.random.default_rng(0)
    pose = torch.as_tensor(rng.normal(0, 1.0, (64, len(POSE_JOINTS), 3)), dtype=torch.float64)
    perm = [J[n.replace(".L", ".X").replace(".R", ".L").replace(".X", ".R")] for n in POSE_JOINTS]
    mirrored = pose[:, perm] @ torch.as_tensor(MIRROR)
    assert torch.allclose(anny_pose_prior(pose), anny_pose_prior(mirrored), atol=1e-9)
    assert (anny_pose_prior(pose) > 0).all()
    clamped = clamp_to_limits(pose)
    assert within_limits(clamped).all()
    assert torch.allclose(anny_pose_prior(clamped), torch.zeros(64, dtype=torch.float64), atol=1e-12)


def test_pose_sampler_is_plausible_varied_and_seeded(body):
    rng = np.random.default_rng(3)
    poses = torch.as_tensor(sample_poses(body, 256, rng, difficulty=1.0))
    assert poses.shape == (256, len(POSE_JOINTS), 3)
    assert within_limits(poses).all()
    coords, modes = sample_pose_coords(256, np.random.default_rng(3), difficulty=1.0)
    assert len(np.unique(modes)) == len(MODES)
    j = _joints(body, poses)
    head_y = j["head"][:, 1]
    wrist_y = torch.minimum(j["wrist.L"][:, 1], j["wrist.R"][:, 1])
    knee_y = torch.minimum(j["lowerleg01.L"][:, 1], j["lowerleg01.R"][:, 1])
    hip_y = j["upperleg01.L"][:, 1]
    assert (wrist_y < head_y).float().mean() > 0.05          # hands above the head
    assert (knee_y < hip_y + 0.2).float().mean() > 0.05       # thighs near horizontal (sitting)
    low_wrist_y = torch.maximum(j["wrist.L"][:, 1], j["wrist.R"][:, 1])
    assert (low_wrist_y > hip_y - 0.25).float().mean() > 0.3   # a hand hanging near the hips
    # the knees never bend forward: the ankle is never in front of the thigh-knee line
    for s in "LR":
        hip, knee, ankle = j[f"upperleg01.{s}"], j[f"lowerleg01.{s}"], j[f"foot.{s}"]
        thigh = torch.nn.functional.normalize(knee - hip, dim=-1)
        shin = ankle - knee
        lateral = torch.tensor([1.0, 0.0, 0.0]).expand_as(thigh)
        bend = (torch.linalg.cross(thigh, shin, dim=-1) * lateral).sum(-1)
        # knee flexion rotates the shin about +x (canonical left): cross(thigh, shin).x >= 0
        assert (bend > -0.03).all()
    again = sample_poses(body, 256, np.random.default_rng(3), difficulty=1.0)
    assert np.array_equal(again, poses.numpy())


def test_shapes_are_adult():
    s = sample_shapes(500, np.random.default_rng(0))
    assert s.shape == (500, 6) and s.min() >= 0 and s.max() <= 1
    assert 0.65 <= s[:, 1].min() and s[:, 1].max() <= 0.95
    assert s[:, 0].std() > 0.25                                  # both genders


def test_views_cover_back_views_and_keep_the_person_in_frame(body):
    rng = np.random.default_rng(1)
    pose = torch.as_tensor(sample_poses(body, 64, rng))
    z = torch.zeros(1, 3)
    with torch.no_grad():
        lm = body(z, pose, torch.as_tensor(body.mean_shape())[None], z, vertex_ids=NONE).landmarks
    v = sample_views(lm.numpy(), rng, ViewConfig(partial_fraction=0.0))
    facing = v.rotation[:, 2, 2]       # the body's front (canonical -z) . camera -z
    assert (facing < -0.5).mean() > 0.1 and (facing > 0.5).mean() > 0.3
    assert (v.transl[:, 2] >= 2.0).all()
    cam_lm = np.einsum("bij,bkj->bki", v.rotation, lm.numpy()) + v.transl[:, None]
    fx, fy, cx, cy, w, h = v.intrinsics.T
    u = fx[:, None] * cam_lm[..., 0] / cam_lm[..., 2] + cx[:, None]
    y = fy[:, None] * cam_lm[..., 1] / cam_lm[..., 2] + cy[:, None]
    assert (u >= 0).all() and (u <= w[:, None]).all() and (y >= 0).all() and (y <= h[:, None]).all()


def test_observation_matches_the_body(body):
    rng = np.random.default_rng(5)
    pose = sample_poses(body, 1, rng)[0]
    cam, params = sample_camera_and_pose(body, pose, sample_shapes(1, rng)[0], rng)
    obs, truth = synthesize_observation(body, params, cam, rng, noise_px=0.0, dropout=0.0,
                                        landmark_noise_m=0.0)
    np.testing.assert_allclose(obs.keypoints2d[:, :2], cam.project(truth.landmarks), atol=1e-2)
    hip = truth.landmarks[23:25].mean(0)
    np.testing.assert_allclose(obs.landmarks3d, truth.landmarks - hip, atol=1e-5)
    assert obs.mask.shape == (cam.height, cam.width) and obs.mask.dtype == np.float32
    px = np.round(obs.keypoints2d[:, :2]).astype(int)
    inside = obs.mask[np.clip(px[:, 1], 0, cam.height - 1), np.clip(px[:, 0], 0, cam.width - 1)]
    assert inside.mean() > 0.85          # the landmarks lie on the rendered silhouette
    x0, y0, x1, y1 = obs.bbox
    assert x1 - x0 > 20 and y1 - y0 > 50


def test_confidences_drop_for_hidden_points_dropouts_and_swaps(body):
    rng = np.random.default_rng(2)
    pose = np.zeros((len(POSE_JOINTS), 3), np.float32)
    shape = body.mean_shape()
    from core.body.params import BodyParams
    from core.types import BLAZEPOSE_FLIP, Camera

    cam = Camera.from_fov(720, 1280)
    front = BodyParams("anny", [0, 0, 0], pose, shape, [0, 0, 4.0])
    back = BodyParams("anny", [0, np.pi, 0], pose, shape, [0, 0, 4.0])
    o_front, _ = synthesize_observation(body, front, cam, rng, dropout=0.0, with_mask=False)
    o_back, _ = synthesize_observation(body, back, cam, rng, dropout=0.0, with_mask=False)
    assert o_front.keypoints2d[FACE_NO_EARS, 2].mean() > 0.75 and o_back.keypoints2d[FACE_NO_EARS, 2].mean() < 0.4
    o_drop, _ = synthesize_observation(body, front, cam, rng, dropout=0.5, with_mask=False)
    assert 5 < (o_drop.keypoints2d[:, 2] == 0).sum() < 28
    o_swap, t = synthesize_observation(body, front, cam, np.random.default_rng(9), noise_px=0.0,
                                       dropout=0.0, swap_prob=1.0, with_mask=False)
    assert t.swapped
    np.testing.assert_allclose(o_swap.keypoints2d[:, :2],
                               cam.project(t.landmarks)[list(BLAZEPOSE_FLIP)], atol=1e-2)


def test_structured_detector_errors_move_limbs_as_a_whole(body):
    """NoiseConfig.structured: a displaced elbow takes the wrist along, the face moves as one,
    and gross_prob puts whole limbs far off; 0 leaves the independent noise alone."""
    from core.synthetic import NoiseConfig, synthesize_keypoints
    from core.types import Camera

    z = torch.zeros(1, 3)
    with torch.no_grad():
        lm = body(z, torch.zeros(1, len(POSE_JOINTS), 3), torch.as_tensor(body.mean_shape())[None],
                  z, vertex_ids=NONE).landmarks[0].numpy().astype(np.float64)
    n = 600
    cam = Camera.from_fov(720, 1280)
    rot = np.tile(np.diag([1.0, 1.0, 1.0]), (n, 1, 1))
    transl = np.tile([0.0, 0.0, 4.0], (n, 1))
    pts = np.tile(lm, (n, 1, 1)) + transl[:, None]
    intr = np.tile([cam.fx, cam.fy, cam.cx, cam.cy, cam.width, cam.height], (n, 1))

    def errors(cfg):
        kp, _, _ = synthesize_keypoints(pts, rot, transl, intr, np.random.default_rng(4), cfg)
        clean, _, _ = synthesize_keypoints(pts, rot, transl, intr, np.random.default_rng(4),
                                           NoiseConfig(noise_px=0.0, dropout=0.0))
        return kp[..., :2] - clean[..., :2], float(np.ptp(clean[0, :, 1]))

    plain, _ = errors(NoiseConfig(noise_px=2.0, dropout=0.0))
    assert abs(np.corrcoef(plain[:, 13, 0], plain[:, 15, 0])[0, 1]) < 0.15
    e, box = errors(NoiseConfig(noise_px=0.5, dropout=0.0, structured=0.01))
    assert np.corrcoef(e[:, 13, 0], e[:, 15, 0])[0, 1] > 0.4          # elbow -> wrist
    assert np.corrcoef(e[:, 0, 1], e[:, 2, 1])[0, 1] > 0.8            # nose and an eye
    wrist, shoulder = np.linalg.norm(e[:, 15], axis=-1), np.linalg.norm(e[:, 11], axis=-1)
    assert np.median(wrist) > 1.2 * np.median(shoulder)
    assert 0.005 < np.median(wrist) / box < 0.04
    g, _ = errors(NoiseConfig(noise_px=0.5, dropout=0.0, structured=0.005, gross_prob=0.3))
    far = np.linalg.norm(g[:, 15], axis=-1) / box > 0.05
    assert 0.15 < far.mean() < 0.45
    np.testing.assert_allclose(g[far, 17], g[far, 15], atol=0.02 * box)  # the hand follows
