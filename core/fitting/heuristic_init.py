"""The analytic first guess of a fit, used when the learned initializer is absent or turned off.

1. Orientation: the rotation that carries the body's rest torso (shoulders, hips, nose) onto
   BlazePose's metric 3D landmarks (Kabsch); with no 3D landmarks, upright and facing the
   camera or away from it, whichever matches the 2D left/right order of the shoulders.
2. Limbs: each upper arm, forearm, thigh and shin is turned (shortest rotation) from its rest
   direction onto the observed 3D direction, chained like every body model's pose (a child's
   global rotation = parent's global rotation @ its own). The result is checked on the body: a
   limb whose direction does not improve (a model whose pose axes differ) is left at rest.
3. Translation: depth from the ratio of the projected body's spread to the keypoints' spread in
   pixels (depth ~ f x size in metres / size in pixels), then x, y from the keypoints' centroid.
"""
from __future__ import annotations

import numpy as np
import torch

from core.body.base import BodyModel
from core.types import Camera, Observation

#: Torso points used for the orientation: shoulders, hips, nose.
TORSO_POINTS = (11, 12, 23, 24, 0)

#: Limbs as (names the upper segment's pose joint may have, names of the lower one's,
#: BlazePose points root, middle, end). Anny and SMPL-family names.
LIMBS: tuple[tuple[tuple[str, ...], tuple[str, ...], int, int, int], ...] = (
    (("upperarm01.L", "left_shoulder"), ("lowerarm01.L", "left_elbow"), 11, 13, 15),
    (("upperarm01.R", "right_shoulder"), ("lowerarm01.R", "right_elbow"), 12, 14, 16),
    (("upperleg01.L", "left_hip"), ("lowerleg01.L", "left_knee"), 23, 25, 27),
    (("upperleg01.R", "right_hip"), ("lowerleg01.R", "right_knee"), 24, 26, 28),
)

#: Rotation of pi about the canonical vertical axis (y): turns a body to face the other way.
TURN_AROUND = np.diag([-1.0, 1.0, -1.0])


def has_landmarks3d(observation: Observation) -> bool:
    return bool(np.abs(observation.landmarks3d).sum() > 1e-6)


def kabsch(src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(3, 3) rotation R minimising sum w |R (src - mean) - (dst - mean)|^2 (no reflection)."""
    w = np.asarray(w, np.float64) / max(float(np.sum(w)), 1e-9)
    a = src - (w[:, None] * src).sum(0)
    b = dst - (w[:, None] * dst).sum(0)
    u, _, vt = np.linalg.svd((a * w[:, None]).T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T


def aim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) shortest rotation taking direction a onto direction b."""
    a = a / max(np.linalg.norm(a), 1e-9)
    b = b / max(np.linalg.norm(b), 1e-9)
    axis = np.cross(a, b)
    s, c = np.linalg.norm(axis), float(a @ b)
    if s < 1e-9:
        if c > 0:
            return np.eye(3)
        perp = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        axis, s, c = perp / np.linalg.norm(perp), 1.0, -1.0
        return _rodrigues(axis, np.pi)
    return _rodrigues(axis / s, np.arctan2(s, c))


def _rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def rotvec(r: np.ndarray) -> np.ndarray:
    """(3,) axis-angle of a rotation matrix (3, 3)."""
    import cv2

    return cv2.Rodrigues(np.asarray(r, np.float64))[0].reshape(3)


def rotmat(v: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix of an axis-angle (3,)."""
    import cv2

    return cv2.Rodrigues(np.asarray(v, np.float64).reshape(3, 1))[0]


def orientation_hypotheses(observation: Observation, rest_landmarks: np.ndarray) -> list[np.ndarray]:
    """Two (3, 3) canonical -> camera rotations: the best guess and the same body turned around.

    rest_landmarks: (33, 3) body landmarks in the canonical frame (rest pose, root at origin).
    """
    conf = observation.keypoints2d[:, 2]
    if has_landmarks3d(observation):
        idx = list(TORSO_POINTS)
        w = np.maximum(conf[idx], 0.05) * np.array([1, 1, 1, 1, 0.5])
        r = kabsch(rest_landmarks[idx].astype(np.float64),
                   observation.landmarks3d[idx].astype(np.float64), w)
    else:
        kp = observation.keypoints2d
        facing = kp[11, 0] >= kp[12, 0]  # subject's left shoulder on the image's right
        r = np.eye(3) if facing else TURN_AROUND.copy()
    return [r, r @ TURN_AROUND]


def _pose_index(body: BodyModel, names: tuple[str, ...]) -> int | None:
    for n in names:
        if n in body.pose_joint_names:
            return body.pose_joint_names.index(n)
    return None


def limb_pose(body: BodyModel, rest_landmarks: np.ndarray, rotation: np.ndarray,
              observation: Observation, min_confidence: float = 0.0) -> np.ndarray:
    """(P, 3) float32 body_pose aiming each visible limb along BlazePose's 3D landmarks.

    rest_landmarks: (33, 3) canonical rest landmarks. rotation: (3, 3) canonical -> camera.
    Torso, head, hands and feet stay at rest. Zeros when the observation has no 3D landmarks.
    """
    pose = np.zeros((body.num_pose_joints, 3), np.float64)
    if not has_landmarks3d(observation):
        return pose.astype(np.float32)
    obs = observation.landmarks3d.astype(np.float64) @ rotation  # camera axes -> canonical axes
    conf = observation.keypoints2d[:, 2]
    rest = rest_landmarks.astype(np.float64)
    for upper_names, lower_names, a, b, c in LIMBS:
        iu, il = _pose_index(body, upper_names), _pose_index(body, lower_names)
        if iu is None or min(conf[a], conf[b]) < min_confidence:
            continue
        g_up = aim(rest[b] - rest[a], obs[b] - obs[a])
        pose[iu] = rotvec(g_up)
        if il is None or conf[c] < min_confidence:
            continue
        turn = aim(g_up @ (rest[c] - rest[b]), obs[c] - obs[b])
        pose[il] = rotvec(g_up.T @ turn @ g_up)
    return pose.astype(np.float32)


def _limb_cosines(points: np.ndarray, obs: np.ndarray) -> np.ndarray:
    out = []
    for _, _, a, b, c in LIMBS:
        for i, j in ((a, b), (b, c)):
            u, v = points[..., j, :] - points[..., i, :], obs[j] - obs[i]
            out.append((u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v), 1e-9))
    return np.stack(out, -1)


def checked_limb_poses(body: BodyModel, shape: np.ndarray, rest_landmarks: np.ndarray,
                       rotations: list[np.ndarray], observation: Observation) -> np.ndarray:
    """(H, P, 3) limb poses for each hypothesis rotation, keeping only limbs that the body model
    really turns the way they were aimed (checked with one batched forward)."""
    poses = np.stack([limb_pose(body, rest_landmarks, r, observation) for r in rotations])
    if not np.any(poses):
        return poses
    h = len(rotations)
    t = lambda x: torch.as_tensor(np.asarray(x), dtype=body.dtype, device=body.device)  # noqa: E731
    with torch.no_grad():
        lm = body(t(np.zeros((h, 3))), t(poses), t(shape[None]), t(np.zeros((h, 3))),
                  vertex_ids=torch.zeros(0, dtype=torch.int64, device=body.device)).landmarks
    lm = lm.cpu().numpy().astype(np.float64)
    for k, r in enumerate(rotations):
        obs = observation.landmarks3d.astype(np.float64) @ r
        posed, rest = _limb_cosines(lm[k], obs), _limb_cosines(rest_landmarks, obs)
        for n, (upper_names, lower_names, *_ ) in enumerate(LIMBS):
            if posed[2 * n] < rest[2 * n] - 1e-3 or posed[2 * n + 1] < min(0.0, rest[2 * n + 1]):
                for names in (upper_names, lower_names):
                    i = _pose_index(body, names)
                    if i is not None:
                        poses[k, i] = 0.0
    return poses


def initial_translation(points_cam: np.ndarray, observation: Observation, camera: Camera,
                        weights: np.ndarray) -> np.ndarray:
    """(3,) root position, camera frame, metres, that makes the body's projected keypoints match
    the detected ones in spread and centroid.

    points_cam: (33, 3) body landmarks relative to the root, camera axes, metres (rotation
    applied, no translation). weights: (33,) how much each keypoint counts.
    """
    kp = observation.keypoints2d[:, :2].astype(np.float64)
    w = np.asarray(weights, np.float64)
    w = w / max(w.sum(), 1e-9)
    z0 = 5.0
    proj = camera.project(points_cam + np.array([0.0, 0.0, z0]))
    spread = lambda p: np.sqrt((w * ((p - (w[:, None] * p).sum(0)) ** 2).sum(1)).sum())  # noqa: E731
    z = z0 * spread(proj) / max(spread(kp), 1e-6)
    z = float(np.clip(z, 0.3, 200.0))
    centroid = (w[:, None] * kp).sum(0)
    body_c = (w[:, None] * points_cam).sum(0)
    x = (centroid[0] - camera.cx) * (z + body_c[2]) / camera.fx - body_c[0]
    y = (centroid[1] - camera.cy) * (z + body_c[2]) / camera.fy - body_c[1]
    return np.array([x, y, z], np.float64)
