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

from .body_points import BodyPointTable, carriers, rest_pose, sole_vertices, table_for, top_vertex
from .mocap import MocapClip
from .rigs import CORE_POINTS, DIRECTION_POINTS

#: Position weight of each semantic point (by stem); trunk points are "spine", "neck_mid".
POSITION_WEIGHTS = {"hip": 1.0, "knee": 1.0, "ankle": 1.0, "shoulder": 1.0, "elbow": 1.0,
                    "wrist": 1.0, "toe": 0.5, "spine": 0.5, "neck": 0.5, "neck_mid": 0.3,
                    "head": 0.7}
#: Direction weight of each semantic direction target (by stem).
DIRECTION_WEIGHTS = {"hand_end": 0.5, "thumb": 0.2, "toe_end": 0.5, "bigtoe": 0.2,
                     "pinkytoe": 0.2, "head_end": 0.5, "eye": 0.3}
#: A direction error counts like a position error at this distance from its anchor, metres.
DIRECTION_LEVER = 0.1
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


# ---- the body's chain for one shape ----------------------------------------------------------
class BodyChain:
    """The pose chain of ``body`` with a fixed ``shape``: carrier c = 0 is the root, c = p + 1
    the p-th pose joint. A point carried by c moves as x -> pivot_c + R_c (x - rest_pivot_c).

    Base points: every body joint head and the ``vertex_ids`` vertices (rigid with the carrier
    of their main skinning bone), rest positions in the canonical frame, root at the origin.
    """

    def __init__(self, body: BodyModel, shape: np.ndarray, vertex_ids: np.ndarray) -> None:
        self.body = body
        self.shape = np.asarray(shape, np.float32)
        self.vertex_ids = np.asarray(vertex_ids, np.int64)
        joints, verts = rest_pose(body, self.shape, self.vertex_ids)
        carrier = carriers(body)
        self.pose_bone = np.array([body.joint_names.index(n) for n in body.pose_joint_names])
        order = np.argsort(self.pose_bone)                          # parents first
        self.order = [int(p) for p in order]
        parent_carrier = [int(carrier[body.parents[b]]) + 1 if body.parents[b] >= 0 else 0
                          for b in self.pose_bone]
        self.parent = np.array([0] + parent_carrier)                # per carrier (root: 0)
        self.rest_pivot = np.concatenate([joints[:1] * 0, joints[self.pose_bone]])   # (P+1, 3)
        head_c = np.array([0] + [int(carrier[p]) + 1 for p in body.parents[1:]])
        w = body.skinning_weights().detach().cpu().numpy()[self.vertex_ids]
        vert_c = carrier[w.argmax(1)] + 1 if len(self.vertex_ids) else np.zeros(0, np.int64)
        self.base_rest = np.concatenate([joints, verts])             # (NB, 3)
        self.base_carrier = np.concatenate([head_c, vert_c]).astype(np.int64)
        self.num_joints = len(joints)
        # chain levels (carriers whose parents are all in earlier levels) and ancestors
        n = len(self.pose_bone) + 1
        depth = np.zeros(n, np.int64)
        for p in self.order:
            depth[p + 1] = depth[self.parent[p + 1]] + 1
        self.levels = [np.nonzero(depth == d)[0] for d in range(1, int(depth.max()) + 1)]
        self.ancestors = np.zeros((n, n))          # [c, a] = 1: a is c or above c (a >= 1)
        for c in range(1, n):
            a = c
            while a > 0:
                self.ancestors[c, a] = 1.0
                a = int(self.parent[a])
        self._t = {}

    def vertex_base(self, vid: int) -> int:
        """Base-point index of mesh vertex ``vid`` (one of ``vertex_ids``)."""
        return self.num_joints + int(np.nonzero(self.vertex_ids == vid)[0][0])

    def tensors(self, device) -> dict[str, torch.Tensor]:
        key = str(device)
        if key not in self._t:
            f = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
            done = [0]
            gather = []
            for lvl in self.levels:          # parents' positions in the order computed so far
                gather.append(torch.as_tensor([done.index(int(self.parent[c])) for c in lvl],
                                              device=device))
                done += [int(c) for c in lvl]
            offsets = self.rest_pivot[1:] - self.rest_pivot[self.parent[1:]]
            self._t[key] = {
                "base_rest": f(self.base_rest), "rest_pivot": f(self.rest_pivot),
                "base_carrier": torch.as_tensor(self.base_carrier, device=device),
                "levels": [torch.as_tensor(lvl - 1, device=device) for lvl in self.levels],
                "gather": gather, "unsort": torch.as_tensor(np.argsort(done), device=device),
                "parent": torch.as_tensor(self.parent[1:], device=device),
                "offsets": f(offsets)[:, :, None], "ancestors": f(self.ancestors[:, 1:])}
        return self._t[key]

    def pose(self, rot_root: torch.Tensor, transl: torch.Tensor,
             body_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(R (B, P+1, 3, 3), pivot (B, P+1, 3)): world rotation and pivot of every carrier.

        rot_root: (B, 3, 3) canonical -> world. transl: (B, 3) root position. body_pose:
        (B, P, 3) axis-angle, canonical axes. The chain runs level by level (9 for Anny)."""
        import roma

        t = self.tensors(body_pose.device)
        delta = roma.rotvec_to_rotmat(body_pose)
        blocks = [rot_root[:, None]]
        for lvl, gather in zip(t["levels"], t["gather"]):
            done = torch.cat(blocks, 1) if len(blocks) > 1 else blocks[0]
            blocks.append(done[:, gather] @ delta[:, lvl])
        rot = torch.cat(blocks, 1)[:, t["unsort"]]
        world_off = (rot[:, t["parent"]] @ t["offsets"])[..., 0]            # (B, P, 3)
        piv = transl[:, None] + torch.einsum("cp,bpk->bck", t["ancestors"], world_off)
        return rot, piv

    def base_points(self, rot: torch.Tensor, piv: torch.Tensor,
                    idx: torch.Tensor) -> torch.Tensor:
        """(B, K, 3) world positions of base points ``idx`` (K,) given ``pose``'s output."""
        t = self.tensors(rot.device)
        c = t["base_carrier"][idx]
        local = t["base_rest"][idx] - t["rest_pivot"][c]                   # (K, 3)
        return piv[:, c] + (rot[:, c] @ local[None, :, :, None])[..., 0]


# ---- correspondences ---------------------------------------------------------------------------
@dataclass
class Correspondence:
    """What is matched in one clip. Positions: targets ``pos_src`` (T, Np, 3) world metres,
    weights (Np,), body rows (Np, NB) over BodyChain base points. Directions: unit targets
    ``dir_src`` (T, Nd, 3), weights (Nd,), tip and anchor rows (Nd, NB). ``pos_names`` /
    ``dir_names`` name them; ``core`` indexes the core points in the position list."""

    pos_names: list[str]
    pos_src: np.ndarray
    pos_w: np.ndarray
    pos_rows: np.ndarray
    dir_names: list[str]
    dir_src: np.ndarray
    dir_w: np.ndarray
    dir_tip: np.ndarray
    dir_anchor: np.ndarray
    core: np.ndarray


def _stem(name: str) -> str:
    return name[:-2] if name.endswith(("_l", "_r")) else name


def _chain_fractions(points: np.ndarray) -> np.ndarray:
    """Cumulative length fractions (N,) along a polyline of (N, 3) points (0 ... 1)."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    return cum / max(cum[-1], 1e-9)


def _median_polyline(src: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(N, 3) a polyline with the median segment lengths of (T, N, 3) frames, straightened."""
    seg = np.median(np.linalg.norm(np.diff(src[valid], axis=1), axis=2), axis=0)
    return np.concatenate([[0.0], np.cumsum(seg)])[:, None] * np.array([[0.0, -1.0, 0.0]])


def build_correspondence(clip: MocapClip, chain: BodyChain, table: BodyPointTable,
                         rows: dict[str, np.ndarray]) -> Correspondence:
    """Match the clip's semantic points with the body's (see the module docstring)."""
    rig = clip.rig
    src = clip.positions.astype(np.float64)
    idx = {n: i for i, n in enumerate(clip.names)}
    valid = clip.valid if clip.valid.any() else np.ones(len(src), bool)
    pos_names, pos_src, pos_w, pos_rows = [], [], [], []

    def add(name, target, weight, row):
        pos_names.append(name)
        pos_src.append(target)
        pos_w.append(weight)
        pos_rows.append(row)

    for sem, src_name in rig.points.items():
        stem = _stem(sem)
        if stem in ("neck", "head", "pelvis") or stem not in POSITION_WEIGHTS or sem not in rows:
            continue
        add(sem, src[:, idx[src_name]], POSITION_WEIGHTS[stem], rows[sem])
    # trunk: the rig's spine / neck / head joints at the same length fractions on the body
    mid_src = (src[:, idx[rig.points["hip_l"]]] + src[:, idx[rig.points["hip_r"]]]) / 2
    names = list(rig.spine) + [rig.points["neck"]] + list(rig.neck_mid) + [rig.points["head"]]
    kinds = ["spine"] * len(rig.spine) + ["neck"] + ["neck_mid"] * len(rig.neck_mid) + ["head"]
    chain_src = np.concatenate([mid_src[:, None], src[:, [idx[n] for n in names]]], 1)
    f_src = _chain_fractions(_median_polyline(chain_src, valid))[1:]
    mid_row = (rows["hip_l"] + rows["hip_r"]) / 2
    body_rows = [mid_row] + [rows[f"joint:{n}"] for n in table.trunk]
    body_pts = np.stack([r @ chain.base_rest for r in body_rows])
    f_body = _chain_fractions(body_pts)
    for name, kind, f, k in zip(names, kinds, f_src, range(len(names))):
        i = int(np.clip(np.searchsorted(f_body, f, side="right") - 1, 0, len(f_body) - 2))
        a = (f - f_body[i]) / max(f_body[i + 1] - f_body[i], 1e-9)
        row = body_rows[i] * (1 - a) + body_rows[i + 1] * a
        label = "neck" if kind == "neck" else "head" if kind == "head" else f"{kind}:{name}"
        add(label, chain_src[:, k + 1], POSITION_WEIGHTS[kind], row)

    dir_names, dir_src, dir_w, dir_tip, dir_anchor = [], [], [], [], []
    for tip, anchor in DIRECTION_POINTS:
        for side in ("", "_l", "_r"):
            t_sem, a_sem = tip + side, anchor + (side if anchor not in ("head",) else "")
            if t_sem not in rig.points or t_sem not in rows or a_sem not in rows:
                continue
            v = src[:, idx[rig.points[t_sem]]] - src[:, idx[rig.points[a_sem]]]
            dir_names.append(t_sem)
            dir_src.append(v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9))
            dir_w.append(DIRECTION_WEIGHTS[tip])
            dir_tip.append(rows[t_sem])
            dir_anchor.append(rows[a_sem])
    core = np.array([pos_names.index(n) for n in CORE_POINTS if n in pos_names])
    stack = lambda xs, shape: np.stack(xs, 1) if xs else np.zeros(shape)  # noqa: E731
    nb = len(chain.base_rest)
    return Correspondence(pos_names, np.stack(pos_src, 1), np.array(pos_w), np.stack(pos_rows),
                          dir_names, stack(dir_src, (len(src), 0, 3)), np.array(dir_w),
                          np.array(dir_tip).reshape(-1, nb), np.array(dir_anchor).reshape(-1, nb),
                          core)


def point_rows(chain: BodyChain, table: BodyPointTable, body: BodyModel,
               top_ids: dict[str, int]) -> dict[str, np.ndarray]:
    """Rows over base points: each semantic point of ``table`` and ``joint:<name>`` for every
    body joint."""
    nb = len(chain.base_rest)
    rows: dict[str, np.ndarray] = {}
    for j, name in enumerate(body.joint_names):
        r = np.zeros(nb)
        r[j] = 1.0
        rows[f"joint:{name}"] = r
    for sem, mix in table.points.items():
        r = np.zeros(nb)
        for kind, key, w in mix:
            if kind == "joint":
                r[body.joint_names.index(str(key))] += w
            elif kind == "vertex":
                r[chain.vertex_base(int(key))] += w
            else:
                r[chain.vertex_base(top_ids[str(key)])] += w
        rows[sem] = r
    return rows


# ---- numpy rotation helpers (first guess) ----------------------------------------------------
def _unit(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12), n[..., 0]


def _wahba(pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]], prior: np.ndarray,
           eps: float) -> np.ndarray:
    """(F, 3, 3) rotations R maximising sum w t . (R r) + eps tr(prior^T R).

    pairs: (target (F, 3), rest (F, 3) or (3,), weight (F,) or scalar)."""
    b = eps * prior
    for t, r, w in pairs:
        r = np.broadcast_to(r, t.shape)
        b = b + np.asarray(w, float).reshape(-1, 1, 1) * t[:, :, None] * r[:, None, :]
    u, _, vt = np.linalg.svd(b)
    d = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= d[:, None]
    return u @ vt


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_rotvec(axis * angle[:, None]).as_matrix()


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(F, 3, 3) the shortest rotations taking unit vectors a to b (F, 3)."""
    axis, s = _unit(np.cross(a, b))
    c = np.einsum("fi,fi->f", a, b)
    flip = s < 1e-8
    if flip.any():   # parallel or opposite: any perpendicular axis
        perp = np.cross(a[flip], np.eye(3)[np.argmin(np.abs(a[flip]), 1)])
        axis[flip] = _unit(perp)[0]
    return _axis_angle(axis, np.arctan2(s, c))


def _twist(u: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
    """(F,) angle about unit axes u (F, 3) that best turns the (current, target, weight)
    vectors of ``pairs`` onto each other (0 where no pair has weight)."""
    num = np.zeros(len(u))
    den = np.full(len(u), 1e-9)
    for a, t, w in pairs:
        a_p = a - np.einsum("fi,fi->f", a, u)[:, None] * u
        t_p = t - np.einsum("fi,fi->f", t, u)[:, None] * u
        num += np.asarray(w) * np.einsum("fi,fi->f", u, np.cross(a_p, t_p))
        den += np.asarray(w) * np.einsum("fi,fi->f", a_p, t_p)
    return np.arctan2(num, den)


def _spread(chain: BodyChain, members: list[int], below: list[int], prior: np.ndarray,
            guess: np.ndarray, pos_c: np.ndarray, dir_c: np.ndarray, rest: np.ndarray,
            src: np.ndarray, w_pos: np.ndarray, corr: Correspondence, dir_rest: np.ndarray,
            anchor: int, iterations: int = 5) -> np.ndarray:
    """(F, n, 3, 3) world rotations of a spread group's n members, each turning by the same
    step: the step whose chain best points the group's targets at the clip's. A rigid guess
    under-turns a bent chain (its lower points turn by part of the bend only), so the total is
    corrected a few times by the rotation still left between posed and target directions."""
    from scipy.spatial.transform import Rotation

    n = len(members)
    total = np.einsum("fji,fjk->fik", prior, guess)                    # relative to the parent
    carriers = list(members) + list(below)
    keys = [k for k in np.nonzero(np.isin(pos_c[:-1], carriers))[0]]
    dkeys = [k for k in np.nonzero(np.isin(dir_c, carriers))[0]]
    piv = chain.rest_pivot
    a_pos = np.einsum("fij,j->fi", prior, rest[anchor] - piv[members[0]])
    for _ in range(iterations):
        step = Rotation.from_rotvec(Rotation.from_matrix(total).as_rotvec() / n).as_matrix()
        w = {}
        p = {}
        cur, cur_p = prior, np.zeros_like(a_pos)
        for i, m in enumerate(members):
            if i:
                cur_p = cur_p + np.einsum("fij,j->fi", cur, piv[m] - piv[members[i - 1]])
            cur = cur @ step
            w[m], p[m] = cur, cur_p
        for b in below:   # at rest below the group's last member
            last = members[-1]
            w[b] = w[last]
            p[b] = p[last] + np.einsum("fij,j->fi", w[last], piv[b] - piv[last])
        pairs = []
        for k in keys:
            m = int(pos_c[k])
            v = p[m] + np.einsum("fij,j->fi", w[m], rest[k] - piv[m]) - a_pos
            t = src[:, k] - src[:, anchor]
            pairs.append((_unit(t)[0], _unit(v)[0], w_pos[k] * (0.5 if m in below else 1.0)))
        for k in dkeys:
            m = int(dir_c[k])
            v = np.einsum("fij,j->fi", w[m], dir_rest[k])
            pairs.append((corr.dir_src[:, k], v, corr.dir_w[k]))
        if not pairs:
            break
        # world rotation taking the posed directions onto the targets (rest = posed here)
        b_mat = sum(np.asarray(wt).reshape(-1, 1, 1) * t[:, :, None] * v[:, None, :]
                    for t, v, wt in pairs)
        u, _, vt = np.linalg.svd(b_mat + 1e-6 * np.eye(3))
        d = np.sign(np.linalg.det(u @ vt))
        u[:, :, 2] *= d[:, None]
        corr_rot = u @ vt
        total = np.einsum("fji,fjk,fkl,flm->fim", prior, corr_rot, prior, total)
    step = Rotation.from_rotvec(Rotation.from_matrix(total).as_rotvec() / n).as_matrix()
    out, cur = [], prior
    for _ in members:
        cur = cur @ step
        out.append(cur)
    return np.stack(out, 1)


def first_guess(chain: BodyChain, corr: Correspondence, table: BodyPointTable,
                prior_weight: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form (rot_root (F, 3, 3), transl (F, 3), body_pose (F, P, 3)) per frame.

    Every pose joint turns the body's rest segments it carries (from the target next to its
    pivot to each target it moves) onto the clip's same segments: directions inside the clip
    only, so where a rig places its joints on the body does not bend the guess."""
    from scipy.spatial.transform import Rotation

    body = chain.body
    f = corr.pos_src.shape[0]
    n_c = len(chain.pose_bone) + 1
    base = chain.base_rest
    # position targets, plus the hips' midpoint as a virtual one (carried by the root)
    hip = [corr.pos_names.index(s) for s in ("hip_l", "hip_r")]
    src = np.concatenate([corr.pos_src, corr.pos_src[:, hip].mean(1, keepdims=True)], 1)
    rest = np.concatenate([corr.pos_rows @ base, (corr.pos_rows[hip] @ base).mean(0)[None]])
    w_pos = np.append(corr.pos_w, 1.0)
    mid = len(rest) - 1
    pos_c = np.append(chain.base_carrier[np.argmax(corr.pos_rows, 1)], 0)
    dir_rest = _unit(corr.dir_tip @ base - corr.dir_anchor @ base)[0]          # (Nd, 3)
    dir_c = chain.base_carrier[np.argmax(corr.dir_tip, 1)]
    children = {c: [k for k in range(1, n_c) if chain.parent[k] == c] for c in range(n_c)}
    slot = {n: i + 1 for i, n in enumerate(body.pose_joint_names)}
    groups = [[slot[n] for n in g if n in slot] for g in table.spread]
    group_of = {c: g for g in groups for c in g}
    hinges = {slot[n] for n in table.hinges if n in slot}
    roll = {slot[n]: names for n, names in table.roll.items() if n in slot}

    def ancestors(c: int) -> list[int]:
        out = []
        while c > 0:
            c = int(chain.parent[c])
            out.append(c)
        return out

    def anchor(c: int) -> int:
        """The target nearest to carrier c's pivot among those its ancestors carry."""
        cand = np.nonzero(np.isin(pos_c, ancestors(c)))[0]
        return int(cand[np.argmin(np.linalg.norm(rest[cand] - chain.rest_pivot[c], axis=1))])

    def segments(c_set: list[int], a: int, weight: float) -> list:
        """(target, rest, weight) unit pairs: segments a -> every target c_set carries, and
        the directions c_set carries."""
        out = []
        for k in np.nonzero(np.isin(pos_c[:-1], c_set))[0]:
            t, n = _unit(src[:, k] - src[:, a])
            r, rn = _unit(rest[k] - rest[a])
            if rn > 1e-3:
                out.append((t, r, weight * w_pos[k] * (n > 1e-3)))
        for k in np.nonzero(np.isin(dir_c, c_set))[0]:
            out.append((corr.dir_src[:, k], dir_rest[k], weight * corr.dir_w[k]))
        return out

    rot = np.zeros((f, n_c, 3, 3))
    pairs = [(t, r, w) for t, r, w in segments([0], mid, 1.0)]
    trunk = [k for k, n in enumerate(corr.pos_names) if n.startswith("spine:") or n == "neck"]
    if trunk:   # the lowest trunk point fixes the pelvis's forward tilt
        t, _ = _unit(src[:, trunk[0]] - src[:, mid])
        pairs.append((t, _unit(rest[trunk[0]] - rest[mid])[0], 0.5))
    rot[:, 0] = _wahba(pairs, np.broadcast_to(np.eye(3), (f, 3, 3)), 1e-3)
    transl = src[:, mid] - np.einsum("fij,j->fi", rot[:, 0], rest[mid])

    done: set[int] = {0}
    for p in chain.order:
        c = p + 1
        if c in done:
            continue
        members = group_of.get(c, [c])
        prior = rot[:, int(chain.parent[c])]
        a = anchor(c)
        prim = segments(members, a, 1.0)
        below = [k for k in children[members[-1]] if k not in group_of]
        if len(members) > 1:   # a spread group: what hangs below it counts too, rigidly
            prim += segments(below, a, 0.5)
        if len(prim) == 1:     # one direction: swing, then a twist from the bend below
            t, r, w = prim[0]
            r_pre = np.einsum("fij,fj->fi", prior, np.broadcast_to(r, t.shape))
            r1 = _swing(r_pre, t) @ prior
            sec = []
            for k in below:
                if k in hinges:   # the child's bend plane: (this segment) x (its segment)
                    for tk, rk, wk in segments([k], anchor(k), 1.0):
                        n_t, s_t = _unit(np.cross(t, tk))
                        n_r, s_r = _unit(np.cross(r, rk))
                        if s_r > 0.05:
                            sec.append((np.einsum("fij,j->fi", r1, n_r), n_t, 0.5 * wk * s_t))
                        # a straight child passes the twist on: its own child's bend plane
                        # (a straight knee turns the thigh with the foot)
                        for g in (g for g in children[k] if g in hinges):
                            for tg, rg, wg in segments([g], anchor(g), 1.0):
                                n_t2, s_t2 = _unit(np.cross(tk, tg))
                                n_r2, s_r2 = _unit(np.cross(rk, rg))
                                if s_r2 > 0.05:
                                    sec.append((np.einsum("fij,j->fi", r1, n_r2), n_t2,
                                                0.5 * wg * s_t2 * np.clip(1 - 2 * s_t, 0, 1)))
                for d in (i for i, n in enumerate(corr.dir_names) if n in roll.get(k, ())):
                    tk, rk = corr.dir_src[:, d], dir_rest[d]   # as if the child were at rest
                    sec.append((np.einsum("fij,j->fi", r1, rk), tk, 0.3 * corr.dir_w[d]))
            r_c = _axis_angle(t, _twist(t, sec)) @ r1 if sec else r1
        elif prim:
            r_c = _wahba(prim, prior, prior_weight)
        else:
            r_c = prior
        if len(members) == 1:
            rot[:, c] = r_c
        else:
            rot[:, members] = _spread(chain, members, below, prior, r_c, pos_c, dir_c, rest, src,
                                      w_pos, corr, dir_rest, a)
        done.update(members)
    rel = np.einsum("fpji,fpjk->fpik", rot[:, chain.parent[1:]], rot[:, 1:])
    body_pose = Rotation.from_matrix(rel.reshape(-1, 3, 3)).as_rotvec().reshape(f, -1, 3)
    return rot[:, 0], transl, body_pose


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
