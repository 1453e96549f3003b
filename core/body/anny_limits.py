"""Plausible joint angles for AnnyBody's pose joints (canonical axes: x = subject's left,
y = down, z = backward). A soft penalty, zero inside the limits, quadratic outside."""
from __future__ import annotations

import torch

from .anny_body import POSE_JOINTS

#: Per pose joint: ((min_x, max_x), (min_y, max_y), (min_z, max_z)) in radians on the axis-angle
#: components. Wide defaults; the fitting code tightens what matters (knees, elbows, spine).
_DEFAULT = ((-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0))
LIMITS: dict[str, tuple[tuple[float, float], ...]] = {name: _DEFAULT for name in POSE_JOINTS}


def _limit_tensor(device, dtype) -> torch.Tensor:
    return torch.tensor([LIMITS[n] for n in POSE_JOINTS], device=device, dtype=dtype)  # (P,3,2)


def anny_pose_prior(body_pose: torch.Tensor) -> torch.Tensor:
    """(B,) penalty for body_pose (B, P, 3) outside LIMITS."""
    lim = _limit_tensor(body_pose.device, body_pose.dtype)
    below = torch.relu(lim[..., 0] - body_pose)
    above = torch.relu(body_pose - lim[..., 1])
    return ((below ** 2) + (above ** 2)).sum((-1, -2))
