"""Anny's fingers: a flexion rig over its finger bones, and the 21 hand points MediaPipe reports.

Each finger (thumb, index, middle, ring, little) has three bones on Anny (``fingerN-1..3``);
each bone bends about a *flexion axis*: for the fingers one axis per finger, across the first
segment and the palm's normal; for the thumb one per joint, the normal of the plane of that
joint's own (already bent) rest angle; a positive angle curls the finger towards the palm. Angles are deltas from
Anny's rest hand (fingers nearly straight), in radians, held in ``BodyParams.extras["fingers"]``
as a (2, 5, 3) array: subject's left hand then right, fingers thumb..little, joints from the
knuckle outwards (thumb: CMC, MCP, IP; others: MCP, PIP, DIP).

Hand points follow MediaPipe's 21-point layout: 0 wrist, then four points per finger from the
thumb to the little finger (thumb: CMC, MCP, IP, tip; others: MCP, PIP, DIP, tip). On Anny they
are the wrist and finger bone heads and, for the tips, the vertex of each distal bone farthest
along it.
"""
from __future__ import annotations

import numpy as np
import torch

SIDES = ("L", "R")
#: Shape of BodyParams.extras["fingers"].
FINGERS_SHAPE = (2, 5, 3)


def finger_bone_names(side: str) -> list[list[str]]:
    """(5, 3) bone labels per finger, thumb first."""
    return [[f"finger{f}-{j}.{side}" for j in (1, 2, 3)] for f in range(1, 6)]


class AnnyHandRig:
    """Finger bones, their flexion axes and the 21 hand points of AnnyBody.

    labels: Anny's bone labels; parents: (J,) parents. rest_joints: (J, 3) bone heads of the
    mean shape at rest, canonical frame; rest_vertices: (V, 3) the same mesh; weights: (V, J)
    skinning weights (numpy).
    """

    def __init__(self, labels: list[str], rest_joints: np.ndarray, rest_vertices: np.ndarray,
                 weights: np.ndarray) -> None:
        idx = {n: i for i, n in enumerate(labels)}
        self.bone_ids = np.array([[[idx[n] for n in row] for row in finger_bone_names(s)]
                                  for s in SIDES])                      # (2, 5, 3)
        self.wrist_ids = np.array([idx[f"wrist.{s}"] for s in SIDES])
        tips = np.zeros((2, 5), np.int64)
        axes = np.zeros((2, 5, 3, 3))
        for h, s in enumerate(SIDES):
            for f in range(5):
                last, prev = self.bone_ids[h, f, 2], self.bone_ids[h, f, 1]
                d = rest_joints[last] - rest_joints[prev]
                d /= np.linalg.norm(d)
                own = np.flatnonzero(weights[:, last] > 0.5)
                tips[h, f] = own[np.argmax((rest_vertices[own] - rest_joints[last]) @ d)]
            w = rest_joints[self.wrist_ids[h]]
            index, little = rest_joints[self.bone_ids[h, 1, 0]], rest_joints[self.bone_ids[h, 4, 0]]
            palm = np.cross(little - w, index - w) if s == "L" else np.cross(index - w, little - w)
            palm /= np.linalg.norm(palm)
            for f in range(5):
                j = rest_joints[self.bone_ids[h, f]]
                if f == 0:      # each thumb joint bends in the plane of its own rest angle
                    chain = np.concatenate([w[None], j, rest_vertices[tips[h, f]][None]])
                    for k in range(3):
                        a = np.cross(chain[k + 1] - chain[k], chain[k + 2] - chain[k + 1])
                        axes[h, f, k] = a / np.linalg.norm(a)
                else:           # the fingers towards the palm
                    a = np.cross(j[1] - j[0], palm)
                    axes[h, f] = a / np.linalg.norm(a)
        self.tip_vertex_ids = tips                                      # (2, 5)
        self.axes = axes.astype(np.float32)                             # (2, 5, 3, 3) canonical

    def rotations(self, fingers: torch.Tensor) -> torch.Tensor:
        """(B, 30, 3, 3) bone rotations (canonical axes) of finger angles (B, 2, 5, 3), in the
        order of ``self.bone_ids.reshape(-1)``."""
        import roma

        axes = torch.as_tensor(self.axes, dtype=fingers.dtype, device=fingers.device)
        rotvec = axes[None] * fingers[..., None]                        # (B, 2, 5, 3, 3)
        return roma.rotvec_to_rotmat(rotvec.reshape(fingers.shape[0], -1, 3))

    def hand_points(self, joints: torch.Tensor, tips: torch.Tensor) -> torch.Tensor:
        """(B, 2, 21, 3) MediaPipe-layout hand points from bone heads (B, J, 3) and the tip
        vertices (B, 2, 5, 3) (vertices ``tip_vertex_ids``), in the same frame."""
        b = joints.shape[0]
        out = joints.new_zeros(b, 2, 21, 3)
        for h in range(2):
            out[:, h, 0] = joints[:, int(self.wrist_ids[h])]
            for f in range(5):
                base = 1 + 4 * f
                out[:, h, base:base + 3] = joints[:, torch.as_tensor(self.bone_ids[h, f])]
                out[:, h, base + 3] = tips[:, h, f]
        return out
