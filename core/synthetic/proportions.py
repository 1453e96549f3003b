"""Limb proportions of landmark-only training data: bodies with real people's leg lengths.

Anny's bodies, whatever their phenotypes, carry the long legs of MakeHuman's canon: measured on
their BlazePose points, an adult's legs (hip -> knee -> ankle) are 1.47-1.58 arm lengths
(shoulder -> elbow -> wrist) long (5th to 95th percentile of ``sample_shapes``' adults, the
ankles where the detector puts them; 1.53-1.64 at Anny's COCO ankles), where the triangulated
BlazePose points of real people (the pose2sim captures of ../shared/realdata) measure 1.37-1.43;
Anny's short-legged phenotypes are children. A network that learns 3D from 2D only on Anny's
bodies learns their legs, and reads a real person's shorter legs in the image as legs
foreshortened in depth.

``scale_limbs`` changes the lengths of the thighs, shins, upper arms and forearms of posed
landmarks along their own directions, moving every point further down the chain with them, so
a network whose output is the landmarks alone (the lifter) learns from people of other
proportions. Networks that answer body-model parameters cannot use it: their targets must stay
bodies the model can make.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (root point, chain point, points that move with it) per segment, BlazePose order; applied
#: in this order, so a thigh's change carries the knee, the shin and the foot.
_CHAINS: tuple[tuple[int, int, tuple[int, ...]], ...] = (
    (23, 25, (25, 27, 29, 31)), (25, 27, (27, 29, 31)),          # left thigh, left shin
    (24, 26, (26, 28, 30, 32)), (26, 28, (28, 30, 32)),          # right thigh, right shin
    (11, 13, (13, 15, 17, 19, 21)), (13, 15, (15, 17, 19, 21)),  # left upper arm, forearm
    (12, 14, (14, 16, 18, 20, 22)), (14, 16, (16, 18, 20, 22)),  # right upper arm, forearm
)


@dataclass(frozen=True)
class LimbScales:
    """How limb lengths are drawn per body: legs ~ U(legs) (thigh and shin together, each then
    jittered by ``segment_jitter``, a relative std), arms ~ U(arms) likewise. Left and right
    share their factors (people are nearly symmetric)."""

    legs: tuple[float, float] = (0.82, 1.02)
    arms: tuple[float, float] = (0.97, 1.03)
    segment_jitter: float = 0.03

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, 4) factors: thigh, shin, upper arm, forearm."""
        legs = rng.uniform(*self.legs, n)
        arms = rng.uniform(*self.arms, n)
        base = np.stack([legs, legs, arms, arms], 1)
        return base * (1.0 + self.segment_jitter * rng.standard_normal((n, 4)))


def scale_limbs(landmarks: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(B, 33, 3) landmarks with each limb segment's length times its factor.

    landmarks: (B, 33, 3) any frame, any unit. factors: (B, 4) thigh, shin, upper arm, forearm
    (both sides). The hips and shoulders stay where they are; everything below a segment moves
    with its end point, so directions are kept and only lengths change.
    """
    out = np.array(landmarks, np.float64, copy=True)
    f = np.asarray(factors, np.float64)
    for k, (a, b, moved) in enumerate(_CHAINS):
        col = [0, 1, 0, 1, 2, 3, 2, 3][k]
        delta = (out[:, b] - out[:, a]) * (f[:, col] - 1.0)[:, None]
        out[:, list(moved)] += delta[:, None]
    return out.astype(np.asarray(landmarks).dtype, copy=False)
