"""Joint limits of AnnyBody's 22 pose joints, and the pose prior built on them.

Axes. ``body_pose`` holds one axis-angle per joint of ``POSE_JOINTS`` in the canonical body
frame (x = subject's left, y = down, z = backward; the body faces -z), chained like SMPL's and
relative to Anny's A-pose rest. Each joint has a *limit frame*: three orthonormal rows, in
canonical axes, onto which its axis-angle is projected; the limits are a [low, high] interval on
each of the three projections (radians). Most joints use the canonical axes themselves; the
elbows and wrists use (flexion, twist, carry) axes and the knees (flexion, twist, side) axes,
so that a hinge is a hinge. Right-side joints mirror the left side: a right pose is reflected
through the sagittal plane (axis-angle (x, y, z) -> (x, -y, -z)) and checked against the left
joint's frame and interval.

How the numbers were found (scripts in the commit history; measured on the mean adult):
posing one joint at +/-0.8 rad about each canonical axis and watching where its child joint
moved gives, for the left side,
- spine05..spine01, neck01, neck02, head: +x bends forward (flexion), +z leans to the subject's
  left, y twists;
- clavicle.L: -z shrugs the shoulder up, +/-y moves it forward / back;
- upperarm01.L (arm 47 degrees below horizontal at rest): -z raises the arm sideways (about
  -0.8 is a T-pose, -2.3 overhead), +z brings it to the body, -x swings it forward, +x back;
- lowerarm01.L: rest forearm already 42 degrees flexed; rotation about u x f (upper-arm
  direction cross forearm direction) flexes the elbow, -0.73 rad straightens it;
- upperleg01.L: -x swings the thigh forward (hip flexion; -1.5 is sitting), -z abducts;
- lowerleg01.L: +x bends the knee backward only;
- foot.L: +x points the toes down (plantar flexion), -x pulls them up.
Anatomical ranges (adult, active range of motion) were then written in those axes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .anny_body import POSE_JOINTS

#: Reflection through the sagittal plane acting on axis-angles (a pseudovector): (x, -y, -z).
MIRROR = np.diag([1.0, -1.0, -1.0])


def _frame(primary, twist) -> np.ndarray:
    """(3, 3) rows (primary, twist, primary x twist), primary orthogonalised to twist."""
    t = np.asarray(twist, float)
    t = t / np.linalg.norm(t)
    p = np.asarray(primary, float)
    p = p - (p @ t) * t
    p = p / np.linalg.norm(p)
    return np.stack([p, t, np.cross(p, t)])


_EYE = np.eye(3)
#: Rest directions (canonical, left side, mean adult) measured from the model.
_UPPERARM_DIR = (0.657, 0.754, -0.027)
_FOREARM_DIR = (0.509, 0.523, -0.684)
_SHIN_DIR = (0.100, 0.992, 0.072)
_ELBOW_FRAME = _frame(np.cross(_UPPERARM_DIR, _FOREARM_DIR), _FOREARM_DIR)
_KNEE_FRAME = _frame((1.0, 0.0, 0.0), _SHIN_DIR)


@dataclass(frozen=True)
class JointLimit:
    """Limits of one joint.

    frame: (3, 3) float64 orthonormal rows in canonical axes (left-side convention);
    low, high: (3,) radians, interval of the axis-angle's projection on each row;
    axes: names of the three rows, for people reading plots and logs.
    """

    frame: np.ndarray
    low: tuple[float, float, float]
    high: tuple[float, float, float]
    axes: tuple[str, str, str] = ("x", "y", "z")


def _canon(x, y, z) -> JointLimit:
    return JointLimit(_EYE, (x[0], y[0], z[0]), (x[1], y[1], z[1]))


#: Left-side (and midline) limits. Keys without a side suffix are midline joints.
_LEFT: dict[str, JointLimit] = {
    # five spine segments share the trunk's range: ~85 deg flexion, 35 extension, 35 side, 35 twist
    "spine05": _canon((-0.12, 0.30), (-0.12, 0.12), (-0.12, 0.12)),
    "spine04": _canon((-0.12, 0.30), (-0.12, 0.12), (-0.12, 0.12)),
    "spine03": _canon((-0.12, 0.30), (-0.12, 0.12), (-0.12, 0.12)),
    "spine02": _canon((-0.12, 0.30), (-0.12, 0.12), (-0.12, 0.12)),
    "spine01": _canon((-0.12, 0.30), (-0.12, 0.12), (-0.12, 0.12)),
    # neck + head: ~70 deg nod down, 60 up, 75 turn, 40 tilt in total
    "neck01": _canon((-0.35, 0.40), (-0.45, 0.45), (-0.25, 0.25)),
    "neck02": _canon((-0.35, 0.40), (-0.45, 0.45), (-0.25, 0.25)),
    "head": _canon((-0.40, 0.45), (-0.45, 0.45), (-0.25, 0.25)),
    "clavicle.L": _canon((-0.15, 0.15), (-0.35, 0.35), (-0.50, 0.15)),
    "upperarm01.L": _canon((-2.40, 0.90), (-1.20, 1.20), (-2.50, 0.80)),
    "lowerarm01.L": JointLimit(_ELBOW_FRAME, (-0.80, -0.90, -0.15), (1.85, 0.90, 0.15),
                               ("flexion", "twist", "carry")),
    "wrist.L": JointLimit(_ELBOW_FRAME, (-1.00, -0.45, -0.50), (1.00, 0.45, 0.50),
                          ("flexion", "twist", "deviation")),
    "upperleg01.L": _canon((-2.10, 0.50), (-0.60, 0.60), (-0.90, 0.45)),
    "lowerleg01.L": JointLimit(_KNEE_FRAME, (-0.05, -0.35, -0.10), (2.45, 0.35, 0.10),
                               ("flexion", "twist", "side")),
    "foot.L": _canon((-0.45, 0.85), (-0.40, 0.40), (-0.30, 0.30)),
}


def _build() -> dict[str, JointLimit]:
    out: dict[str, JointLimit] = {}
    for name in POSE_JOINTS:
        if name.endswith(".R"):
            left = _LEFT[name[:-2] + ".L"]
            out[name] = JointLimit(left.frame @ MIRROR, left.low, left.high, left.axes)
        else:
            out[name] = _LEFT[name]
    return out


#: Per pose joint (POSE_JOINTS order): its limit frame and interval.
LIMITS: dict[str, JointLimit] = _build()


def limit_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frames (P, 3, 3), low (P, 3), high (P, 3)) float64 in POSE_JOINTS order, radians."""
    frames = np.stack([LIMITS[n].frame for n in POSE_JOINTS])
    low = np.array([LIMITS[n].low for n in POSE_JOINTS], float)
    high = np.array([LIMITS[n].high for n in POSE_JOINTS], float)
    return frames, low, high


_TORCH_CACHE: dict[tuple, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}


def _limit_tensors(device, dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    key = (str(device), dtype)
    if key not in _TORCH_CACHE:
        _TORCH_CACHE[key] = tuple(torch.as_tensor(a, device=device, dtype=dtype)
                                  for a in limit_arrays())
    return _TORCH_CACHE[key]


def to_limit_coords(body_pose: torch.Tensor) -> torch.Tensor:
    """(..., P, 3) projections of axis-angles (..., P, 3) on each joint's limit frame, radians."""
    frames, _, _ = _limit_tensors(body_pose.device, body_pose.dtype)
    return torch.einsum("pij,...pj->...pi", frames, body_pose)


def from_limit_coords(coords: torch.Tensor) -> torch.Tensor:
    """Inverse of ``to_limit_coords``: (..., P, 3) limit coordinates -> axis-angles."""
    frames, _, _ = _limit_tensors(coords.device, coords.dtype)
    return torch.einsum("pji,...pj->...pi", frames, coords)


def anny_pose_prior(body_pose: torch.Tensor) -> torch.Tensor:
    """(B,) penalty of body poses (B, P, 3) axis-angle, canonical axes: the sum over joints and
    axes of the squared distance (radians^2) outside the limits; exactly 0 inside."""
    _, low, high = _limit_tensors(body_pose.device, body_pose.dtype)
    c = to_limit_coords(body_pose)
    return (torch.relu(low - c) ** 2 + torch.relu(c - high) ** 2).sum((-1, -2))


def clamp_to_limits(body_pose: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
    """(..., P, 3) body poses moved to the nearest point inside the limits (shrunk by
    ``margin`` radians on each side)."""
    _, low, high = _limit_tensors(body_pose.device, body_pose.dtype)
    c = to_limit_coords(body_pose)
    return from_limit_coords(torch.maximum(torch.minimum(c, high - margin), low + margin))


def within_limits(body_pose: torch.Tensor, tolerance: float = 1e-4) -> torch.Tensor:
    """(...,) bool: every joint of (..., P, 3) within its limits (+ ``tolerance`` radians)."""
    _, low, high = _limit_tensors(body_pose.device, body_pose.dtype)
    c = to_limit_coords(body_pose)
    return ((c >= low - tolerance) & (c <= high + tolerance)).all(-1).all(-1)
