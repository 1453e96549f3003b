"""Single-frame body fit (SMPLify's role): a staged optimizer over any BodyModel.

    fit = fit_observation(observation, camera, body, FitConfig())

Stages (Adam, cosine-decayed step sizes):
0. First guesses: the analytic one (core.fitting.heuristic_init) and, when present and enabled,
   the learned initializer's (core.fitting.initializer), each also turned around (front- vs
   back-facing), so a back view is never mirrored.
1. Rigid: all hypotheses at once, global orientation + translation against the 2D keypoints and
   the direction of BlazePose's 3D torso and limbs, with the body held at its initial pose (the
   body is evaluated once, then moved rigidly: a step costs about a millisecond). The hypothesis
   with the lowest energy wins.
2. Pose: pose, orientation and translation against keypoints, 3D landmark directions (after the
   best rotation), silhouette (an evenly spread vertex subset), pose prior and an
   arm-outside-torso term, with the shape frozen so landmarks and vertices come from the
   frozen-shape rig (core.fitting.frozen_shape_rig, ~6 ms a step for Anny).
3. Body: the same with the shape free too: one full body-model pass a step (~20 ms).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import roma
import torch

from core.body.base import BodyModel, FreeShape
from core.body.params import BodyParams
from core.fitting import heuristic_init as hinit
from core.fitting.config import FitConfig
from core.fitting.facing import (face_loss, facing_evidence, facing_penalty, label_facing,
                                 observed_face_axes)
from core.fitting.hands import (BLAZEPOSE_HAND, finger_pose, hand_loss, observed_hand_axes,
                                refine_hand_keypoints)
from core.fitting.frozen_shape_rig import FrozenShapeRig
from core.fitting.lifter import with_lifted_3d
from core.fitting.losses import (DIRECTION_BONES, TORSO_BONES, bone_weights, direction_loss,
                                 interpenetration_loss, keypoint_loss, project)
from core.fitting.silhouette_term import SilhouetteTerm, surface_sample
from core.priors.pose_prior import pose_prior_for
from core.rotations import rotvec_to_rotmat
from core.types import Camera, FrameFit, Observation

#: Keypoints at or above this confidence count as seen.
SEEN = 0.5


@dataclass
class _Problem:
    """Per-frame tensors shared by the stages."""

    kp: torch.Tensor            # (33, 2) detected keypoints, pixels
    w2d: torch.Tensor           # (33,) confidence x landmark reliability
    lm3d: torch.Tensor | None   # (33, 3) BlazePose metric landmarks, or None
    w3d: torch.Tensor           # (K,) per-bone weights of the direction term
    person_scale: float         # person height in pixels / 500
    camera: Camera
    silhouette: SilhouetteTerm | None
    facing: float = 0.0         # label-free facing evidence in [-1, 1] (core.fitting.facing)
    face_axes: torch.Tensor | None = None   # (3, 3) observed face frame, camera axes
    hand_axes: dict | None = None           # {"left"/"right": (3, 3) palm frame, camera axes}


def _cosine(step: int, total: int) -> float:
    """Step-size factor: 1 at the start, 0.1 at the end."""
    return 0.1 + 0.45 * (1.0 + math.cos(math.pi * step / max(total, 1)))


def _person_scale(observation: Observation) -> float:
    kp = observation.keypoints2d
    seen = kp[kp[:, 2] >= SEEN, :2]
    height = float(np.ptp(seen[:, 1])) if len(seen) >= 2 else 0.0
    height = max(height, float(observation.bbox[3] - observation.bbox[1]))
    return max(height, 20.0) / 500.0


#: What recent fits built from the body alone, newest last: the silhouette's vertex samples and
#: the frozen-shape rigs and rest landmarks of the (body, shape) pairs they posed. Every photo fit
#: starts at the same shape (BodyModel.fit_shape) with the same silhouette vertices; reusing its
#: rig (which skins ~8,500 support vertices) and rest landmarks saves about 3 % of a balanced fit
#: (bench/README.md, "Photo fit time"), and a video's frame-to-frame fits keep one shape. The
#: keys hold the body itself, so an entry can never answer for another body that later takes the
#: same memory.
_recent: dict[tuple, object] = {}
_RECENT_SIZE = 8


def _cached(key: tuple, build):
    """``build()``'s value for ``key``, built once while it stays among the recent ones."""
    value = _recent.pop(key, None)
    if value is None:
        value = build()
    _recent[key] = value                        # (re)inserted: the newest
    while len(_recent) > _RECENT_SIZE:
        _recent.pop(next(iter(_recent)))
    return value


def silhouette_vertex_ids(body: BodyModel, count: int) -> torch.Tensor:
    """(K,) int64 ids of ``count`` body vertices spread evenly over the surface (cached; the
    seeded sample is the same whenever it is rebuilt)."""

    def build() -> torch.Tensor:
        rest = body.rest_vertices(torch.as_tensor(body.mean_shape(), dtype=body.dtype,
                                                  device=body.device)[None])
        ids = surface_sample(rest[0].detach().cpu().numpy(), body.faces, count)
        return torch.as_tensor(ids, device=body.device)

    return _cached(("silhouette", body, str(body.device), int(count)), build)


def frozen_rig(body: BodyModel, shape: np.ndarray, vertex_ids: torch.Tensor) -> FrozenShapeRig:
    """The FrozenShapeRig of ``body`` at ``shape`` (S,) posing ``vertex_ids`` (K,) (cached)."""
    shape = np.ascontiguousarray(shape, np.float32)
    key = ("rig", body, str(body.device), shape.tobytes(),
           vertex_ids.detach().cpu().numpy().tobytes())
    return _cached(key, lambda: FrozenShapeRig(body, shape, vertex_ids))


def rest_landmarks(body: BodyModel, shape: np.ndarray) -> np.ndarray:
    """(33, 3) float64 landmarks of ``body`` at ``shape`` (S,) in the zero pose, at the origin,
    canonical axes (cached, read-only)."""
    shape = np.ascontiguousarray(shape, np.float32)

    def build() -> np.ndarray:
        t = lambda x: torch.as_tensor(np.asarray(x), dtype=body.dtype, device=body.device)  # noqa: E731
        with torch.no_grad():
            out = body(t(np.zeros((1, 3))), t(np.zeros((1, body.num_pose_joints, 3))),
                       t(shape[None]), t(np.zeros((1, 3))),
                       vertex_ids=torch.zeros(0, dtype=torch.int64, device=body.device))
        rest = out.landmarks[0].cpu().numpy().astype(np.float64)
        rest.flags.writeable = False
        return rest

    return _cached(("rest", body, str(body.device), shape.tobytes()), build)


def _rotmat(rotvec: torch.Tensor) -> torch.Tensor:
    return rotvec_to_rotmat(rotvec)


def _problem(observation: Observation, camera: Camera, body: BodyModel,
             config: FitConfig) -> _Problem:
    dev, dt = body.device, body.dtype
    kp = refine_hand_keypoints(observation.keypoints2d, observation)
    conf = np.clip(kp[:, 2], 0.0, 1.0)
    reliability = np.array(body.landmark_weights, np.float32)
    for side, points in (("left", observation.left_hand), ("right", observation.right_hand)):
        if points is not None:      # the hand model's knuckles sit exactly on the body's
            reliability[list(BLAZEPOSE_HAND[side][1:])] = 1.0
    w2d = conf * reliability
    w3d = torch.zeros(len(DIRECTION_BONES), dtype=dt, device=dev)
    lm3d = None
    if hinit.has_landmarks3d(observation):
        lm3d = torch.as_tensor(observation.landmarks3d, dtype=dt, device=dev)
        w3d = bone_weights(torch.as_tensor(conf, dtype=dt, device=dev))
    scale = _person_scale(observation)
    sil = None
    if (config.silhouette and config.weights.silhouette > 0 and observation.mask is not None):
        sil = SilhouetteTerm(observation.mask, camera, scale, config.silhouette_sampling, dev)
        sil = None if sil.empty else sil
    return _Problem(torch.as_tensor(kp[:, :2], dtype=dt, device=dev),
                    torch.as_tensor(w2d, dtype=dt, device=dev), lm3d, w3d, scale, camera, sil,
                    facing_evidence(observation), observed_face_axes(observation, dt, dev),
                    observed_hand_axes(observation, dt, dev))


def _keypoints(prob: _Problem, landmarks: torch.Tensor, config: FitConfig) -> torch.Tensor:
    c = prob.camera
    return keypoint_loss(project(landmarks, c.fx, c.fy, c.cx, c.cy), prob.kp, prob.w2d,
                         prob.person_scale, config.robust_scale_px)


# ---- stage 0: first guesses -------------------------------------------------------------------
def _learned_guess(observation: Observation, camera: Camera, body: BodyModel) -> BodyParams | None:
    """The learned initializer's guess, or None when it is not installed or cannot help."""
    try:
        from core.fitting import initializer
    except ImportError:
        return None
    guess = getattr(initializer, "initial_params", None)
    if guess is None:
        return None
    try:
        return guess(observation, camera, body)
    except Exception:  # noqa: BLE001 - a failing learned guess falls back to the analytic one
        return None


def _hypotheses(observation: Observation, camera: Camera, body: BodyModel, config: FitConfig,
                init: BodyParams | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First guesses: (rotations (H, 3, 3) canonical -> camera, body poses (H, P, 3), shapes
    (H, S)). With ``init``: that one guess. Else the analytic guess and, when enabled and
    available, the learned one, each also turned around (front- vs back-facing). Every guess
    has the body's fit shape: the initializer's own phenotype guess, learned on synthetic
    bodies, scored worse on real people (bench/README.md, "the fit's start shape")."""
    if init is not None:
        return (hinit.rotmat(init.global_orient)[None], init.body_pose[None].copy(),
                init.shape[None].copy())
    shape = body.fit_shape()
    rest = rest_landmarks(body, shape)
    rots = np.stack(hinit.orientation_hypotheses(observation, rest))
    poses = hinit.checked_limb_poses(body, shape, rest, list(rots), observation)
    learned = _learned_guess(observation, camera, body) if config.use_initializer else None
    if learned is not None:
        r = hinit.rotmat(learned.global_orient)
        rots = np.concatenate([np.stack([r, r @ hinit.TURN_AROUND]), rots])
        poses = np.concatenate([np.stack([learned.body_pose] * 2), poses])
    shapes = np.tile(np.asarray(shape, np.float32)[None], (len(rots), 1))
    return rots, poses.astype(np.float32), shapes


# ---- stage 1: rigid ---------------------------------------------------------------------------
def _rigid(prob: _Problem, body: BodyModel, rots: np.ndarray, poses: np.ndarray,
           shapes: np.ndarray, observation: Observation, config: FitConfig, steps: int,
           transl: np.ndarray | None = None):
    """Fit orientation + translation of each hypothesis (starting at ``transl`` (3,) when given,
    else from the keypoints' spread); returns (R (H,3,3), transl (H,3), energy (H,)) tensors."""
    dev, dt = body.device, body.dtype
    h = len(rots)
    t = lambda x: torch.as_tensor(np.asarray(x), dtype=dt, device=dev)  # noqa: E731
    with torch.no_grad():
        local = body(t(np.zeros((h, 3))), t(poses), t(shapes), t(np.zeros((h, 3))),
                     vertex_ids=torch.zeros(0, dtype=torch.int64, device=dev)).landmarks  # (H,33,3)
    r0 = t(rots)
    w = prob.w2d.detach().cpu().numpy()
    if transl is not None:
        t0 = np.tile(np.asarray(transl, np.float64)[None], (h, 1))
    else:
        t0 = np.stack([hinit.initial_translation((r0[k] @ local[k].T).T.cpu().numpy(),
                                                 observation, prob.camera, w) for k in range(h)])
    depth = float(np.median(t0[:, 2]))
    delta = torch.zeros(h, 3, dtype=dt, device=dev, requires_grad=True)
    tn = t(t0 / depth).requires_grad_(True)
    w_torso = bone_weights(prob.w2d / torch.as_tensor(body.landmark_weights, dtype=dt,
                                                       device=dev).clamp_min(1e-6), TORSO_BONES)
    lr = config.lr
    opt = torch.optim.Adam([{"params": [delta], "lr": lr.orient * 2},
                            {"params": [tn], "lr": lr.transl * 2}])
    base = [g["lr"] for g in opt.param_groups]

    def energy() -> torch.Tensor:
        rot = r0 @ _rotmat(delta)
        pts = local @ rot.transpose(1, 2) + (tn * depth)[:, None]
        e = config.weights.keypoints * _keypoints(prob, pts, config)
        e = e + config.weights.facing * facing_penalty(pts, prob.facing)
        if prob.lm3d is not None:  # torso only: the limbs of the guesses are judged in 2D
            e = e + config.weights.landmarks3d * direction_loss(pts, prob.lm3d, w_torso,
                                                                align=False, bones=TORSO_BONES)
        return e

    for i in range(steps):
        for g, b in zip(opt.param_groups, base):
            g["lr"] = b * _cosine(i, steps)
        opt.zero_grad(set_to_none=True)
        energy().sum().backward()
        opt.step()
    with torch.no_grad():
        return (r0 @ _rotmat(delta)).detach(), (tn * depth).detach(), energy().detach()


# ---- stages 2 and 3: pose, then pose + shape ------------------------------------------------
@dataclass
class _State:
    """The current estimate: rotation (3, 3) canonical -> camera, pose (P, 3), shape (S,),
    transl (3,) metres (torch, detached)."""

    rot: torch.Tensor
    pose: torch.Tensor
    shape: torch.Tensor
    transl: torch.Tensor


def _refine(prob: _Problem, body: BodyModel, state: _State, config: FitConfig, steps: int,
            full: bool) -> _State:
    """Adam on orientation, pose and translation against every term; ``full`` also frees the
    shape (one full body-model pass per step), else the shape stays frozen and the landmarks and
    silhouette vertices come from the frozen-shape rig (about 3x cheaper)."""
    if steps <= 0:
        return state
    dev = body.device
    wts, lr = config.weights, config.lr
    depth = float(state.transl[2].clamp_min(0.1))
    orient = roma.rotmat_to_rotvec(state.rot)[None].clone().requires_grad_(True)
    pose = state.pose[None].clone().requires_grad_(True)
    tn = (state.transl[None] / depth).clone().requires_grad_(True)
    shape = FreeShape(body, state.shape.cpu().numpy())
    k = lr.body_stage if full else 1.0
    groups = [{"params": [orient], "lr": k * lr.orient}, {"params": [pose], "lr": k * lr.pose},
              {"params": [tn], "lr": k * lr.transl}]
    sil = prob.silhouette
    vids = (silhouette_vertex_ids(body, config.silhouette_sampling.vertices) if sil is not None
            else torch.zeros(0, dtype=torch.int64, device=dev))
    if full:
        groups.append({"params": [shape.free], "lr": lr.shape})
    else:
        rig = frozen_rig(body, state.shape.cpu().numpy(), vids)
    opt = torch.optim.Adam(groups)
    base = [g["lr"] for g in opt.param_groups]
    learned = pose_prior_for(body) if wts.motion_prior > 0 else None
    arms = wts.motion_prior_arms if "arms" not in wts.motion_prior_parts else 0.0
    centre = body.fit_shape() if full else None
    for i in range(steps):
        for g, b in zip(opt.param_groups, base):
            g["lr"] = b * _cosine(i, steps)
        opt.zero_grad(set_to_none=True)
        e = wts.pose_prior * body.pose_prior(pose) + wts.pose_l2 * (pose ** 2).sum((-1, -2))
        if learned is not None:
            e = e + wts.motion_prior * learned.cost(pose, wts.motion_prior_parts)
            if arms > 0:
                e = e + arms * learned.cost(pose, ("arms",))
        if full:
            s = shape.value()
            out = body(orient, pose, s, tn * depth, vertex_ids=vids)
            landmarks, vertices = out.landmarks, out.vertices
            e = e + wts.shape_prior * body.shape_prior(s, centre)
        else:
            landmarks, _, vertices = rig.pose(orient, pose, tn * depth)
        if sil is not None:
            e = e + wts.silhouette * sil.loss(vertices)
        e = e + wts.keypoints * _keypoints(prob, landmarks, config)
        if prob.lm3d is not None and wts.landmarks3d > 0:
            e = e + wts.landmarks3d * direction_loss(landmarks, prob.lm3d, prob.w3d, align=True)
        e = e + wts.interpenetration * interpenetration_loss(landmarks)
        e = e + wts.facing * facing_penalty(landmarks, prob.facing)
        if prob.face_axes is not None and wts.face > 0:
            e = e + wts.face * face_loss(landmarks, prob.face_axes)
        if prob.hand_axes and wts.hands > 0:
            e = e + wts.hands * hand_loss(landmarks, prob.hand_axes)
        e.sum().backward()
        opt.step()
    with torch.no_grad():
        return _State(roma.rotvec_to_rotmat(orient)[0], pose[0].detach(),
                      shape.value()[0].detach(), (tn * depth)[0].detach())


# ---- the fit ----------------------------------------------------------------------------------
def reprojection_error(landmarks: np.ndarray, observation: Observation, camera: Camera) -> float:
    """Confidence-weighted mean distance in pixels between projected body landmarks (33, 3)
    (camera frame, metres) and the detected keypoints; nan when none is seen."""
    kp = observation.keypoints2d
    w = np.where(kp[:, 2] >= SEEN, kp[:, 2], 0.0)
    if w.sum() <= 0:
        return float("nan")
    d = np.linalg.norm(camera.project(landmarks) - kp[:, :2], axis=1)
    return float((w * d).sum() / w.sum())


def fit_observation(observation: Observation, camera: Camera, body: BodyModel,
                    config: FitConfig | None = None, init: BodyParams | None = None) -> FrameFit:
    """Fit ``body`` to one frame's observation.

    observation: keypoints2d (33, 3) px + confidence, landmarks3d (33, 3) metres (zeros when
        absent), mask (H, W) or None. camera: the frame source's intrinsics (pixels).
    init: start from these parameters (e.g. the previous frame) instead of the initializers; only
        that orientation is tried.
    returns: FrameFit with status "fitted", "low_confidence" (fewer than config.min_keypoints
        keypoints seen) or "no_person" (no person, or fewer than 4 keypoints seen: nothing to fit);
        vertices/joints/landmarks (camera frame, metres), error (px) and iou (when a mask exists).
    """
    config = config or FitConfig()
    seen = int((observation.keypoints2d[:, 2] >= SEEN).sum()) if observation.person else 0
    if not observation.person or seen < 4:
        return FrameFit(index=observation.index, status="no_person", camera=camera)
    steps = config.steps()
    # The detector may label a person seen from behind as if facing the camera (left and right
    # swapped, its 3D turned around with them): both labellings are tried; the keypoints and the
    # label-free facing evidence decide, with a small preference for the detector's labels.
    labellings = [observation]
    if init is None and config.weights.facing > 0 and \
            label_facing(observation) * facing_evidence(observation) < 0.3:
        labellings.append(observation.flipped())     # unless labels and evidence clearly agree
    best_e = None
    for k_label, obs_k in enumerate(labellings):
        # every stage (first guesses, rigid, pose) reads the 3D through the lifter's blend
        obs_k = with_lifted_3d(obs_k, camera, config.lifted_3d, body.device)
        prob_k = _problem(obs_k, camera, body, config)
        rots, poses, shapes = _hypotheses(obs_k, camera, body, config, init)
        r, transl, energy = _rigid(prob_k, body, rots, poses, shapes, obs_k, config, steps.rigid,
                                   None if init is None else init.transl)
        if k_label > 0:
            energy = energy + config.weights.relabel
        k = int(torch.argmin(energy))
        if best_e is None or float(energy[k]) < best_e:
            best_e, prob, observation = float(energy[k]), prob_k, obs_k
            pick = (r[k], poses[k], shapes[k], transl[k])
    t = lambda x: torch.as_tensor(np.asarray(x), dtype=body.dtype, device=body.device)  # noqa: E731
    state = _State(pick[0], t(pick[1]), t(pick[2]), pick[3])
    state = _refine(prob, body, state, config, steps.pose, full=False)
    state = _refine(prob, body, state, config, steps.body, full=True)
    params = BodyParams(body.name, roma.rotmat_to_rotvec(state.rot).cpu().numpy(),
                        state.pose.cpu().numpy(), state.shape.cpu().numpy(),
                        state.transl.cpu().numpy())
    fingers = finger_pose(observation, body)
    if fingers is not None:
        params.extras["fingers"] = fingers
    vertices, joints, landmarks = body.evaluate(params)
    fit = FrameFit(index=observation.index,
                   status="fitted" if seen >= config.min_keypoints else "low_confidence",
                   camera=camera, params=params, vertices=vertices, joints=joints,
                   landmarks=landmarks, error=reprojection_error(landmarks, observation, camera))
    if observation.mask is not None:
        from core.fitting.metrics import silhouette_iou

        fit.iou = silhouette_iou(fit, observation, body.faces)
    return fit
