"""Where clothing may grow: per-vertex bounds of the displacement from the body's skinning weights.

Hands, feet and the face are small, finely meshed and seen at a few pixels in a video, and a
silhouette term with a wrong finger or foot pose turns their displacement into spikes. Skin
does not need clothing there, so each vertex's bounds are ``Limits.min``/``max`` scaled by how
free its region is: the share of its skinning weight on hand bones gets ``Limits.hands``, on
foot bones ``Limits.feet``, on head bones ``Limits.head``, the rest 1. Bones are recognised by
name (Anny's wrist/finger/metacarpal, foot/toe, head/eye/jaw; SMPL's wrist/hand, ankle/foot,
head/jaw), so any BodyModel with named joints works; one without them gets the plain bounds.
"""
from __future__ import annotations

import torch

from core.body.base import BodyModel

from .config import Limits

HAND_BONES = ("wrist", "finger", "metacarpal", "hand", "thumb", "index", "middle", "ring", "pinky")
FOOT_BONES = ("foot", "toe", "ankle")
HEAD_BONES = ("head", "eye", "jaw")


def _share(body: BodyModel, weights: torch.Tensor, words: tuple[str, ...]) -> torch.Tensor:
    names = [str(n).lower() for n in (getattr(body, "joint_names", None) or [])]
    pick = [i for i, n in enumerate(names) if any(w in n for w in words)]
    if not pick or len(names) != weights.shape[1]:
        return weights.new_zeros(weights.shape[0])
    return weights[:, pick].sum(1).clamp(0.0, 1.0)


@torch.no_grad()
def displacement_bounds(body: BodyModel, limits: Limits) -> tuple[torch.Tensor, torch.Tensor]:
    """(low (V,), high (V,)) float32 bounds of each vertex's displacement along its rest normal,
    metres (on the body's device)."""
    w = body.skinning_weights().to(torch.float32)
    hand, foot, head = (_share(body, w, words) for words in (HAND_BONES, FOOT_BONES, HEAD_BONES))
    rest = (1.0 - hand - foot - head).clamp(0.0, 1.0)
    free = rest + limits.hands * hand + limits.feet * foot + limits.head * head
    return limits.min * free, limits.max * free
