"""Axis-angle to rotation matrix for the fits' inner loops.

The fits turn a few dozen axis-angle vectors into matrices on every optimizer step, forward and
backward, and a step's cost on a CPU is mostly the number of small tensor operations. roma's
general conversion takes about 200 of them per call (forward and backward); this one about half
as many, to float precision, with a finite gradient at the zero rotation (where every fit starts).
"""
from __future__ import annotations

import torch

#: Added to the squared angle so that the zero rotation has a finite angle and gradient.
_EPS = 1e-12


def rotvec_to_rotmat(rotvec: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices of axis-angle vectors (..., 3) (radians; Rodrigues).

    R = I + a K + b K^2 with K the cross-product matrix of the vector, a = sin(t)/t and
    b = (1 - cos t)/t^2 written as 2 sin^2(t/2)/t^2 (no cancellation at small angles)."""
    t2 = (rotvec * rotvec).sum(-1, keepdim=True)
    t = (t2 + _EPS).sqrt()
    a = (torch.sin(t) / t)[..., None]
    b = (2.0 * torch.sin(0.5 * t) ** 2 / (t2 + _EPS))[..., None]
    x, y, z = rotvec.unbind(-1)
    o = torch.zeros_like(x)
    k = torch.stack([o, -z, y, z, o, -x, -y, x, o], -1).reshape(rotvec.shape + (3,))
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device)
    return eye + a * k + b * (k @ k)
