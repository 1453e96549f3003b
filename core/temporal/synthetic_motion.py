"""Synthetic motion sequences with ground truth, for training the temporal regressor, the tests
and the benchmark.

A sequence is a smooth trajectory through plausible key poses (core.synthetic.sample_poses,
one every 10-30 frames, joined by shape-preserving cubic interpolation of the axis-angles, which
are linear in Anny's joint-limit coordinates so the in-between poses stay plausible), a smooth
turning about the vertical axis (now and then a fast half turn) and a smooth walk of the root in
front of the camera. Observations imitate BlazePose in a video: the exact landmarks projected,
plus per-frame pixel jitter, slowly drifting bias, missed points (low confidence, wrong
position) and, on chosen frames, the subject's left and right labels swapped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.interpolate import PchipInterpolator

from core.body.base import BodyModel
from core.body.params import BodyParams
from core.types import BLAZEPOSE_FLIP, Camera, Observation


@dataclass
class MotionConfig:
    """Shape of the random trajectories.

    key_spacing: (min, max) frames between key poses. difficulty: passed to sample_poses.
    turn_prob: chance per key pose of a fast half turn; yaw_spread: std of ordinary yaw changes
    (radians) per key. depth: (min, max) root distance from the camera, metres. walk: std of the
    root's sideways / depth moves per key, metres.
    """

    key_spacing: tuple[int, int] = (10, 30)
    difficulty: float = 0.4
    turn_prob: float = 0.15
    yaw_spread: float = 0.6
    depth: tuple[float, float] = (2.5, 5.0)
    walk: float = 0.3


@dataclass
class NoiseConfig:
    """BlazePose-like corruption of the exact landmarks.

    jitter_px: std of per-frame pixel noise for a person 500 px tall (scaled with the person).
    bias_px: std of a slowly drifting per-keypoint offset (same scale).
    dropout: chance per keypoint and frame of a missed point (confidence ~0.1, position off).
    noise3d: std of the 3D landmark noise, metres. swap_frames: frame indices whose left and
    right labels are swapped.
    """

    jitter_px: float = 4.0
    bias_px: float = 3.0
    dropout: float = 0.03
    noise3d: float = 0.02
    swap_frames: tuple[int, ...] = ()


@dataclass
class MotionSequence:
    """Ground truth and observations of one synthetic sequence.

    params: per-frame BodyParams (true). landmarks: (T, 33, 3) float32 true BlazePose points on
    the body, camera frame, metres. joints: (T, J, 3) float32 true joints, camera frame, metres.
    observations: per-frame Observation (no masks). camera: the intrinsics. fps: frame rate.
    """

    params: list[BodyParams]
    landmarks: np.ndarray
    joints: np.ndarray
    observations: list[Observation]
    camera: Camera
    fps: float = 30.0
    shape: np.ndarray = field(default_factory=lambda: np.zeros(6, np.float32))


def _smooth_curve(rng: np.random.Generator, keys_t: np.ndarray, values: np.ndarray,
                  t: np.ndarray) -> np.ndarray:
    return PchipInterpolator(keys_t, values, axis=0)(t)


def random_trajectory(body: BodyModel, frames: int, rng: np.random.Generator,
                      config: MotionConfig | None = None) -> list[BodyParams]:
    """``frames`` BodyParams of one person moving smoothly (shape from core.synthetic)."""
    from core.synthetic.poses import sample_poses
    from core.synthetic.shapes import sample_shapes

    c = config or MotionConfig()
    keys = [0]
    while keys[-1] < frames - 1:
        keys.append(keys[-1] + int(rng.integers(c.key_spacing[0], c.key_spacing[1] + 1)))
    keys_t = np.asarray(keys, float)
    t = np.arange(frames, dtype=float)
    poses = sample_poses(body, len(keys), rng, difficulty=c.difficulty).astype(np.float64)
    body_pose = _smooth_curve(rng, keys_t, poses, t)

    yaw = [rng.uniform(-np.pi, np.pi) * 0.5]
    for _ in keys[1:]:
        turn = np.pi * rng.choice([-1, 1]) if rng.random() < c.turn_prob else 0.0
        yaw.append(yaw[-1] + turn + rng.normal(0, c.yaw_spread))
    yaw = _smooth_curve(rng, keys_t, np.asarray(yaw), t)
    tilt = _smooth_curve(rng, keys_t, rng.normal(0, 0.08, (len(keys), 2)), t)
    # canonical y is down, so a turn of the body is a rotation about y; a small pitch/roll too.
    rot = (torch.as_tensor(np.stack([np.zeros_like(yaw), yaw, np.zeros_like(yaw)], 1)))
    import roma

    r = roma.rotvec_to_rotmat(rot) @ roma.rotvec_to_rotmat(
        torch.as_tensor(np.stack([tilt[:, 0], np.zeros(frames), tilt[:, 1]], 1)))
    go = roma.rotmat_to_rotvec(r).numpy()

    depth = rng.uniform(*c.depth)
    tk = np.stack([rng.normal(0, c.walk, len(keys)), rng.normal(0.1, 0.05, len(keys)),
                   depth + rng.normal(0, c.walk, len(keys))], 1)
    tk[:, 2] = np.clip(tk[:, 2], c.depth[0], c.depth[1])
    transl = _smooth_curve(rng, keys_t, tk, t)
    shape = sample_shapes(1, rng)[0]
    return [BodyParams(body.name, go[i], body_pose[i], shape, transl[i]) for i in range(frames)]


@torch.no_grad()
def evaluate_sequence(body: BodyModel, params: list[BodyParams]) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (T, 33, 3), joints (T, J, 3)) float32 camera frame, metres, of BodyParams."""
    out = body.forward(**body.tensors(params),
                       vertex_ids=torch.zeros(0, dtype=torch.int64, device=body.device))
    return out.landmarks.cpu().numpy(), out.joints.cpu().numpy()


def observe(landmarks: np.ndarray, camera: Camera, rng: np.random.Generator,
            noise: NoiseConfig | None = None) -> list[Observation]:
    """BlazePose-like observations of true landmarks (T, 33, 3) camera frame, metres."""
    n = noise or NoiseConfig()
    T = len(landmarks)
    flip = np.asarray(BLAZEPOSE_FLIP)
    px = camera.project(landmarks)                                        # (T, 33, 2)
    height = np.ptp(px[..., 1], axis=1)                                   # (T,) person px
    s = (height / 500.0)[:, None, None]
    bias = np.cumsum(rng.normal(0, n.bias_px / 4.0, (T, 33, 2)), 0)
    bias = n.bias_px * bias / max(np.abs(bias).std(), 1e-6)
    kp = px + s * (rng.normal(0, n.jitter_px, px.shape) + bias)
    conf = rng.uniform(0.6, 1.0, (T, 33))
    drop = rng.random((T, 33)) < n.dropout
    kp[drop] += rng.normal(0, 40.0, (int(drop.sum()), 2)) * s.repeat(33, 1)[drop]
    conf[drop] = rng.uniform(0.05, 0.25, int(drop.sum()))
    hip = landmarks[:, [23, 24]].mean(1, keepdims=True)
    l3 = landmarks - hip + rng.normal(0, n.noise3d, landmarks.shape)
    out = []
    for i in range(T):
        k = np.concatenate([kp[i], conf[i, :, None]], 1).astype(np.float32)
        lm = l3[i].astype(np.float32)
        if i in n.swap_frames:
            k, lm = k[flip], lm[flip]
        box = np.array([k[:, 0].min(), k[:, 1].min(), k[:, 0].max(), k[:, 1].max()], np.float32)
        out.append(Observation(index=i, width=camera.width, height=camera.height, person=True,
                               keypoints2d=k, landmarks3d=lm, bbox=box))
    return out


def make_sequence(body: BodyModel, frames: int, seed: int, *, camera: Camera | None = None,
                  motion: MotionConfig | None = None, noise: NoiseConfig | None = None,
                  fps: float = 30.0) -> MotionSequence:
    """One synthetic sequence with ground truth (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    cam = camera or Camera.from_fov(1280, 720)
    params = random_trajectory(body, frames, rng, motion)
    lm, joints = evaluate_sequence(body, params)
    obs = observe(lm, cam, rng, noise)
    return MotionSequence(params, lm, joints, obs, cam, fps, params[0].shape.copy())
