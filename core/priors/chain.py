"""The body's kinematic chain for one fixed shape, and what a clip's points are matched to.

``BodyChain`` poses the ~30 points the retargeter matches with the body's own chain (rest heads
from ``BodyModel.forward``, rotations chained like body_pose): exactly the body's joints, for a
fraction of a skinned pass. ``build_correspondence`` pairs the clip's semantic points
(core.priors.rigs) with rows over the chain's base points (core.priors.body_points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.base import BodyModel

from .body_points import BodyPointTable, carriers, rest_pose
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
