"""3D pose errors of BlazePose-order points against a reference (triangulated or true).

Every function takes (33, 3) points in BlazePose order (``core.types.BLAZEPOSE_NAMES``), in one
common frame (a view's camera frame, or any frame both share) and one unit (metres unless said);
nan rows mark missing points. Angles are in degrees.

- PA-MPJPE: mean joint error after the similarity transform (rotation, scale, translation) that
  best aligns the prediction (Umeyama); root-aligned MPJPE: after moving both hip midpoints to
  the origin, nothing else. Both over the 12 limb joints (``LIMB_JOINTS``).
- Head yaw: the head's forward direction from the nose and the ears (nose minus ear midpoint,
  plus the ear axis turned by 90 degrees about up), in the plane perpendicular to the reference's
  up direction. A front/back flip is a yaw error above 45 degrees.
- Knee flexion: 0 for a straight leg (angle between thigh and shank directions). Stoop: angle
  between the trunk (hip midpoint -> shoulder midpoint) and the legs' line (ankle midpoint ->
  hip midpoint). Trunk tilt: angle between the trunk and the up direction (gravity).
- Acceleration error: mean norm of the difference of second differences in time of root-aligned
  joints, in input units per frame^2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.fitting.metrics import procrustes_align

#: Shoulders, elbows, wrists, hips, knees, ankles (BlazePose indices).
LIMB_JOINTS: tuple[int, ...] = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
#: A front/back flip: the head's yaw is off by more than this many degrees.
FLIP_DEGREES = 45.0

_NOSE, _L_EAR, _R_EAR = 0, 7, 8
_L_SHOULDER, _R_SHOULDER, _L_HIP, _R_HIP = 11, 12, 23, 24
_L_KNEE, _R_KNEE, _L_ANKLE, _R_ANKLE = 25, 26, 27, 28


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if not (na > 1e-9 and nb > 1e-9):
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(a @ b / (na * nb), -1.0, 1.0))))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.full(3, np.nan)


def root(points: np.ndarray) -> np.ndarray:
    """(3,) hip midpoint."""
    p = np.asarray(points, np.float64)
    return 0.5 * (p[_L_HIP] + p[_R_HIP])


def pa_mpjpe(pred: np.ndarray, ref: np.ndarray, joints: tuple[int, ...] = LIMB_JOINTS) -> float:
    """Mean joint distance after the best similarity alignment of ``pred`` onto ``ref`` over
    ``joints`` (input units; nan when any of them is missing)."""
    p, r = np.asarray(pred, np.float64)[list(joints)], np.asarray(ref, np.float64)[list(joints)]
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(r))):
        return float("nan")
    return float(np.linalg.norm(procrustes_align(p, r) - r, axis=1).mean())


def mpjpe_root(pred: np.ndarray, ref: np.ndarray, joints: tuple[int, ...] = LIMB_JOINTS) -> float:
    """Mean joint distance over ``joints`` after moving both hip midpoints to the origin (no
    rotation or scale: the frame's axes matter)."""
    p, r = np.asarray(pred, np.float64), np.asarray(ref, np.float64)
    d = (p[list(joints)] - root(p)) - (r[list(joints)] - root(r))
    return float(np.linalg.norm(d, axis=1).mean()) if np.all(np.isfinite(d)) else float("nan")


def head_forward(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(3,) unit forward direction of the head in the plane perpendicular to ``up`` (nan when
    the nose or an ear is missing): nose minus the ear midpoint, plus left-ear-minus-right-ear
    turned by 90 degrees (left x up = forward for x forward, y left, z up)."""
    p = np.asarray(points, np.float64)
    u = _unit(np.asarray(up, np.float64))
    if not np.all(np.isfinite(p[[_NOSE, _L_EAR, _R_EAR]])):
        return np.full(3, np.nan)
    flat = lambda v: v - u * (v @ u)  # noqa: E731
    ahead = _unit(flat(p[_NOSE] - 0.5 * (p[_L_EAR] + p[_R_EAR])))
    across = _unit(flat(np.cross(p[_L_EAR] - p[_R_EAR], u)))
    return _unit(np.nan_to_num(ahead) + np.nan_to_num(across))


def head_yaw_error(pred: np.ndarray, ref: np.ndarray, up: np.ndarray) -> float:
    """Angle in degrees (0-180) between the head's forward directions of ``pred`` and ``ref``,
    both in the plane perpendicular to the reference's ``up``."""
    return _angle(head_forward(pred, up), head_forward(ref, up))


def is_flip(pred: np.ndarray, ref: np.ndarray, up: np.ndarray,
            degrees: float = FLIP_DEGREES) -> bool:
    """Front/back flip: head yaw off by more than ``degrees`` (False when it cannot be told)."""
    e = head_yaw_error(pred, ref, up)
    return bool(np.isfinite(e) and e > degrees)


def knee_flexion(points: np.ndarray) -> np.ndarray:
    """(2,) left and right knee flexion in degrees (0: straight), from hip, knee and ankle."""
    p = np.asarray(points, np.float64)
    return np.array([_angle(p[k] - p[h], p[a] - p[k])
                     for h, k, a in ((_L_HIP, _L_KNEE, _L_ANKLE), (_R_HIP, _R_KNEE, _R_ANKLE))])


def _trunk(p: np.ndarray) -> np.ndarray:
    return 0.5 * (p[_L_SHOULDER] + p[_R_SHOULDER]) - root(p)


def stoop(points: np.ndarray) -> float:
    """Degrees between the trunk (hips -> shoulders) and the legs' line (ankles -> hips)."""
    p = np.asarray(points, np.float64)
    return _angle(_trunk(p), root(p) - 0.5 * (p[_L_ANKLE] + p[_R_ANKLE]))


def trunk_tilt(points: np.ndarray, up: np.ndarray) -> float:
    """Degrees between the trunk (hips -> shoulders) and ``up`` (0: upright)."""
    return _angle(_trunk(np.asarray(points, np.float64)), np.asarray(up, np.float64))


@dataclass
class PoseErrors:
    """Errors of one predicted pose against its reference.

    pa_mpjpe, mpjpe: mm over LIMB_JOINTS. yaw: head yaw error, degrees. flip: yaw > 45 degrees.
    knee: mean absolute knee-flexion error over both knees, degrees. stoop: absolute error of the
    trunk-to-legs angle, degrees. tilt: absolute error of the trunk's angle to up, degrees.
    nan where the points needed are missing.
    """

    pa_mpjpe: float
    mpjpe: float
    yaw: float
    flip: bool
    knee: float
    stoop: float
    tilt: float


def pose_errors(pred: np.ndarray, ref: np.ndarray, up: np.ndarray) -> PoseErrors:
    """All per-frame errors of ``pred`` (33, 3) against ``ref`` (33, 3), metres, one frame whose
    ``up`` (3,) is the reference's up direction (gravity reversed)."""
    yaw = head_yaw_error(pred, ref, up)
    return PoseErrors(
        pa_mpjpe=1000.0 * pa_mpjpe(pred, ref), mpjpe=1000.0 * mpjpe_root(pred, ref), yaw=yaw,
        flip=bool(np.isfinite(yaw) and yaw > FLIP_DEGREES),
        knee=float(np.nanmean(np.abs(knee_flexion(pred) - knee_flexion(ref))))
        if np.isfinite(knee_flexion(pred) - knee_flexion(ref)).any() else float("nan"),
        stoop=abs(stoop(pred) - stoop(ref)), tilt=abs(trunk_tilt(pred, up) - trunk_tilt(ref, up)))


def _second_difference(points: np.ndarray, joints: tuple[int, ...]) -> np.ndarray:
    """(T-2, J, 3) second differences in time of root-aligned ``joints`` of (T, 33, 3)."""
    p = np.asarray(points, np.float64)
    x = p[:, list(joints)] - 0.5 * (p[:, _L_HIP] + p[:, _R_HIP])[:, None]
    return x[2:] - 2.0 * x[1:-1] + x[:-2]


def _mean_finite(d: np.ndarray) -> float:
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else float("nan")


def acceleration_error(pred: np.ndarray, ref: np.ndarray,
                       joints: tuple[int, ...] = LIMB_JOINTS) -> float:
    """Mean acceleration error of a sequence, in input units per frame^2.

    pred, ref: (T, 33, 3) consecutive frames, both root-aligned per frame here; a triplet of
    frames counts only where all three exist in both (nan frames or points are skipped).
    """
    if len(pred) < 3:
        return float("nan")
    d = _second_difference(pred, joints) - _second_difference(ref, joints)
    return _mean_finite(np.linalg.norm(d, axis=-1))


def acceleration(points: np.ndarray, joints: tuple[int, ...] = LIMB_JOINTS) -> float:
    """Mean acceleration magnitude of a root-aligned (T, 33, 3) sequence, units per frame^2."""
    if len(points) < 3:
        return float("nan")
    return _mean_finite(np.linalg.norm(_second_difference(points, joints), axis=-1))


__all__ = ["LIMB_JOINTS", "FLIP_DEGREES", "PoseErrors", "pose_errors", "pa_mpjpe", "mpjpe_root",
           "head_forward", "head_yaw_error", "is_flip", "knee_flexion", "stoop", "trunk_tilt",
           "acceleration_error", "acceleration", "root"]
