"""A fast stick-figure of AnnyBody: joint positions from joint rotations, no mesh, no skinning.

The 22 pose joints plus end points (hand and toe knuckles, nose and ears) of one fixed shape,
chained exactly like AnnyBody's body_pose (G_child = G_parent @ R_child in canonical axes; bones
between pose joints stay at rest). About a thousand times cheaper than the full body model, so a
training loss or a prior can use joint positions on every sample.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.anny_body import POSE_JOINTS

#: Bone heads used as end points, with the pose joint that carries them.
END_BONES = ("finger3-1.L", "finger3-1.R", "toe1-1.L", "toe1-1.R")
#: BlazePose landmarks carried by the head (nose, left ear, right ear).
HEAD_LANDMARKS = (0, 7, 8)


@dataclass
class PoseSkeleton:
    """rest: (K, 3) float32 rest positions, canonical frame, root at the origin, metres (the
    22 pose joints in POSE_JOINTS order, then the end points). carrier: (K,) index of the pose
    joint whose rotation moves each point's bone (-1 = the root). names: the K point names."""

    rest: torch.Tensor
    carrier: list[int]
    names: list[str]

    @classmethod
    def from_body(cls, body, shape: np.ndarray | None = None) -> "PoseSkeleton":
        """Skeleton of ``body`` (an AnnyBody) with ``shape`` (default: its mean shape)."""
        shape = body.mean_shape() if shape is None else np.asarray(shape, np.float32)
        z = torch.zeros(1, 3, device=body.device)
        with torch.no_grad():
            out = body(z, torch.zeros(1, body.num_pose_joints, 3, device=body.device),
                       torch.as_tensor(shape[None], device=body.device), z,
                       vertex_ids=torch.zeros(0, dtype=torch.long, device=body.device))
        joints, lms = out.joints[0].cpu(), out.landmarks[0].cpu()
        names, parents = body.joint_names, body.parents
        posed = {n: i for i, n in enumerate(POSE_JOINTS)}

        def carrier_of(bone: int) -> int:  # nearest posed strict ancestor
            p = parents[bone]
            while p >= 0 and names[p] not in posed:
                p = parents[p]
            return -1 if p < 0 else posed[names[p]]

        rest, carrier, labels = [], [], []
        for n in POSE_JOINTS:
            i = names.index(n)
            rest.append(joints[i])
            carrier.append(carrier_of(i))
            labels.append(n)
        for n in END_BONES:
            i = names.index(n)
            rest.append(joints[i])
            carrier.append(carrier_of(i))
            labels.append(n)
        for k in HEAD_LANDMARKS:
            rest.append(lms[k])
            carrier.append(posed["head"])
            labels.append(f"landmark{k}")
        return cls(torch.stack(rest).float(), carrier, labels)

    def forward(self, pose_rotmat: torch.Tensor, global_rotmat: torch.Tensor | None = None) -> torch.Tensor:
        """(B, K, 3) point positions relative to the root, metres, in camera axes when
        ``global_rotmat`` (B, 3, 3) is given, else canonical. pose_rotmat: (B, 22, 3, 3)."""
        b = pose_rotmat.shape[0]
        rest = self.rest.to(pose_rotmat)
        eye = torch.eye(3, dtype=pose_rotmat.dtype, device=pose_rotmat.device).expand(b, 3, 3)
        zero = rest.new_zeros(b, 3)
        G: list[torch.Tensor] = []
        pos: list[torch.Tensor] = []
        for k in range(len(self.names)):
            a = self.carrier[k]
            Ga, pa, ra = (eye, zero, rest.new_zeros(3)) if a < 0 else (G[a], pos[a], rest[a])
            p = pa + (Ga @ (rest[k] - ra)[:, None]).squeeze(-1) if a >= 0 else \
                rest[k].expand(b, 3) - ra
            pos.append(p)
            if k < len(POSE_JOINTS):
                G.append(Ga @ pose_rotmat[:, k])
        out = torch.stack(pos, 1)
        if global_rotmat is not None:
            out = out @ global_rotmat.transpose(1, 2)
        return out

    __call__ = forward
