"""Per-frame pose refinement before the clothing: every used frame against its own mask and
keypoints, all frames in one batch.

The sequence fit (core.temporal) is smooth by design, so in fast motion a limb can lag a
frame's silhouette; left alone, the clothing shared by all frames tries to explain the
difference and grows blobs. Here each frame's orientation, body pose and translation move
against that frame's silhouette (core/subject/silhouettes.py) and keypoints, with a weak pull
to the sequence fit and the pose prior, the shape frozen at the avatar's. Posing uses
core.fitting's exact frozen-shape rig on an evenly spread vertex subset, which makes a step
over a hundred frames cost about as much as one full body-model pass of a few frames.

The naked body is compared with a clothed silhouette; loose clothing therefore biases the
cover term a little outwards, which the keypoints and the inside term hold back. The residual
silhouette energy of each frame afterwards says how far its pose is still off: ``frame_weights``
turns it into the robust per-frame weights of the clothing stage.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from core.body.base import BodyModel
from core.fitting.frozen_shape_rig import FrozenShapeRig
from core.fitting.losses import RESIDUAL_UNIT_PX, geman_mcclure
from core.fitting.silhouette_term import surface_sample
from core.progress import NEVER, CancelToken
from core.types import Progress

from .config import SubjectConfig
from .silhouettes import FrameSilhouettes

#: Geman-McClure scale of keypoint residuals, in pixels for a person 500 px tall.
ROBUST_PX = 100.0


@dataclass
class RefinedPoses:
    """Refined per-frame parameters (torch, body dtype) and what is left of the silhouette error.

    global_orient (N, 3), body_pose (N, P, 3): axis-angles, radians. transl (N, 3): metres,
    camera frame. silhouette: (N,) the frames' silhouette energies (inside + cover, units of
    1 % of the mask's longer side) after refinement.
    """

    global_orient: torch.Tensor
    body_pose: torch.Tensor
    transl: torch.Tensor
    silhouette: torch.Tensor


def keypoint_energy(landmarks: torch.Tensor, keypoints: torch.Tensor, weights: torch.Tensor,
                    scale: torch.Tensor, fx: torch.Tensor, fy: torch.Tensor, cx: torch.Tensor,
                    cy: torch.Tensor) -> torch.Tensor:
    """(B,) robust keypoint reprojection energy, units of (10 reference px)^2.

    landmarks: (B, 33, 3) camera frame, metres. keypoints: (B, 33, 2) pixels. weights: (B, 33).
    scale: (B,) person height / 500 px. fx, fy, cx, cy: (B,) intrinsics, pixels.
    """
    z = landmarks[..., 2].clamp_min(1e-3)
    u = fx[:, None] * landmarks[..., 0] / z + cx[:, None]
    v = fy[:, None] * landmarks[..., 1] / z + cy[:, None]
    sq = ((u - keypoints[..., 0]) ** 2 + (v - keypoints[..., 1]) ** 2) / scale[:, None] ** 2
    cost = geman_mcclure(sq, ROBUST_PX) / RESIDUAL_UNIT_PX ** 2
    return (cost * weights).sum(-1) / weights.sum(-1).clamp_min(1e-6)


def frame_weights(silhouette: torch.Tensor, robust: float) -> torch.Tensor:
    """(N,) weights in (0, 1] of the frames' silhouette terms: 1 / (1 + (e / (robust x median
    e))^2) of the (N,) silhouette energies ``silhouette`` (all 1 when robust <= 0)."""
    if robust <= 0 or len(silhouette) == 0:
        return torch.ones_like(silhouette)
    ref = robust * silhouette.median().clamp_min(1e-6)
    return 1.0 / (1.0 + (silhouette / ref) ** 2)


def refine_poses(frames: list, body: BodyModel, shape: torch.Tensor, global_orient: torch.Tensor,
                 body_pose: torch.Tensor, transl: torch.Tensor, silhouettes: FrameSilhouettes,
                 config: SubjectConfig, *, cancel: CancelToken = NEVER) -> Iterator[object]:
    """Job generator: refine every frame's pose against its own mask and keypoints.

    frames: the SubjectFrames (keypoints, weights, cameras). shape: (1, S) frozen shape.
    global_orient (N, 3), body_pose (N, P, 3), transl (N, 3): the starting (sequence-fit)
    parameters, also the anchor of the drift term. silhouettes: the frames' masks.
    yields Progress("refine", step, steps); returns RefinedPoses (the poses reached so far when
    cancelled).
    """
    rc, w = config.refine, config.weights
    dt, dev = body.dtype, body.device
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=dt, device=dev)  # noqa: E731
    with torch.no_grad():
        rest = body.rest_vertices(shape.detach())[0].cpu().numpy()
    ids = surface_sample(rest, body.faces, rc.vertices)
    # shuffled: the cover term uses the first half, which must spread over the whole body too
    ids = torch.as_tensor(np.random.default_rng(0).permutation(ids), device=dev)
    rig = FrozenShapeRig(body, shape.detach().cpu().numpy()[0], ids)
    kp = t(np.stack([f.keypoints for f in frames]))
    kpw = t(np.stack([f.kp_weights for f in frames]))
    scale = t([f.person_scale for f in frames])
    fx, fy, cx, cy = (t([getattr(f.camera, a) for f in frames]) for a in ("fx", "fy", "cx", "cy"))
    go0, bp0, tr0 = global_orient.detach(), body_pose.detach(), transl.detach()
    go, bp, tr = (x.clone().requires_grad_(True) for x in (go0, bp0, tr0))
    rows = torch.arange(len(frames), device=dev)
    cover_n = max(len(ids) // 2, 1)          # the contour's nearest-vertex search is the main cost

    def energy() -> tuple[torch.Tensor, torch.Tensor]:
        lm, _, verts = rig.pose(go, bp, tr)
        inside, cover = silhouettes.terms(rows, verts, cover_n)
        sil = (inside + cover) * 100.0
        drift = ((bp - bp0).pow(2).sum((1, 2)) + (go - go0).pow(2).sum(1)
                 + ((tr - tr0) / 0.1).pow(2).sum(1))
        e = (w.silhouette * sil + w.keypoints * keypoint_energy(lm, kp, kpw, scale, fx, fy, cx, cy)
             + w.pose_prior * body.pose_prior(bp) + rc.drift * drift)
        return e, sil

    opt = torch.optim.Adam([{"params": [bp], "lr": rc.lr_pose, "base": rc.lr_pose},
                            {"params": [go], "lr": rc.lr_orient, "base": rc.lr_orient},
                            {"params": [tr], "lr": rc.lr_transl, "base": rc.lr_transl}])
    for step in range(1, rc.steps + 1):
        if cancel.cancelled:
            break
        decay = 0.1 + 0.45 * (1.0 + math.cos(math.pi * step / rc.steps))
        for g in opt.param_groups:
            g["lr"] = g["base"] * decay
        opt.zero_grad(set_to_none=True)
        e, _ = energy()
        e.sum().backward()
        opt.step()
        yield Progress("refine", step, rc.steps, f"pose refinement, energy {e.mean().item():.3f}")
    with torch.no_grad():
        _, sil = energy()
    return RefinedPoses(go.detach(), bp.detach(), tr.detach(), sil.detach())
