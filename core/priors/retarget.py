"""Retarget a mocap clip onto a body model: fit its joint rotations to the clip's joint positions.

Any BodyModel works through one mapping: the clip's rig names its joints as semantic points
(core.priors.rigs) and the body's table places the same points on its joints and vertices
(core.priors.body_points). Per clip:

1. **Shape** to the clip's bone lengths (thighs, shins, upper arms, forearms, hip and shoulder
   width, trunk and neck): Anny's gender, age, height and proportions (muscle and weight stay
   average; they barely move joints), or SMPL's betas, with the body's shape prior.
2. **First guess per frame, in closed form**: the root from the hips and the lower spine, then
   every pose joint, parents first, by aligning the directions to the points it carries
   (Wahba's problem; a single direction is a swing plus a twist). Twists that positions leave
   free come from the extra points the rig carries: the elbow and knee bend planes for the
   upper arm and the thigh, the hand's finger and thumb ends for the forearm, the toes for the
   foot and the shin, the head's top and eyes for the head. Where nothing fixes a twist it
   stays as in the rest pose (a weak pull to the parent). Spine and neck bends are spread
   evenly over the body's spine and neck bones.
3. **Refinement**, all frames of the clip batched: Adam on global orientation, root position and
   body_pose against the target positions and directions, with the body's joint limits
   (``body.pose_prior``) as a soft penalty, a weak pull to the rest pose, an even spread along
   the spine and a light temporal smoothness (second differences).

The refinement poses only the ~30 points it matches, with the body's own kinematic chain for
the fixed shape (rest heads from ``body.forward``, rotations chained like body_pose): exactly
the body's joints, about 50x cheaper per step than core.fitting.frozen_shape_rig.FrozenShapeRig
on a batch of 500 frames here (that rig skins 104 joints, 33 landmarks and the vertex subset,
0.2 s per step). The final residual and the feet's contact with the ground are measured once per
clip with FrozenShapeRig (exact joints and sole vertices).

Output world: gravity-aligned, **y down**, ground plane y = 0 under the soles (``ground_height``:
the typical lowest sole point of the frames that stand on the ground); ``global_orient``
rotates the canonical body frame into it, ``transl`` is the root joint's position in it. Residuals: ``error_mm`` per frame
is the mean distance of the rig's core joints (rigs.CORE_POINTS: hips, knees, ankles,
shoulders, elbows, wrists, neck and head) to the body's; frames above
``RetargetConfig.frame_error_mm`` or next to glitches are invalid, and a clip whose median is
above ``clip_error_mm`` or has too few valid frames is rejected.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from core.body.base import BodyModel
from core.progress import NEVER, CancelToken
from core.types import Progress

from .body_points import BodyPointTable, sole_vertices, table_for, top_vertex
from .chain import (DIRECTION_LEVER, BodyChain, Correspondence, build_correspondence,
                    point_rows)
from .first_guess import first_guess
from .mocap import MocapClip

#: Bone lengths the shape is fitted to: (name, semantic a, semantic b); "mid_hip" and
#: "mid_shoulder" are the midpoints of the pairs. The hip width and the neck are left out: rigs
#: place the hip joints and the neck base differently (CMU's hips are 14 cm apart, Anny's 23);
#: the per-point offsets of the refinement take up such differences.
LENGTHS = (("thigh_l", "hip_l", "knee_l"), ("thigh_r", "hip_r", "knee_r"),
           ("shin_l", "knee_l", "ankle_l"), ("shin_r", "knee_r", "ankle_r"),
           ("upperarm_l", "shoulder_l", "elbow_l"), ("upperarm_r", "shoulder_r", "elbow_r"),
           ("forearm_l", "elbow_l", "wrist_l"), ("forearm_r", "elbow_r", "wrist_r"),
           ("shoulders", "shoulder_l", "shoulder_r"), ("trunk", "mid_hip", "mid_shoulder"))


@dataclass
class RetargetWeights:
    """Weights of the refinement's terms (positions in m^2, angles in rad^2)."""

    position: float = 1.0          #: weighted mean squared position error
    direction: float = 1.0         #: direction error x DIRECTION_LEVER, squared
    limits: float = 0.05           #: body.pose_prior (squared radians outside the limits)
    rest: float = 2e-5             #: pull of body_pose towards the rest pose
    spread: float = 2e-3           #: unequal rotations along a spread group (spine, neck)
    smooth: float = 2e-3           #: second differences of body_pose over frames
    smooth_root: float = 2e-2      #: second differences of the root position (m) and rotation
    offset: float = 0.3            #: size of the per-clip point offsets (m^2, position-weighted)


@dataclass
class RetargetConfig:
    """How one clip is retargeted.

    steps / lr: Adam refinement steps and step size (radians / metres).
    shape_steps / shape_lr: Adam steps of the shape fit. shape_free: the shape parameters fitted
        (by name; None fits all, as for SMPL betas); shape_ranges: narrower bounds by name.
    max_batch: frames refined together (longer clips are cut into batches).
    frame_error_mm: a frame whose core joints are off by more than this (mean) is invalid.
    clip_error_mm / min_valid: a clip whose median frame error is above ``clip_error_mm``, or
        whose valid fraction is below ``min_valid``, is rejected.
    min_frames: clips shorter than this (after resampling) are rejected.
    """

    steps: int = 120
    lr: float = 0.01
    shape_steps: int = 60
    shape_lr: float = 0.05
    shape_free: tuple[str, ...] | None = ("gender", "age", "height", "proportions")
    shape_ranges: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"age": (0.67, 1.0)})
    max_batch: int = 1500
    frame_error_mm: float = 60.0
    clip_error_mm: float = 45.0
    min_valid: float = 0.5
    min_frames: int = 10
    weights: RetargetWeights = field(default_factory=RetargetWeights)


@dataclass
class RetargetResult:
    """A retargeted clip (float32 numpy).

    body_pose: (T, P, 3) axis-angle per pose joint, canonical axes (BodyParams.body_pose).
    global_orient: (T, 3) axis-angle, canonical body frame -> world (y down, ground y = 0).
    transl: (T, 3) root joint position in the world, metres. shape: (S,) shape parameters.
    fps: frame rate. error_mm: (T,) mean core-joint residual. valid: (T,) usable frames.
    point_error_mm: mean residual per core point over valid frames.
    offset_mm: size of each position target's constant offset (where the rig's joint sits on
        the body differs from the body's own joint), millimetres.
    floor: the height (y, metres) of the ground in the clip's frame (core.priors.mocap), i.e.
        the clip's positions minus (0, floor, 0) are in the output world.
    accepted / reason: whether the clip passed the quality gates, and why not.
    rig / source / body: names of the source rig, the clip and the body model.
    """

    body_pose: np.ndarray
    global_orient: np.ndarray
    transl: np.ndarray
    shape: np.ndarray
    fps: float
    error_mm: np.ndarray
    valid: np.ndarray
    point_error_mm: dict[str, float]
    offset_mm: dict[str, float]
    floor: float
    accepted: bool
    reason: str
    rig: str
    source: str
    body: str


# ---- shape ---------------------------------------------------------------------------------------
def source_lengths(clip: MocapClip) -> dict[str, float]:
    """The clip's bone lengths (LENGTHS), metres: medians over valid frames (90th percentile for
    the trunk and neck, which bending shortens)."""
    valid = clip.valid if clip.valid.any() else np.ones(clip.num_frames, bool)

    def pt(sem: str) -> np.ndarray:
        if sem.startswith("mid_"):
            s = sem[4:]
            return (clip.point(s + "_l") + clip.point(s + "_r"))[valid] / 2
        return clip.point(sem)[valid]

    out = {}
    for name, a, b in LENGTHS:
        d = np.linalg.norm(pt(a) - pt(b), axis=1)
        out[name] = float(np.percentile(d, 90) if name == "trunk" else np.median(d))
    return out


def _body_lengths(joints: torch.Tensor, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """(L,) the LENGTHS of a body from its joints (J, 3) and joint rows per semantic point."""
    def pt(sem: str) -> torch.Tensor:
        if sem.startswith("mid_"):
            s = sem[4:]
            return (rows[s + "_l"] @ joints + rows[s + "_r"] @ joints) / 2
        return rows[sem] @ joints

    return torch.stack([(pt(a) - pt(b)).norm() for _, a, b in LENGTHS])


def fit_shape(body: BodyModel, lengths: dict[str, float], config: RetargetConfig | None = None
              ) -> np.ndarray:
    """(S,) float32 shape whose bone lengths best match ``lengths`` (relative errors, plus a
    light shape prior). Only ``config.shape_free`` parameters move (all when None)."""
    config = config or RetargetConfig()
    table = table_for(body)
    dev = body.device
    rows = {}
    for sem, mix in table.points.items():
        if all(kind == "joint" for kind, _, _ in mix):
            r = torch.zeros(body.num_joints, device=dev)
            for _, key, w in mix:
                r[body.joint_names.index(str(key))] += w
            rows[sem] = r
    target = torch.tensor([lengths[n] for n, _, _ in LENGTHS], device=dev)
    mean = torch.as_tensor(body.mean_shape(), device=dev)
    names = body.shape_names
    free = [i for i, n in enumerate(names) if config.shape_free is None or n in config.shape_free]
    free = free or list(range(len(names)))        # names of another model (SMPL betas): all
    bounds = None
    if body.shape_bounds is not None:
        bounds = torch.as_tensor(body.shape_bounds, device=dev).clone()
        for i, n in enumerate(names):
            if n in config.shape_ranges:
                bounds[i] = torch.tensor(config.shape_ranges[n], device=dev)
    free_t = torch.as_tensor(free, device=dev)
    if bounds is not None:
        lo, hi = bounds[free_t, 0], bounds[free_t, 1]
        start = ((mean[free_t].clamp(lo + 1e-3, hi - 1e-3) - lo) / (hi - lo)).logit()
    else:
        start = mean[free_t].clone()
    x = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=config.shape_lr)
    z = torch.zeros(1, 3, device=dev)
    zp = torch.zeros(1, body.num_pose_joints, 3, device=dev)
    none = torch.zeros(0, dtype=torch.int64, device=dev)

    def shape_of(x: torch.Tensor) -> torch.Tensor:
        val = lo + (hi - lo) * torch.sigmoid(x) if bounds is not None else x
        return mean.index_put((free_t,), val)

    for _ in range(config.shape_steps):
        opt.zero_grad()
        s = shape_of(x)
        joints = body(z, zp, s[None], z, vertex_ids=none).joints[0]
        rel = (_body_lengths(joints, rows) - target) / target
        loss = (rel ** 2).mean() + 1e-3 * body.shape_prior(s[None])[0]
        loss.backward()
        opt.step()
    return shape_of(x).detach().cpu().numpy().astype(np.float32)


# ---- refinement ----------------------------------------------------------------------------------
def _second_diff(x: torch.Tensor) -> torch.Tensor:
    return x[2:] - 2 * x[1:-1] + x[:-2]


def refine(chain: BodyChain, corr: Correspondence, table: BodyPointTable, rot0: np.ndarray,
           transl0: np.ndarray, pose0: np.ndarray, weight: np.ndarray, config: RetargetConfig,
           seams: np.ndarray | None = None, cancel: CancelToken = NEVER):
    """Adam refinement of one batch of frames (generator: yields the step, returns
    (rot (F, 3, 3), transl (F, 3), body_pose (F, P, 3), offsets (Np, 3)) numpy).

    ``weight``: (F,) per-frame data weight (0 for glitch frames, which then follow their
    neighbours). ``seams``: (F,) True at the first frame of each clip when several clips are
    refined together (no smoothness across them).
    Offsets: one constant displacement per position target, in the canonical axes of the bone
    carrying it, shared by all frames: where the rig's joint sits on the body (a hip joint
    centre, a neck base) differs by a few centimetres between skeletons (and the body's limb
    proportions can differ from the actor's), and a pose should not bend to make up for it."""
    import roma

    body = chain.body
    dev = body.device
    w = config.weights
    f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32, device=dev)  # noqa: E731
    rows_all = np.concatenate([corr.pos_rows, corr.dir_tip, corr.dir_anchor])
    need = np.nonzero(np.abs(rows_all).sum(0))[0]                  # base points in use
    sub = lambda m: f32(m[:, need])  # noqa: E731
    pos_rows, tip_rows, anc_rows = sub(corr.pos_rows), sub(corr.dir_tip), sub(corr.dir_anchor)
    idx = torch.as_tensor(need, device=dev)
    pos_t, dir_t = f32(corr.pos_src), f32(corr.dir_src)
    pos_w = f32(corr.pos_w) / float(corr.pos_w.sum())
    dir_w = f32(corr.dir_w) / max(float(corr.dir_w.sum()), 1e-9)
    frame_w = f32(weight)
    frame_w = frame_w / frame_w.sum().clamp_min(1.0)
    slot = {n: i for i, n in enumerate(body.pose_joint_names)}
    groups = [torch.as_tensor([slot[n] for n in g if n in slot], device=dev) for g in table.spread]
    seams = np.zeros(len(weight), bool) if seams is None else np.asarray(seams, bool)
    smooth_w = f32(~(seams[1:-1] | seams[2:]))[:, None] if len(weight) > 2 else None
    r0 = f32(rot0)
    d_rot = torch.zeros(len(r0), 3, device=dev, requires_grad=True)
    transl = f32(transl0).clone().requires_grad_(True)
    pose = f32(pose0).clone().requires_grad_(True)
    offsets = torch.zeros(len(corr.pos_w), 3, device=dev, requires_grad=True)
    off_carrier = torch.as_tensor(chain.base_carrier[np.argmax(corr.pos_rows, 1)], device=dev)
    # Adam's steps are about lr in each parameter's unit: radians for rotations, and a few
    # millimetres, not a centimetre, for positions and offsets
    opt = torch.optim.Adam([{"params": [d_rot, pose]}, {"params": [transl], "lr": 0.3 * config.lr},
                            {"params": [offsets], "lr": 0.2 * config.lr}], lr=config.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(  # linear decay to a tenth: settles, no jitter
        opt, lambda k: 1.0 - 0.9 * k / max(config.steps - 1, 1))
    lever = DIRECTION_LEVER ** 2
    for step in range(config.steps):
        if cancel.cancelled:
            break
        opt.zero_grad()
        rot_root = r0 @ roma.rotvec_to_rotmat(d_rot)
        rot, piv = chain.pose(rot_root, transl, pose)
        pts = chain.base_points(rot, piv, idx)                               # (F, K, 3)
        pos = (torch.einsum("sk,fkc->fsc", pos_rows, pts)
               + (rot[:, off_carrier] @ offsets[:, :, None])[..., 0])
        e_pos = (((pos - pos_t) ** 2).sum(-1) * pos_w).sum(-1)
        loss = (w.position * (e_pos * frame_w).sum()
                + w.offset * ((offsets ** 2).sum(-1) * pos_w).sum())
        if len(dir_w):
            d = torch.einsum("sk,fkc->fsc", tip_rows - anc_rows, pts)
            d = d / d.norm(dim=-1, keepdim=True).clamp_min(1e-9)
            e_dir = (((d - dir_t) ** 2).sum(-1) * dir_w).sum(-1)
            loss = loss + w.direction * lever * (e_dir * frame_w).sum()
        loss = loss + w.limits * body.pose_prior(pose).mean()
        loss = loss + w.rest * (pose ** 2).sum((1, 2)).mean()
        for g in groups:
            gp = pose[:, g]
            loss = loss + w.spread * ((gp[:, 1:] - gp[:, :-1]) ** 2).sum((1, 2)).mean()
        if smooth_w is not None:
            acc = lambda x: (_second_diff(x) ** 2).flatten(1) * smooth_w  # noqa: E731
            loss = loss + w.smooth * acc(pose).sum(1).mean()
            loss = loss + w.smooth_root * (acc(transl).sum(1).mean() + acc(rot_root).sum(1).mean())
        loss.backward()
        opt.step()
        sched.step()
        yield step
    with torch.no_grad():
        rot_root = r0 @ roma.rotvec_to_rotmat(d_rot)
    as_np = lambda x: x.detach().cpu().numpy().astype(np.float64)  # noqa: E731
    return as_np(rot_root), as_np(transl), as_np(pose), as_np(offsets)


# ---- whole clips -------------------------------------------------------------------------------
_BODY_CACHE: dict[int, dict] = {}


def _body_facts(body: BodyModel) -> dict:
    """Per body model (cached): its point table, head-top vertices and sole vertices."""
    key = id(body)
    if key not in _BODY_CACHE:
        table = table_for(body)
        tops = {str(k): top_vertex(body, str(k)) for mix in table.points.values()
                for kind, k, _ in mix if kind == "top"}
        verts = {int(k) for mix in table.points.values() for kind, k, _ in mix if kind == "vertex"}
        soles = sole_vertices(body)
        ids = np.array(sorted(set(tops.values()) | verts | set(soles.tolist())), np.int64)
        _BODY_CACHE[key] = {"table": table, "tops": tops, "vertex_ids": ids, "soles": soles}
    return _BODY_CACHE[key]


def ground_height(lowest: np.ndarray, band: float = 0.05) -> float:
    """The ground's y (down) under a clip from its frames' lowest sole points (F,): among the
    frames within ``band`` metres of the lowest ones (the 95th percentile), i.e. those standing
    on the ground, not those in the air or up on a climbing frame, the height that three in
    four stay above (a foot that rolls or slides puts its lowest point 2-3 cm up and down)."""
    low = float(np.percentile(lowest, 95))
    return float(np.percentile(lowest[lowest >= low - band], 75))


@torch.no_grad()
def evaluate_exact(body: BodyModel, shape: np.ndarray, vertex_ids: np.ndarray,
                   rot_root: np.ndarray, transl: np.ndarray, body_pose: np.ndarray,
                   batch: int = 512) -> np.ndarray:
    """(F, J + K, 3) float64 world joints then ``vertex_ids`` vertices, posed through
    core.fitting.frozen_shape_rig.FrozenShapeRig (exact skinning)."""
    import roma

    from core.fitting.frozen_shape_rig import FrozenShapeRig

    dev = body.device
    rig = FrozenShapeRig(body, shape, torch.as_tensor(vertex_ids, device=dev))
    f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32, device=dev)  # noqa: E731
    out = []
    for s in range(0, len(transl), batch):
        e = slice(s, s + batch)
        go = roma.rotmat_to_rotvec(f32(rot_root[e]))
        _, joints, verts = rig.pose(go, f32(body_pose[e]), f32(transl[e]))
        out.append(torch.cat([joints, verts], 1).double().cpu().numpy())
    return np.concatenate(out)


def concat_clips(clips: list[MocapClip]) -> tuple[MocapClip, np.ndarray]:
    """(one clip of all frames, (F,) True at each clip's first frame); same joint names."""
    first = clips[0]
    if any(c.names != first.names for c in clips):
        raise ValueError("clips refined together must share one skeleton")
    seams = np.concatenate([np.arange(c.num_frames) == 0 for c in clips])
    joined = MocapClip(np.concatenate([c.positions for c in clips]), first.names, first.parents,
                       first.fps, np.concatenate([c.valid for c in clips]), first.rig,
                       first.source, first.unit)
    return joined, seams


def retarget_group(body: BodyModel, clips: list[MocapClip], config: RetargetConfig | None = None,
                   *, shape: np.ndarray | None = None, cancel: CancelToken = NEVER):
    """Retarget clips of one skeleton together (generator: yields Progress, returns a list of
    RetargetResult, one per clip). They share the fitted shape and the point offsets, and are
    refined in batches of up to ``config.max_batch`` frames: a batch of many short clips costs
    about what one long clip does (a refinement step's cost is mostly per step, not per frame).

    shape: (S,) use this shape instead of fitting one to the clips' bone lengths.
    """
    import roma

    config = config or RetargetConfig()
    facts = _body_facts(body)
    table = facts["table"]
    clip, seams = concat_clips(clips)
    label = clips[0].source if len(clips) == 1 else f"{len(clips)} clips ({clips[0].source}, ...)"
    yield Progress("retarget", 0, 1, f"{label}: shape")
    if shape is None:
        shape = fit_shape(body, source_lengths(clip), config)
    chain = BodyChain(body, shape, facts["vertex_ids"])
    rows = point_rows(chain, table, body, facts["tops"])
    corr = build_correspondence(clip, chain, table, rows)
    rot0, transl0, pose0 = first_guess(chain, corr, table)
    n = clip.num_frames
    total = config.steps * int(np.ceil(n / config.max_batch))
    rot, transl, pose = rot0.copy(), transl0.copy(), pose0.copy()
    offsets = np.zeros((n, len(corr.pos_w), 3))
    done = 0
    for s in range(0, n, config.max_batch):
        e = slice(s, min(n, s + config.max_batch))
        sub = Correspondence(corr.pos_names, corr.pos_src[e], corr.pos_w, corr.pos_rows,
                             corr.dir_names, corr.dir_src[e], corr.dir_w, corr.dir_tip,
                             corr.dir_anchor, corr.core)
        gen = refine(chain, sub, table, rot0[e], transl0[e], pose0[e],
                     clip.valid[e].astype(np.float64), config, seams[e], cancel)
        while True:
            try:
                next(gen)
            except StopIteration as stop:
                rot[e], transl[e], pose[e], offsets[e] = stop.value
                break
            done += 1
            if done % 20 == 0:
                yield Progress("retarget", done, total, f"{label}: refine")
        if cancel.cancelled:
            break

    # exact residuals (FrozenShapeRig), then per clip: the ground under the soles, the gates
    pts = evaluate_exact(body, shape, chain.vertex_ids, rot, transl, pose)
    carrier = chain.base_carrier[np.argmax(corr.pos_rows, 1)]
    with torch.no_grad():
        c_rot = chain.pose(*(torch.as_tensor(a, dtype=torch.float32)
                             for a in (rot, transl, pose)))[0]
    shift = np.einsum("fsij,fsj->fsi", c_rot[:, carrier].double().numpy(), offsets)
    pos = np.einsum("sk,fkc->fsc", corr.pos_rows, pts) + shift
    err_all = np.linalg.norm(pos - corr.pos_src, axis=-1)[:, corr.core] * 1000.0   # (F, C) mm
    sole_all = pts[:, [chain.vertex_base(v) for v in facts["soles"]], 1].max(1)     # y down
    go_all = roma.rotmat_to_rotvec(torch.as_tensor(rot)).numpy()
    results = []
    starts = np.nonzero(seams)[0].tolist() + [n]
    for c, a, b in zip(clips, starts[:-1], starts[1:]):
        err = err_all[a:b]
        error_mm = err.mean(1)
        valid = c.valid & (error_mm <= config.frame_error_mm)
        floor = ground_height(sole_all[a:b][valid] if valid.any() else sole_all[a:b])
        tr = transl[a:b].copy()
        tr[:, 1] -= floor
        med = float(np.median(error_mm[valid])) if valid.any() else float("inf")
        reasons = []
        if c.num_frames < config.min_frames:
            reasons.append(f"only {c.num_frames} frames")
        if valid.mean() < config.min_valid:
            reasons.append(f"{100 * valid.mean():.0f} % valid frames")
        if med > config.clip_error_mm:
            reasons.append(f"median residual {med:.0f} mm")
        point_error = {corr.pos_names[k]: float(err[valid, i].mean()) if valid.any()
                       else float("nan") for i, k in enumerate(corr.core)}
        offset_mm = {name: float(np.linalg.norm(offsets[a:b, k].mean(0)) * 1000.0)
                     for k, name in enumerate(corr.pos_names)}
        results.append(RetargetResult(
            pose[a:b].astype(np.float32), go_all[a:b].astype(np.float32), tr.astype(np.float32),
            np.asarray(shape, np.float32), float(c.fps), error_mm.astype(np.float32), valid,
            point_error, offset_mm, floor, not reasons, "; ".join(reasons), c.rig.name, c.source,
            body.name))
    yield Progress("retarget", total, total, f"{label}: done")
    return results


def retarget(body: BodyModel, clip: MocapClip, config: RetargetConfig | None = None, *,
             shape: np.ndarray | None = None, cancel: CancelToken = NEVER):
    """Retarget one clip (generator: yields Progress, returns its RetargetResult)."""
    results = yield from retarget_group(body, [clip], config, shape=shape, cancel=cancel)
    return results[0]


def retarget_clip(body: BodyModel, clip: MocapClip, config: RetargetConfig | None = None,
                  shape: np.ndarray | None = None) -> RetargetResult:
    """``retarget`` run to the end (no progress reports)."""
    from core.progress import drive

    return drive(retarget(body, clip, config, shape=shape))
