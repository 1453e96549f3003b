"""The skeleton, skin and motion of a fitted body, for the rigged exports (glTF skins, BVH).

Any ``BodyModel`` works through its public interface: the bind pose is the body's zero pose
(``forward`` with zero orientation, pose and translation, so it sits in the canonical body frame
with the root joint at the origin), and every frame's pose is one local rotation per joint,
chained from the root like SMPL's (a child's world rotation is its parent's times its own). For
Anny these are the ``body_pose`` rotations of its POSE_JOINTS and, when fitted, the finger
rotations of ``extras["fingers"]``; every other bone keeps the identity. For SMPL, SMPL-H and
SMPL-X they are ``body_pose`` and the hand / jaw / eye poses of ``extras``. Root: the rotation
``R(global_orient)`` (canonical -> camera) and the translation ``transl`` (the root joint in the
camera frame), so that

    joint world transform  [R_j | p_j],  R_j = R_parent(j) @ L_j,  p_j = p_parent + R_parent @ o_j

with ``o_j`` the joint's offset from its parent in the bind pose reproduces the model's joints
exactly (a test checks it), and linear blend skinning of the bind vertices with
``x = sum_j w_j (R_j (x_bind - b_j) + p_j)`` (``b_j`` the joint in the bind pose) reproduces its
vertices up to what four influences per vertex can hold.

Skin weights (at most four influences per vertex, as glTF viewers need): Anny's weights are dense
over 104 bones (up to 9 per vertex). Keeping the four largest and renormalising costs up to
1.3 cm on the taiji video (2.8 cm on extreme synthetic poses), around the neck, the clavicles and
the lower back, where six or seven animated bones meet. Two steps bring it down to 0.3-0.4 cm
there, about the model's own skinning error (3 mm, from Anny skinning its MakeHuman rest mesh
while the bind here is its zero pose): bones that no frame rotates (twist bones, toes, unposed
fingers) share their animated ancestor's transform in every frame, so their weight is merged
into that ancestor exactly; then, for each vertex with more than four animated influences, the
four influences and their weights are chosen by least squares to reproduce the body model's own
vertices over the motion's frames (and small perturbations of them, so the skin stays good
between and around the keyframes). Merged weights are split back onto the merged bones wherever
a vertex has free slots, so the full rig keeps its weights where it can. See ``fit_skin``.
SMPL-family bodies skin the same way; their pose blend shapes (pose correctives) are what linear
blend skinning cannot carry.

Frames: everything here is in the canonical body frame (bind pose) and the camera frame (motion),
metres; the writers turn both into the file's frame (``frame_matrix``: upright Y up facing +Z as
``core.export.mesh_io.camera_to_upright``, or the camera frame as it is).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import torch

from core.body.base import BodyModel
from core.body.params import BodyParams, stack_shapes

#: Humanoid bone names (Unity's Mecanim names, which Unity's, Unreal's and the Blender rigging
#: add-ons' humanoid mappings recognise) of the body model joints that have one.
HUMANOID_ANNY: dict[str, str] = {
    "root": "Hips", "spine05": "Spine", "spine03": "Chest", "spine01": "UpperChest",
    "neck01": "Neck", "head": "Head",
    "clavicle.L": "LeftShoulder", "upperarm01.L": "LeftUpperArm",
    "lowerarm01.L": "LeftLowerArm", "wrist.L": "LeftHand",
    "clavicle.R": "RightShoulder", "upperarm01.R": "RightUpperArm",
    "lowerarm01.R": "RightLowerArm", "wrist.R": "RightHand",
    "upperleg01.L": "LeftUpperLeg", "lowerleg01.L": "LeftLowerLeg", "foot.L": "LeftFoot",
    "upperleg01.R": "RightUpperLeg", "lowerleg01.R": "RightLowerLeg", "foot.R": "RightFoot",
    "eye.L": "LeftEye", "eye.R": "RightEye",
}
HUMANOID_SMPL: dict[str, str] = {
    "pelvis": "Hips", "spine1": "Spine", "spine2": "Chest", "spine3": "UpperChest",
    "neck": "Neck", "head": "Head", "jaw": "Jaw",
    "left_collar": "LeftShoulder", "left_shoulder": "LeftUpperArm",
    "left_elbow": "LeftLowerArm", "left_wrist": "LeftHand",
    "right_collar": "RightShoulder", "right_shoulder": "RightUpperArm",
    "right_elbow": "RightLowerArm", "right_wrist": "RightHand",
    "left_hip": "LeftUpperLeg", "left_knee": "LeftLowerLeg", "left_ankle": "LeftFoot",
    "left_foot": "LeftToes", "right_hip": "RightUpperLeg", "right_knee": "RightLowerLeg",
    "right_ankle": "RightFoot", "right_foot": "RightToes",
    "left_eye_smplhf": "LeftEye", "right_eye_smplhf": "RightEye",
}

#: Influences per vertex in the exported skins (glTF's JOINTS_0 / WEIGHTS_0).
MAX_INFLUENCES = 4
SIGMA = 0.08


def humanoid_names(body: BodyModel) -> list[str]:
    """The exported joint names: humanoid names where the joint has one, the model's elsewhere."""
    table = HUMANOID_ANNY if body.name == "anny" else HUMANOID_SMPL
    return [table.get(n, n) for n in body.joint_names]


def frame_matrix(orientation: str) -> np.ndarray:
    """(3, 3) float64 rotation from the camera frame (and the canonical body frame) into a file's
    frame: "upright" (y up, a person who faced the camera faces +z: a half turn about x, as
    ``camera_to_upright``) or "camera" (identity)."""
    if orientation == "upright":
        return np.diag([1.0, -1.0, -1.0])
    if orientation == "camera":
        return np.eye(3)
    raise ValueError(f"orientation must be 'upright' or 'camera', not {orientation!r}")


def world_matrix(orientation: str, up: np.ndarray | None) -> np.ndarray:
    """(3, 3) float64 rotation from the camera frame into a file's frame for what moves in the
    world (the root's rotation and translation): as ``frame_matrix``, but "upright" follows
    ``up`` (the world's up in the camera frame, core.export.upright.scene_up) when given, so a
    camera that looked down does not tilt the person. The bind pose keeps ``frame_matrix``."""
    if orientation == "upright" and up is not None:
        from .upright import upright_rotation

        return upright_rotation(up)
    return frame_matrix(orientation)


# ---- skeleton ---------------------------------------------------------------------------------
@dataclass
class Skeleton:
    """A body model's joints in its bind (zero) pose, for one shape.

    names: J exported names (``humanoid_names``); model_names: the body model's joint names.
    parents: (J,) int64, -1 for the root (index 0), parents before children.
    bind_joints: (J, 3) float64 joint positions in the bind pose, canonical body frame, root at
        the origin, metres. offsets: (J, 3) float64 each joint minus its parent (root: zero).
    """

    names: list[str]
    model_names: list[str]
    parents: np.ndarray
    bind_joints: np.ndarray

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def offsets(self) -> np.ndarray:
        p = self.parents
        off = self.bind_joints - self.bind_joints[np.maximum(p, 0)]
        off[p < 0] = 0.0
        return off


@dataclass
class Skin:
    """A mesh bound to a Skeleton.

    vertices: (V, 3) float32 bind-pose vertices, canonical body frame, root at the origin, metres.
    joints: (V, 4) int64 joint indices; weights: (V, 4) float32, non-negative, summing to 1 per
        vertex (unused slots: joint 0, weight 0).
    """

    vertices: np.ndarray
    joints: np.ndarray
    weights: np.ndarray


@dataclass
class Motion:
    """Per-keyframe poses of one body (one shape) over time.

    frame_ids: (N,) int64 source frame of each keyframe. times: (N,) float64 seconds from the
        first keyframe (increasing). fps: keyframes per second of the source (the BVH frame rate).
    params: N BodyParams, one per keyframe (a frame without a person holds the last pose).
    rotations: (N, J, 3, 3) float64 local joint rotations; [:, 0] is R(global_orient), canonical
        -> camera; the others are in canonical axes. translations: (N, 3) float64 root joint in
        the camera frame, metres.
    shape: (S,) float32 the shape of the skeleton and skin.
    gaps: [first, last] frame-id ranges (inclusive) that had no fitted person and hold a pose.
    up: (3,) the world's up in the camera frame (``world_matrix``) or None (a level camera).
    """

    frame_ids: np.ndarray
    times: np.ndarray
    fps: float
    params: list[BodyParams]
    rotations: np.ndarray
    translations: np.ndarray
    shape: np.ndarray
    gaps: list[list[int]] = field(default_factory=list)
    up: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return len(self.frame_ids)


def _rotmats(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3, 3) float64 rotation matrices of (..., 3) axis-angles (Rodrigues)."""
    from scipy.spatial.transform import Rotation

    r = np.asarray(rotvec, np.float64)
    return Rotation.from_rotvec(r.reshape(-1, 3)).as_matrix().reshape(r.shape[:-1] + (3, 3))


def local_rotations(body: BodyModel, params: list[BodyParams]) -> np.ndarray:
    """(N, J, 3, 3) float64 local rotations of each joint (see the module docstring).

    params: N BodyParams of ``body``. [:, 0] = R(global_orient) (canonical -> camera); the other
    joints in canonical axes, identity where the parameters do not rotate them.
    """
    n, J = len(params), body.num_joints
    out = np.tile(np.eye(3), (n, J, 1, 1))
    if n == 0:
        return out
    index = {name: i for i, name in enumerate(body.joint_names)}
    out[:, 0] = _rotmats(np.stack([p.global_orient for p in params]))
    pose_ids = [index[name] for name in body.pose_joint_names]
    out[:, pose_ids] = _rotmats(np.stack([p.body_pose for p in params]))
    if body.name == "anny":
        have = [i for i, p in enumerate(params) if "fingers" in p.extras]
        if have:
            rig = body.hand_rig
            fingers = torch.as_tensor(np.stack([params[i].extras["fingers"] for i in have]),
                                      dtype=torch.float32)
            rot = rig.rotations(fingers).double().cpu().numpy()        # (B, 30, 3, 3)
            ids = rig.bone_ids.reshape(-1)
            for row, i in enumerate(have):
                out[i, ids] = rot[row]
        return out
    # SMPL family: extras by name, in smplx's joint order
    parts = [("jaw_pose", ["jaw"]), ("leye_pose", ["left_eye_smplhf"]),
             ("reye_pose", ["right_eye_smplhf"])]
    for side in ("left", "right"):
        names = [f"{side}_{f}{k}" for f in ("index", "middle", "pinky", "ring", "thumb")
                 for k in (1, 2, 3)]
        parts.append((f"{side}_hand_pose", names))
    for key, names in parts:
        if not all(nm in index for nm in names):
            continue
        ids = [index[nm] for nm in names]
        for i, p in enumerate(params):
            if key in p.extras:
                out[i, ids] = _rotmats(np.asarray(p.extras[key], np.float64).reshape(-1, 3))
    return out


@torch.no_grad()
def bind_pose(body: BodyModel, shape: np.ndarray, vertex_offsets: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (V, 3), joints (J, 3)) float64 of the zero pose: canonical frame, root at 0.

    vertex_offsets: (V, 3) canonical-frame displacements added before skinning (clothing).
    """
    t = lambda a: torch.as_tensor(np.asarray(a, np.float32), device=body.device)[None]  # noqa: E731
    z = torch.zeros(1, 3, device=body.device)
    pose = torch.zeros(1, body.num_pose_joints, 3, device=body.device)
    out = body(z, pose, t(shape), z,
               vertex_offsets=None if vertex_offsets is None else t(vertex_offsets))
    return out.vertices[0].double().cpu().numpy(), out.joints[0].double().cpu().numpy()


def build_skeleton(body: BodyModel, shape: np.ndarray) -> Skeleton:
    """The Skeleton of ``body`` with shape ``shape`` (S,)."""
    _, joints = bind_pose(body, shape)
    return Skeleton(humanoid_names(body), list(body.joint_names),
                    np.asarray(body.parents, np.int64), joints)


def forward_kinematics(skeleton: Skeleton, rotations: np.ndarray, translations: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """World joint transforms of a motion.

    rotations: (N, J, 3, 3) local rotations (Motion.rotations); translations: (N, 3) root
    positions. returns: (world rotations (N, J, 3, 3), joint positions (N, J, 3)) float64, in the
    frame of the root's rotation and translation (the camera frame for a Motion).
    """
    n, J = rotations.shape[:2]
    world = np.empty_like(rotations, dtype=np.float64)
    pos = np.empty((n, J, 3))
    off = skeleton.offsets
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            world[:, j] = rotations[:, j]
            pos[:, j] = translations
        else:
            world[:, j] = world[:, p] @ rotations[:, j]
            pos[:, j] = pos[:, p] + world[:, p] @ off[j]
    return world, pos


def skin_vertices(skeleton: Skeleton, skin: Skin, world: np.ndarray, positions: np.ndarray
                  ) -> np.ndarray:
    """(N, V, 3) float64 linear blend skinning of ``skin`` by world joint transforms
    (``forward_kinematics``); the reference the GLB reader and the tests compare with."""
    b = skeleton.bind_joints[skin.joints]                                    # (V, 4, 3)
    local = skin.vertices[:, None, :].astype(np.float64) - b                # (V, 4, 3)
    out = np.zeros((world.shape[0], len(skin.vertices), 3))
    for k in range(skin.joints.shape[1]):
        j = skin.joints[:, k]
        moved = np.einsum("nvab,vb->nva", world[:, j], local[:, k]) + positions[:, j]
        out += skin.weights[None, :, k, None] * moved
    return out


# ---- motion ---------------------------------------------------------------------------------
def frame_runs(ids: list[int]) -> list[list[int]]:
    """[first, last] ranges of consecutive integers in a sorted list."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def median_shape(params: list[BodyParams]) -> np.ndarray:
    """(S,) float32 per-component median shape of a list of fits (one shape for one rig)."""
    return np.median(stack_shapes([p.shape for p in params]), axis=0).astype(np.float32)


def motion_from_params(body: BodyModel, frames: dict[int, BodyParams | None], fps: float,
                       step: int = 1, shape: np.ndarray | None = None) -> Motion:
    """A Motion over every ``step``-th frame from the first to the last key of ``frames``.

    frames: source frame -> BodyParams, or None for a frame without a person. Frames without a
    person, and frames between keys that are not given, hold the last pose (before the first
    fitted frame: the first one); they are listed in ``Motion.gaps``. fps: source frames per
    second (<= 0: 30). shape: the shape of the rig (default: the median over the fits).
    raises: ValueError when no frame has a fitted person.
    """
    fitted = {int(i): p for i, p in frames.items() if p is not None}
    if not fitted:
        raise ValueError("no frame has a fitted person")
    fps = float(fps) if fps and fps > 0 else 30.0
    step = max(1, int(step))
    keys = sorted(int(i) for i in frames)
    grid = list(range(keys[0], keys[-1] + 1, step))
    first = fitted[min(fitted)]
    held, gaps, last = [], [], first
    for i in grid:
        p = fitted.get(i)
        if p is None:
            gaps.append(i)
            p = last
        last = p
        held.append(p)
    shape = median_shape(list(fitted.values())) if shape is None else np.asarray(shape, np.float32)
    ids = np.asarray(grid, np.int64)
    return Motion(frame_ids=ids, times=(ids - ids[0]) / fps, fps=fps / step, params=held,
                  rotations=local_rotations(body, held),
                  translations=np.stack([p.transl for p in held]).astype(np.float64),
                  shape=shape, gaps=frame_runs(gaps))


def motion_from_fits(body: BodyModel, fits, fps: float, step: int = 1) -> Motion:
    """``motion_from_params`` over FrameFits (core.types.FrameFit, any order), with the world's
    up read off the fitted bodies' legs (``core.export.upright.scene_up``)."""
    from .upright import fits_up

    fits = list(fits)
    motion = motion_from_params(body, {int(f.index): f.params for f in fits}, fps, step)
    motion.up = fits_up(fits)
    return motion


# ---- skin -----------------------------------------------------------------------------------
def _perturbed(params: list[BodyParams], rng: np.random.Generator, sigma: float
               ) -> list[BodyParams]:
    """Copies of ``params`` with Gaussian noise (radians) on the pose and the extras."""
    out = []
    for p in params:
        q = p.copy()
        q.body_pose = (q.body_pose + rng.normal(0.0, sigma, q.body_pose.shape)).astype(np.float32)
        q.extras = {k: (v + rng.normal(0.0, sigma, v.shape)).astype(np.float32)
                    for k, v in q.extras.items()}
        out.append(q)
    return out


def _same_extras(params: list[BodyParams]) -> list[BodyParams]:
    """``params`` with the same extras keys everywhere (a missing one becomes zeros: the rest
    pose of fingers and hands), so they batch into one forward call."""
    shapes = {k: v.shape for p in params for k, v in p.extras.items()}
    for p in params:
        for k, shp in shapes.items():
            if k not in p.extras:
                p.extras[k] = np.zeros(shp, np.float32)
    return params


def _training_poses(body: BodyModel, motion: Motion, max_frames: int, seed: int
                    ) -> list[BodyParams]:
    """The poses the skin is fitted to: the zero pose, the motion's poses (at most
    ``max_frames``, spread over it) and as many perturbed copies (``SIGMA`` radians), all
    without global rotation or translation (canonical frame, root at the origin)."""
    n = motion.num_frames
    pick = np.unique(np.linspace(0, n - 1, min(n, max_frames)).round().astype(int))
    base = [motion.params[i].copy() for i in pick]
    zero = BodyParams(body.name, np.zeros(3), np.zeros((body.num_pose_joints, 3)), motion.shape,
                      np.zeros(3))
    poses = _same_extras([zero] + base + _perturbed(base, np.random.default_rng(seed), SIGMA))
    for p in poses:
        p.global_orient = np.zeros(3, np.float32)
        p.transl = np.zeros(3, np.float32)
        p.shape = np.asarray(motion.shape, np.float32)
    return poses


@torch.no_grad()
def _posed_vertices(body: BodyModel, poses: list[BodyParams], vertex_ids: np.ndarray,
                    vertex_offsets: np.ndarray | None) -> np.ndarray:
    """(K, len(vertex_ids), 3) float64 body vertices ``vertex_ids`` in each pose."""
    ids = torch.as_tensor(np.asarray(vertex_ids, np.int64), device=body.device)
    offsets = None if vertex_offsets is None else torch.as_tensor(
        np.asarray(vertex_offsets, np.float32), device=body.device)[None]
    out = []
    for i in range(0, len(poses), 64):
        chunk = poses[i:i + 64]
        t = body.tensors(chunk)
        res = body(t["global_orient"], t["body_pose"], t["shape"], t["transl"], vertex_ids=ids,
                   extras=t.get("extras"),
                   vertex_offsets=None if offsets is None else offsets.expand(len(chunk), -1, -1))
        out.append(res.vertices.double().cpu().numpy())
    return np.concatenate(out)


def _group_weights(weights: np.ndarray, parents: np.ndarray, animated: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Merge the weight of joints that never rotate into their nearest animated ancestor.

    returns: owner (J,) int64 the animated joint each joint's weight goes to, merged (V, J)
    float64 weights (non-zero on animated joints only)."""
    owner = np.arange(len(parents))
    for j in range(len(parents)):
        a = j
        while not animated[a] and parents[a] >= 0:
            a = parents[a]
        owner[j] = a
    merged = np.zeros(weights.shape, np.float64)
    np.add.at(merged.T, owner, weights.T.astype(np.float64))
    return owner, merged


def _fit_rows(design: np.ndarray, target: np.ndarray, prior: np.ndarray, valid: np.ndarray,
              k: int, reg: float) -> np.ndarray:
    """Per row (vertex): the best ``k`` of the C candidate columns and their weights.

    design: (R, C, M) candidate positions of each vertex over M coordinates; target: (R, M);
    prior: (R, C) the model's weights (a weak pull, ``reg``); valid: (R, C) usable candidates.
    Weights are >= 0 and sum to 1 (least squares with the sum constraint, negative ones clipped).
    returns: (R, C) float64 weights, at most ``k`` non-zero per row.
    """
    rows, c = prior.shape
    gram = np.einsum("rcm,rdm->rcd", design, design)
    lin = np.einsum("rcm,rm->rc", design, target)
    const = np.einsum("rm,rm->r", target, target)
    best = np.full(rows, np.inf)
    out = np.zeros((rows, c))
    # rows with fewer than k usable candidates keep the model's (renormalised) weights
    for combo in itertools.combinations(range(c), min(k, c)):
        cols = list(combo)
        h = gram[:, cols][:, :, cols] + reg * np.eye(len(cols))
        g = lin[:, cols] + reg * prior[:, cols]
        kkt = np.zeros((rows, len(cols) + 1, len(cols) + 1))
        kkt[:, :-1, :-1] = 2.0 * h
        kkt[:, :-1, -1] = 1.0
        kkt[:, -1, :-1] = 1.0
        rhs = np.concatenate([2.0 * g, np.ones((rows, 1))], 1)
        w = np.linalg.solve(kkt, rhs[..., None])[..., 0][:, :-1]
        w = np.clip(np.where(valid[:, cols], w, 0.0), 0.0, None)
        s = w.sum(1, keepdims=True)
        ok = s[:, 0] > 1e-9
        w = np.where(ok[:, None], w / np.maximum(s, 1e-12), 0.0)
        hh = gram[:, cols][:, :, cols]
        res = np.einsum("rc,rcd,rd->r", w, hh, w) - 2.0 * (w * lin[:, cols]).sum(1) + const
        res = np.where(ok, res, np.inf)
        better = res < best
        best[better] = res[better]
        full = np.zeros((rows, c))
        full[:, cols] = w
        out[better] = full[better]
    return out


def _pack(weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(joints (V, k) int64, weights (V, k) float32) of the k largest of (V, J) weights, summing
    to exactly 1 in float32 (the largest absorbs the rounding)."""
    order = np.argsort(-weights, axis=1, kind="stable")[:, :k]
    w = np.take_along_axis(weights, order, 1)
    w = np.where(w > 1e-6, w, 0.0)
    w = (w / w.sum(1, keepdims=True)).astype(np.float32)
    j = np.where(w > 0, order, 0).astype(np.int64)
    w[:, 0] = np.float32(1.0) - w[:, 1:].sum(1, dtype=np.float32)
    return j, w


def _split_back(fitted: np.ndarray, weights: np.ndarray, owner: np.ndarray, k: int
                ) -> np.ndarray:
    """Spread each animated joint's fitted weight back over the joints merged into it, in
    proportion to the model's weights, wherever the vertex has free influence slots (largest
    fitted weights first).

    fitted: (V, J) weights on animated joints; weights: (V, J) the model's. returns: (V, J)."""
    out = fitted.copy()
    w = np.where(weights > 1e-6, weights, 0.0)
    members = {int(a): np.flatnonzero(owner == a) for a in np.unique(owner)}
    members = {a: m for a, m in members.items() if len(m) > 1}
    if not members:
        return out
    count = np.zeros(fitted.shape, np.int64)          # weighted members of each group
    for a, m in members.items():
        count[:, a] = (w[:, m] > 0).sum(1)
    free = k - (fitted > 0).sum(1)
    order = np.argsort(-fitted, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(out))
    for r in range(order.shape[1]):
        a = order[:, r]
        fa, n = fitted[rows, a], count[rows, a]
        ok = (fa > 0) & (n >= 2) & (n - 1 <= free)
        for a0 in np.unique(a[ok]):
            sel = np.flatnonzero(ok & (a == a0))
            m = members[int(a0)]
            share = w[np.ix_(sel, m)]
            out[np.ix_(sel, m)] = fa[sel, None] * share / share.sum(1, keepdims=True)
        free = free - np.where(ok, n - 1, 0)
    return out


def fit_skin(body: BodyModel, skeleton: Skeleton, motion: Motion, *,
             vertex_offsets: np.ndarray | None = None, vertex_ids: np.ndarray | None = None,
             bind_vertices: np.ndarray | None = None, max_frames: int = 24, candidates: int = 7,
             seed: int = 0) -> Skin:
    """The bind mesh and its four-influence skin for ``motion`` (see the module docstring).

    vertex_offsets: (V, 3) canonical-frame clothing offsets of the body's vertices (an avatar).
    vertex_ids: (V',) int64 keep only these body vertices (an avatar without eyes and tongue).
    bind_vertices: (V, 3) ``bind_pose``'s vertices when the caller has them already.
    max_frames: motion frames the weights are fitted to (spread over the motion).
    candidates: influences considered per vertex (the model's largest merged weights).
    """
    bind = (bind_pose(body, motion.shape, vertex_offsets)[0] if bind_vertices is None
            else np.asarray(bind_vertices, np.float64))
    poses = _training_poses(body, motion, max_frames, seed)
    rotations = local_rotations(body, poses)
    weights = body.skinning_weights().detach().double().cpu().numpy()
    ids = np.arange(len(bind)) if vertex_ids is None else np.asarray(vertex_ids, np.int64)
    bind, weights = bind[ids], weights[ids]
    moved = np.abs(rotations - np.eye(3)).max(axis=(0, 2, 3)) > 1e-7
    moved[0] = True
    owner, merged = _group_weights(weights, skeleton.parents, moved)
    # a vertex with at most four animated influences is skinned exactly by them; fit the others
    fitted = np.where(merged > 1e-6, merged, 0.0)
    crowded = np.flatnonzero((fitted > 0).sum(1) > MAX_INFLUENCES)
    if len(crowded):
        targets = _posed_vertices(body, poses, ids[crowded], vertex_offsets)   # (K, R, 3)
        world, pos = forward_kinematics(skeleton, rotations, np.zeros((len(poses), 3)))
        c = min(candidates, int(moved.sum()))
        cand = np.argsort(-merged[crowded], axis=1, kind="stable")[:, :c]      # (R, C)
        prior = np.take_along_axis(merged[crowded], cand, 1)
        for s in range(0, len(crowded), 1024):
            rows, cj = crowded[s:s + 1024], cand[s:s + 1024]
            local = bind[rows, None, :] - skeleton.bind_joints[cj]            # (r, C, 3)
            design = (np.einsum("krcab,rcb->rcka", world[:, cj], local)
                      + pos[:, cj].transpose(1, 2, 0, 3))                    # (r, C, K, 3)
            r = len(rows)
            target = targets[:, s:s + 1024].transpose(1, 0, 2).reshape(r, -1)
            w = _fit_rows(design.reshape(r, c, -1), target, prior[s:s + 1024],
                          prior[s:s + 1024] > 1e-6, MAX_INFLUENCES, reg=1e-6)
            fitted[rows] = 0.0
            fitted[rows[:, None], cj] = w
    joints, w4 = _pack(_split_back(fitted, weights, owner, MAX_INFLUENCES), MAX_INFLUENCES)
    return Skin(bind.astype(np.float32), joints, w4)


def build_rig(body: BodyModel, motion: Motion, *, vertex_offsets: np.ndarray | None = None,
              vertex_ids: np.ndarray | None = None) -> tuple[Skeleton, Skin]:
    """The Skeleton and fitted Skin of ``body`` for ``motion`` from one bind-pose evaluation
    (clothing offsets move the mesh, not the joints). Arguments as ``fit_skin``."""
    vertices, joints = bind_pose(body, motion.shape, vertex_offsets)
    skeleton = Skeleton(humanoid_names(body), list(body.joint_names),
                        np.asarray(body.parents, np.int64), joints)
    return skeleton, fit_skin(body, skeleton, motion, vertex_offsets=vertex_offsets,
                              vertex_ids=vertex_ids, bind_vertices=vertices)
