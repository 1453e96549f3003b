"""Bodies for frames without usable evidence: interpolated between the fitted frames around them.

Rotations (global orientation and every body-pose joint) are slerped on unit quaternions,
translation is lerped, shape is the sequence's. A gap at either end of the sequence holds the
nearest fitted body.
"""
from __future__ import annotations

import numpy as np
import roma
import torch

from core.body.params import BodyParams


def slerp_rotvecs(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation of axis-angle rotations.

    a, b: (..., 3) float axis-angle (radians) at t = 0 and t = 1. t: (T,) float in [0, 1].
    returns: (T, ..., 3) float32 axis-angle.
    """
    qa = roma.rotvec_to_unitquat(torch.as_tensor(np.asarray(a, np.float64)))
    qb = roma.rotvec_to_unitquat(torch.as_tensor(np.asarray(b, np.float64)))
    steps = torch.as_tensor(np.asarray(t, np.float64))
    q = roma.unitquat_slerp(qa, qb, steps, shortest_arc=True)   # (T, ..., 4)
    return roma.unitquat_to_rotvec(q).numpy().astype(np.float32)


def bridge_params(before: BodyParams | None, after: BodyParams | None, count: int) -> list[BodyParams]:
    """``count`` bodies strictly between ``before`` and ``after`` (either may be None: hold the
    other). Both None raises ValueError."""
    if count <= 0:
        return []
    if before is None and after is None:
        raise ValueError("bridge_params needs a fitted body on at least one side of the gap")
    if before is None or after is None:
        src = before if before is not None else after
        return [src.copy() for _ in range(count)]
    t = np.arange(1, count + 1, dtype=np.float64) / (count + 1)
    go = slerp_rotvecs(before.global_orient, after.global_orient, t)
    bp = slerp_rotvecs(before.body_pose, after.body_pose, t)
    tr = (1 - t)[:, None] * before.transl[None] + t[:, None] * after.transl[None]
    return [BodyParams(before.model, go[i], bp[i], before.shape.copy(), tr[i],
                       {k: v.copy() for k, v in before.extras.items()}) for i in range(count)]
