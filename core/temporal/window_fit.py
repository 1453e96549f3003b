"""One window of frames fitted together: evidence per frame, smoothness across frames.

The objective of a window of B frames (plus C fixed context frames from the previous window):

    sum_frames  keypoints (robust reprojection) + landmarks3d (limb directions)
              + interpenetration + pose prior            (core.fitting.losses, reused)
    + accel * Charbonnier(joint accelerations) + velocity * |joint velocities|^2
    + transl_accel * Charbonnier(root accelerations)
    + silhouette * (body vertices vs the person mask)   (last few steps, frames with a mask)

Charbonnier is quadratic for jitter and linear for real fast motion, so a swing of the arm is
kept while a tremble is removed.
All frames are one batch through ``LandmarkRig`` (exact landmarks, no mesh skinning).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.base import BodyModel
from core.types import Camera, Observation

from core.fitting import losses
from core.fitting.facing import toward_camera
from core.priors.pose_prior import pose_prior_for
from core.fitting.losses import REFERENCE_PERSON_PX

from .config import EvidenceConfig, SequenceConfig
from .ground import ground_loss
from .flips import person_height_px

#: BlazePose hips (their midpoint is the origin of the 3D landmarks).
_HIPS = (23, 24)


@dataclass
class WindowEvidence:
    """Observations of B frames as tensors.

    keypoints: (B, 33, 2) float32 pixels. w2d: (B, 33) float32 weights of the 2D term (detector
    confidence x the body's landmark reliability; 0 for ignored points and gap frames).
    landmarks3d: (B, 33, 3) float32 metres, hip-centred, camera-parallel axes.
    w_bones: (B, K) float32 weights of the K = len(DIRECTION_BONES) limb directions (0 without
    3D landmarks). scale: (B,) float32 person height in pixels.
    facing: (B,) float32 facing evidence in [-1, 1] (core.fitting.facing; 0 unknown).
    """

    keypoints: torch.Tensor
    w2d: torch.Tensor
    landmarks3d: torch.Tensor
    w_bones: torch.Tensor
    scale: torch.Tensor
    facing: torch.Tensor | None = None

    @property
    def size(self) -> int:
        return int(self.keypoints.shape[0])


def window_evidence(observations: list[Observation], usable: list[bool], body: BodyModel,
                    config: EvidenceConfig, facing: np.ndarray | None = None) -> WindowEvidence:
    """Tensors of a window's observations; frames with ``usable`` False get zero weights.
    facing: (B,) facing evidence per frame (None: unknown)."""
    rel = torch.as_tensor(body.landmark_weights, dtype=torch.float32)
    kp = torch.as_tensor(np.stack([o.keypoints2d for o in observations]), dtype=torch.float32)
    lm = torch.as_tensor(np.stack([o.landmarks3d for o in observations]), dtype=torch.float32)
    conf = kp[..., 2] * (kp[..., 2] >= config.min_confidence)
    conf = conf * torch.as_tensor(usable, dtype=torch.float32)[:, None]
    has3d = (lm.abs().sum(-1) > 0).float()
    a = torch.tensor([i for i, _ in losses.DIRECTION_BONES])
    b = torch.tensor([j for _, j in losses.DIRECTION_BONES])
    pw = conf * has3d
    w_bones = torch.minimum(pw[:, a], pw[:, b])
    scale = torch.tensor([person_height_px(o.keypoints2d) if u else 1.0
                          for o, u in zip(observations, usable)], dtype=torch.float32)
    dev = body.device
    fac = None if facing is None else \
        torch.as_tensor(np.asarray(facing, np.float32) * np.asarray(usable, np.float32), device=dev)
    return WindowEvidence(kp[..., :2].to(dev), (conf * rel).to(dev), lm.to(dev),
                          w_bones.to(dev), scale.to(dev), fac)


def _person_scale(ev: WindowEvidence) -> torch.Tensor:
    """(B, 1) person height / REFERENCE_PERSON_PX, the scale core.fitting's pixel terms expect."""
    return (ev.scale / REFERENCE_PERSON_PX)[:, None]


def evidence_loss(landmarks: torch.Tensor, ev: WindowEvidence, camera: Camera,
                  config: EvidenceConfig, align: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) per-frame data term of body landmarks (B, 33, 3) camera frame, metres.

    Reuses the single-frame fit's terms (core.fitting.losses): robust reprojection of the 33
    points, limb directions against BlazePose's 3D landmarks (rotated by ``align`` (B, 3, 3),
    the per-frame best rotation, when given) and arms kept out of the torso. Each frame's terms
    are normalised by its own weights, so a frame with more visible points does not count more.
    """
    pred = losses.project(landmarks, camera.fx, camera.fy, camera.cx, camera.cy)
    sq = ((pred - ev.keypoints) ** 2).sum(-1) / _person_scale(ev) ** 2
    cost = losses.geman_mcclure(sq, config.robust_px) / losses.RESIDUAL_UNIT_PX ** 2
    e2 = (cost * ev.w2d).sum(-1) / ev.w2d.sum(-1).clamp_min(1e-6)
    target = ev.landmarks3d if align is None else ev.landmarks3d @ align.transpose(1, 2)
    dp = losses._bone_dirs(landmarks, losses.DIRECTION_BONES)
    dt = losses._bone_dirs(target, losses.DIRECTION_BONES)
    e3 = ((1.0 - (dp * dt).sum(-1)) * ev.w_bones).sum(-1) / ev.w_bones.sum(-1).clamp_min(1e-6)
    inter = losses.interpenetration_loss(landmarks)
    out = config.keypoints2d * e2 + config.landmarks3d * e3 + config.interpenetration * inter
    if ev.facing is not None and config.facing > 0:
        c = toward_camera(landmarks)
        wrong = torch.where(ev.facing > 0, torch.relu(0.2 - c), torch.relu(c + 0.2))
        out = out + config.facing * ev.facing.abs() * wrong
    return out


@torch.no_grad()
def align_rotations(landmarks: torch.Tensor, ev: WindowEvidence) -> torch.Tensor:
    """(B, 3, 3) per-frame rotation taking BlazePose's bone directions onto the body's (so an
    error in BlazePose's global tilt does not fight the 2D keypoints; core.fitting does the same
    for one frame)."""
    dp = losses._bone_dirs(landmarks, losses.DIRECTION_BONES)
    dt = losses._bone_dirs(ev.landmarks3d, losses.DIRECTION_BONES)
    out = []
    for b in range(landmarks.shape[0]):
        if float(ev.w_bones[b].sum()) <= 0:
            out.append(torch.eye(3, device=landmarks.device))
        else:
            out.append(losses.best_rotation(dt[b], dp[b:b + 1], ev.w_bones[b])[0])
    return torch.stack(out)


def _charbonnier(sq: torch.Tensor, scale: float) -> torch.Tensor:
    """Dimensionless Charbonnier of squared residuals: ~sq / scale^2 below ``scale``, linear above."""
    return 2.0 * (torch.sqrt(1.0 + sq / (scale * scale)) - 1.0)


def smoothness_loss(joints: torch.Tensor, transl: torch.Tensor, config) -> torch.Tensor:
    """Scalar temporal term of a run of consecutive frames.

    joints: (T, J, 3) camera frame, metres. transl: (T, 3) metres. config: SmoothingConfig.
    """
    if joints.shape[0] < 2:
        return joints.new_zeros(())
    vel = joints[1:] - joints[:-1]
    loss = config.velocity * (vel.pow(2).sum(-1) / config.accel_scale ** 2).mean()
    if joints.shape[0] >= 3:
        loss = loss + config.accel * _accel_cost(joints, config.accel_scale)
        loss = loss + config.transl_accel * _accel_cost(transl, config.accel_scale)
    return loss


def _accel_cost(points: torch.Tensor, scale: float) -> torch.Tensor:
    """Mean Charbonnier of the second differences in time of points (T, ..., 3), T >= 3."""
    acc = points[2:] - 2 * points[1:-1] + points[:-2]
    return _charbonnier(acc.pow(2).sum(-1), scale).mean()


#: The nose and the ears: they carry the head's turn about its own axis, which no joint centre
#: shows (a head that swings 60 degrees for two frames and back, as a detector's momentarily
#: mirrored head points ask, moves no joint), so the joints' smoothness cannot see it.
HEAD_POINTS = (0, 7, 8)


def head_turn_loss(head: torch.Tensor, config) -> torch.Tensor:
    """Scalar: Charbonnier of the accelerations of the head points (T, 3, 3) relative to their
    centre (the head's turning, not its travel, which the joints' term already smooths)."""
    if head.shape[0] < 3:
        return head.new_zeros(())
    return _accel_cost(head - head.mean(1, keepdim=True), config.accel_scale)


def solve_translation(landmarks_rel: torch.Tensor, keypoints: torch.Tensor, weights: torch.Tensor,
                      camera: Camera, fallback_depth: float = 3.0) -> torch.Tensor:
    """Root translation that best projects posed landmarks onto the keypoints (linear, exact
    for noise-free data).

    landmarks_rel: (B, 33, 3) body landmarks minus the root, camera-frame axes, metres.
    keypoints: (B, 33, 2) pixels. weights: (B, 33) >= 0.
    returns: (B, 3) float32 root position, camera frame, metres (``fallback_depth`` straight
        ahead for frames with fewer than 3 weighted points).
    """
    X, Y, Z = landmarks_rel.unbind(-1)
    u = keypoints[..., 0] - camera.cx
    v = keypoints[..., 1] - camera.cy
    zero = torch.zeros_like(u)
    # fx (X + tx) - u (Z + tz) = 0 and fy (Y + ty) - v (Z + tz) = 0, linear in t.
    a1 = torch.stack([zero + camera.fx, zero, -u], -1)
    a2 = torch.stack([zero, zero + camera.fy, -v], -1)
    b1 = u * Z - camera.fx * X
    b2 = v * Z - camera.fy * Y
    A = torch.cat([a1, a2], 1)
    b = torch.cat([b1, b2], 1)
    w = torch.cat([weights, weights], 1)
    ata = (A * w[..., None]).transpose(1, 2) @ A + 1e-6 * torch.eye(3, device=A.device)
    atb = ((A * w[..., None]).transpose(1, 2) @ b[..., None])[..., 0]
    t = torch.linalg.solve(ata, atb)
    bad = ((weights > 0).sum(-1) < 3) | (t[:, 2] < 0.3) | ~torch.isfinite(t).all(-1)
    fallback = torch.tensor([0.0, 0.0, fallback_depth], device=t.device).expand_as(t)
    return torch.where(bad[:, None], fallback, t)


@dataclass
class WindowParams:
    """Body parameters of T frames (torch, float32): global_orient (T, 3), body_pose (T, P, 3),
    transl (T, 3) camera frame metres."""

    global_orient: torch.Tensor
    body_pose: torch.Tensor
    transl: torch.Tensor

    def detach(self) -> "WindowParams":
        return WindowParams(self.global_orient.detach().clone(), self.body_pose.detach().clone(),
                            self.transl.detach().clone())

    def __len__(self) -> int:
        return int(self.transl.shape[0])

    def slice(self, start: int, stop: int) -> "WindowParams":
        return WindowParams(self.global_orient[start:stop], self.body_pose[start:stop],
                            self.transl[start:stop])

    @staticmethod
    def cat(parts: list["WindowParams"]) -> "WindowParams":
        return WindowParams(torch.cat([p.global_orient for p in parts]),
                            torch.cat([p.body_pose for p in parts]),
                            torch.cat([p.transl for p in parts]))


def temporal_basis(frames: int, fraction: float, device=None) -> torch.Tensor:
    """(frames, K) DCT-II basis of the K = ceil(fraction * frames) lowest frequencies, each
    column peaking at 1 (so a step of one coefficient moves a frame by at most that step; column
    0 is constant); fraction >= 1 gives the identity (one column per frame)."""
    if fraction >= 1.0 or frames <= 2:
        return torch.eye(frames, device=device)
    k = int(min(frames, max(2, np.ceil(fraction * frames))))
    t = (torch.arange(frames, dtype=torch.float32) + 0.5)[:, None]
    f = torch.arange(k, dtype=torch.float32)[None]
    return torch.cos(np.pi * t * f / frames).to(device)


def smooth_translation(transl: torch.Tensor, weights: torch.Tensor, fraction: float) -> torch.Tensor:
    """(B, 3) translations projected onto the window's low-frequency basis, frames weighted by
    ``weights`` (B,) >= 0 (0: ignored, e.g. gap frames); per-frame solves jitter in depth."""
    phi = temporal_basis(len(transl), fraction, transl.device)
    if phi.shape[1] == phi.shape[0] or float(weights.sum()) <= 0:
        return transl
    w = weights[:, None]
    a = phi.T @ (w * phi) + 1e-4 * torch.eye(phi.shape[1], device=transl.device)
    coef = torch.linalg.solve(a, phi.T @ (w * transl))
    return phi @ coef


def fit_window(rig, body: BodyModel, camera: Camera, ev: WindowEvidence, init: WindowParams,
               context: WindowParams | None, config: SequenceConfig,
               iterations: int | None = None, lr: float | None = None,
               basis: float | None = None, silhouettes: list | None = None,
               ground=None) -> WindowParams:
    """Optimise the B frames of ``init`` against ``ev`` with the ``context`` frames (C, fixed,
    immediately before the window) joining the temporal terms. Returns the fitted WindowParams.

    The unknowns are corrections to ``init`` in a low-frequency temporal basis
    (``config.window.basis``): Adam's first steps move every unknown by about its step size
    whatever its gradient, which on per-frame unknowns is jitter; on smooth basis functions it is
    not, and the few steps a streaming fit affords keep the guess's smoothness.

    rig: a LandmarkRig (frozen shape; with vertex_ids for the silhouette term). iterations, lr,
    basis: overrides of config.window's. silhouettes: per frame of the window a
    core.fitting SilhouetteTerm or None (core.temporal.silhouette); they join the last
    ``config.silhouette.steps`` steps with weight ``config.silhouette.weight``. ground: the
    floor (core.temporal.ground.Ground) the usable frames' feet stand on and their trunks rise
    from (config.ground), or None.
    """
    w = config.window
    n_iter = w.iterations if iterations is None else iterations
    phi = temporal_basis(len(init), w.basis if basis is None else basis, init.transl.device)
    k = phi.shape[1]
    c_go = init.global_orient.new_zeros(k, 3).requires_grad_(True)
    c_bp = init.body_pose.new_zeros((k,) + tuple(init.body_pose.shape[1:])).requires_grad_(True)
    c_tr = init.transl.new_zeros(k, 3).requires_grad_(True)
    g0, b0, t0 = (x.detach() for x in (init.global_orient, init.body_pose, init.transl))

    def params():
        return (g0 + phi @ c_go, b0 + torch.einsum("bk,kpc->bpc", phi, c_bp), t0 + phi @ c_tr)

    go, bp, tr = params()
    ctx_joints = ctx_tr = ctx_head = None
    if context is not None and len(context) > 0:
        with torch.no_grad():
            ctx_lm, ctx_joints = rig(context.global_orient, context.body_pose, context.transl)
            ctx_head = ctx_lm[:, list(HEAD_POINTS)]
        ctx_tr = context.transl
    # Adam moves each coefficient by about its step size: K of them add up on one frame, so
    # the step is shared out (in quadrature) to keep a frame's move about ``lr``.
    share = 1.0 / np.sqrt(k) if k < len(init) else 1.0
    opt = torch.optim.Adam([{"params": [c_go, c_bp], "lr": (w.lr if lr is None else lr) * share},
                            {"params": [c_tr], "lr": w.lr_transl * share}])
    align = None
    e = config.evidence
    sc = config.silhouette
    sil = [] if not silhouettes or sc.weight <= 0 or rig.vertex_ids is None else \
        [(i, t) for i, t in enumerate(silhouettes) if t is not None]
    sil_from = n_iter - sc.steps
    learned = pose_prior_for(body) if e.motion_prior > 0 else None
    for it in range(n_iter):
        opt.zero_grad(set_to_none=True)
        go, bp, tr = params()
        with_sil = bool(sil) and it >= sil_from
        out = rig(go, bp, tr, vertices=with_sil)
        lm, joints = out[0], out[1]
        if it % 5 == 0:
            align = align_rotations(lm, ev)
        loss = evidence_loss(lm, ev, camera, e, align).sum()
        if ground is not None:
            g = config.ground
            on = (ev.w2d.sum(-1) > 0).to(lm.dtype)
            loss = loss + (on * ground_loss(lm, ground, g.contact, g.upright,
                                            g.free_lean_deg)).sum()
        if with_sil:
            verts = out[2]
            loss = loss + sc.weight * sum(t.loss(verts[i:i + 1])[0] for i, t in sil)
        loss = loss + (e.pose_prior * body.pose_prior(bp) + e.pose_l2 * bp.pow(2).sum((1, 2))).sum()
        if learned is not None:
            loss = loss + e.motion_prior * learned.cost(bp, e.motion_prior_parts).sum()
        all_j = joints if ctx_joints is None else torch.cat([ctx_joints, joints])
        all_t = tr if ctx_tr is None else torch.cat([ctx_tr, tr])
        loss = loss + len(all_t) * smoothness_loss(all_j, all_t, config.smoothing)
        if config.smoothing.head > 0:
            head = lm[:, list(HEAD_POINTS)]
            head = head if ctx_head is None else torch.cat([ctx_head, head])
            loss = loss + len(all_t) * config.smoothing.head * head_turn_loss(head, config.smoothing)
        loss.backward()
        opt.step()
    with torch.no_grad():
        go, bp, tr = params()
    return WindowParams(go.detach(), bp.detach(), tr.detach())
