"""Hands from MediaPipe's 21 hand landmarks: finger flexion, the wrist's orientation, knuckles.

- Fingers: each joint's flexion is the angle between the finger's consecutive segments in the
  landmarks' own 3D (x, y in pixels, z a relative depth in the same units), measured the same way
  on the body's rest hand; the difference is the body's finger pose (``finger_pose``). A hand that
  was not found gets a relaxed pose (fingers slightly curled, as a hand hangs at rest).
- Wrist: the palm's frame (wrist -> knuckles, index knuckle -> little-finger knuckle, and their
  normal) seen by the hand model, compared with the same frame of the body's landmarks
  (``hand_axes`` / ``hand_loss``) in the fit.
- Knuckles: where a hand was found, its knuckle points replace BlazePose's coarser hand points
  (``refine_hand_keypoints``).
"""
from __future__ import annotations

import numpy as np
import torch

from core.types import Observation

#: MediaPipe hand points per finger (thumb..little): the point before the first joint, then
#: the three joints and the tip.
CHAINS = ((0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (0, 9, 10, 11, 12), (0, 13, 14, 15, 16),
          (0, 17, 18, 19, 20))
#: Relaxed finger pose where no hand was seen (radians over the rest hand: knuckle, middle and
#: end joint; thumb slightly in).
RELAXED = np.array([[0.10, 0.10, 0.10]] + [[0.25, 0.35, 0.20]] * 4, np.float32)
#: Limits of the finger pose (radians over rest): slight extension to a full fist.
LOW, HIGH = -0.3, 1.9
#: BlazePose hand points (wrist, pinky, index, thumb) per side and the MediaPipe points at the
#: same spots (wrist, little knuckle, index knuckle, thumb MCP).
BLAZEPOSE_HAND = {"left": (15, 17, 19, 21), "right": (16, 18, 20, 22)}
MEDIAPIPE_HAND = (0, 17, 5, 2)


def flexion_angles(points: np.ndarray) -> np.ndarray:
    """(..., 5, 3) unsigned flexion angles (radians) of 21 hand points (..., 21, 3)."""
    p = np.asarray(points, np.float64)
    out = np.zeros(p.shape[:-2] + (5, 3))
    for f, chain in enumerate(CHAINS):
        seg = np.stack([p[..., chain[k + 1], :] - p[..., chain[k], :] for k in range(4)], -2)
        seg /= np.maximum(np.linalg.norm(seg, axis=-1, keepdims=True), 1e-9)
        cos = (seg[..., :-1, :] * seg[..., 1:, :]).sum(-1)
        out[..., f, :] = np.arccos(np.clip(cos, -1.0, 1.0))
    return out


def rest_flexion(body) -> np.ndarray:
    """(2, 5, 3) flexion angles of the body's rest hands (cached on the body)."""
    cached = getattr(body, "_rest_flexion", None)
    if cached is None:
        pts = body_hand_points(body, torch.zeros(1, 2, 5, 3, dtype=body.dtype, device=body.device))
        cached = flexion_angles(pts[0].cpu().numpy())
        body._rest_flexion = cached
    return cached


def body_hand_points(body, fingers: torch.Tensor, body_pose: torch.Tensor | None = None,
                     shape: torch.Tensor | None = None) -> torch.Tensor:
    """(B, 2, 21, 3) MediaPipe-layout hand points of the body (canonical frame, rest placement)
    with finger pose (B, 2, 5, 3) (and body_pose (B, P, 3), shape (B, S) when given)."""
    rig = body.hand_rig
    b = fingers.shape[0]
    z = torch.zeros(b, 3, dtype=body.dtype, device=body.device)
    if body_pose is None:
        body_pose = torch.zeros(b, body.num_pose_joints, 3, dtype=body.dtype, device=body.device)
    if shape is None:
        shape = torch.as_tensor(body.mean_shape(), dtype=body.dtype, device=body.device)[None]
    tips = torch.as_tensor(rig.tip_vertex_ids.reshape(-1), device=body.device)
    out = body(z, body_pose, shape, z, vertex_ids=tips, extras={"fingers": fingers})
    return rig.hand_points(out.joints, out.vertices.reshape(b, 2, 5, 3))


def finger_pose(observation: Observation, body) -> np.ndarray | None:
    """(2, 5, 3) float32 finger pose (radians over the rest hand, subject's left then right) from
    the observation's hand landmarks, the relaxed pose for a hand not found; None for a body
    without a finger rig."""
    if not hasattr(body, "hand_rig"):
        return None
    rest = rest_flexion(body)
    out = np.tile(RELAXED[None], (2, 1, 1))
    for h, points in enumerate((observation.left_hand, observation.right_hand)):
        if points is not None:
            out[h] = np.clip(flexion_angles(points) - rest[h], LOW, HIGH)
    return out.astype(np.float32)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def hand_axes(wrist: torch.Tensor, little: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) palm frame from wrist, little-finger and index knuckle points (..., 3): rows
    across (little -> index), forward (wrist -> knuckles, orthogonal to across) and their
    cross product."""
    across = _unit(index - little)
    fwd = 0.5 * (index + little) - wrist
    fwd = _unit(fwd - (fwd * across).sum(-1, keepdim=True) * across)
    return torch.stack([across, fwd, torch.linalg.cross(across, fwd, dim=-1)], -2)


def observed_hand_axes(observation: Observation, dtype=torch.float32,
                       device="cpu") -> dict[str, torch.Tensor]:
    """{"left"/"right": (3, 3) palm frame in camera axes} for each hand the observation has."""
    out = {}
    for side, points in (("left", observation.left_hand), ("right", observation.right_hand)):
        if points is not None:
            p = torch.as_tensor(np.asarray(points, np.float32), dtype=dtype, device=device)
            out[side] = hand_axes(p[0], p[17], p[5])
    return out


def hand_loss(landmarks: torch.Tensor, targets: dict[str, torch.Tensor]) -> torch.Tensor:
    """(B,) mean (1 - cos) between the body's palm frames (from its BlazePose wrist, pinky and
    index points, landmarks (B, 33, 3)) and the observed ones."""
    total = landmarks.new_zeros(landmarks.shape[0])
    for side, target in targets.items():
        w, little, index, _ = BLAZEPOSE_HAND[side]
        axes = hand_axes(landmarks[:, w], landmarks[:, little], landmarks[:, index])
        total = total + (1.0 - (axes * target).sum(-1)).mean(-1)
    return total / max(len(targets), 1)


def refine_hand_keypoints(keypoints2d: np.ndarray, observation: Observation,
                          confidence: float = 0.9) -> np.ndarray:
    """(33, 3) keypoints with BlazePose's pinky, index and thumb points replaced by the hand
    model's knuckles (and their confidence set to ``confidence``) where a hand was found."""
    kp = np.array(keypoints2d, np.float32)
    for side, points in (("left", observation.left_hand), ("right", observation.right_hand)):
        if points is None:
            continue
        for bp, mp in zip(BLAZEPOSE_HAND[side][1:], MEDIAPIPE_HAND[1:]):
            kp[bp, :2] = points[mp, :2]
            kp[bp, 2] = confidence
    return kp
