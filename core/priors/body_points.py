"""The semantic points of core.priors.rigs on each body model, and the kinematic facts the
retargeter needs (which pose joint moves which point).

A table gives, per semantic point, a mix of the body's joints (bone heads) and mesh vertices:
``("joint", name, w)`` or ``("vertex", id, w)``, or ``("top", joint, 1)``: the highest rest
vertex of the skin that joint moves (the top of the head). ``trunk`` lists the joints from the
hips up to the head along which a rig's spine and neck joints are matched by length fraction;
``spread`` groups pose joints whose bend is shared evenly (Anny has five spine bones and two
neck bones where rigs have two to four). ``hinges`` are the pose joints that bend mostly about
one axis (elbows, knees, ankles): their bend plane fixes their parent's twist (upper arm, thigh,
shin). ``roll`` names, per pose joint, the directions it carries that fix its *parent's* twist
as if it were at rest: the thumb for the forearm (the wrist twists little; its flexion and
deviation do not tell the forearm's twist, so the finger end is not one of them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from core.body.base import BodyModel


@dataclass(frozen=True)
class BodyPointTable:
    """points: semantic name -> ((kind, key, weight), ...); trunk: joint names from the hips'
    midpoint (implicit first point) up to the head; spread, hinges: pose-joint names; roll:
    pose joint -> semantic directions."""

    points: dict[str, tuple[tuple[str, object, float], ...]]
    trunk: tuple[str, ...]
    spread: tuple[tuple[str, ...], ...]
    hinges: tuple[str, ...] = ()
    roll: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _lr(table: dict[str, tuple], left: str, right: str) -> dict[str, tuple]:
    """Expand ``{S}`` in ``*_l`` entries into their ``*_r`` mirrors."""
    out = {}
    for key, mix in table.items():
        if key.endswith("_l"):
            for k2, side in ((key, left), (key[:-2] + "_r", right)):
                out[k2] = tuple((k, n.format(S=side) if isinstance(n, str) else n, w)
                                for k, n, w in mix)
        else:
            out[key] = mix
    return out


def _j(name: str) -> tuple:
    return (("joint", name, 1.0),)


ANNY_POINTS = BodyPointTable(
    points=_lr({
        "hip_l": _j("upperleg01.{S}"), "knee_l": _j("lowerleg01.{S}"), "ankle_l": _j("foot.{S}"),
        "toe_l": tuple(("joint", f"toe{k}-1.{{S}}", 0.2) for k in range(1, 6)),
        "toe_end_l": _j("toe2-3.{S}"), "bigtoe_l": _j("toe1-1.{S}"), "pinkytoe_l": _j("toe5-1.{S}"),
        "shoulder_l": _j("upperarm01.{S}"), "elbow_l": _j("lowerarm01.{S}"),
        "wrist_l": _j("wrist.{S}"), "hand_end_l": _j("finger3-3.{S}"),
        "thumb_l": _j("finger1-3.{S}"), "eye_l": _j("eye.{S}"),
        "neck": _j("neck01"), "head": _j("head"), "head_end": (("top", "head", 1.0),),
    }, "L", "R"),
    trunk=("spine04", "spine03", "spine02", "spine01", "neck01", "neck02", "neck03", "head"),
    spread=(("spine05", "spine04", "spine03", "spine02", "spine01"), ("neck01", "neck02")),
    hinges=("lowerarm01.L", "lowerarm01.R", "lowerleg01.L", "lowerleg01.R", "foot.L", "foot.R"),
    roll={"wrist.L": ("thumb_l",), "wrist.R": ("thumb_r",)},
)


def smpl_points(kind: str) -> BodyPointTable:
    """The table of SMPL ("smpl"), SMPL-H or SMPL-X (hand points from the finger joints)."""
    from smplx.vertex_ids import vertex_ids

    vid = vertex_ids["smplx" if kind == "smplx" else "smplh"]
    hands = ({"hand_end_l": _j("{S}_hand")} if kind == "smpl" else
             {"hand_end_l": _j("{S}_middle3"), "thumb_l": _j("{S}_thumb3")})
    table = {"hip_l": _j("{S}_hip"), "knee_l": _j("{S}_knee"), "ankle_l": _j("{S}_ankle"),
             "toe_l": _j("{S}_foot"), "shoulder_l": _j("{S}_shoulder"),
             "elbow_l": _j("{S}_elbow"), "wrist_l": _j("{S}_wrist"), **hands,
             "neck": _j("neck"), "head": _j("head"), "head_end": (("top", "head", 1.0),)}
    out = _lr(table, "left", "right")
    for side, s in (("l", "L"), ("r", "R")):
        out[f"bigtoe_{side}"] = (("vertex", int(vid[f"{s}BigToe"]), 1.0),)
        out[f"eye_{side}"] = (("vertex", int(vid[f"{side}eye"]), 1.0),)
    return BodyPointTable(out, trunk=("spine1", "spine2", "spine3", "neck", "head"),
                          spread=(("spine1", "spine2", "spine3"),),
                          hinges=tuple(f"{s}_{j}" for j in ("elbow", "knee", "ankle")
                                       for s in ("left", "right")),
                          roll={"left_wrist": ("thumb_l",), "right_wrist": ("thumb_r",)})


def table_for(body: BodyModel) -> BodyPointTable:
    """The point table of ``body`` (Anny, SMPL, SMPL-H, SMPL-X)."""
    if body.name == "anny":
        return ANNY_POINTS
    return smpl_points(body.name)


def carriers(body: BodyModel) -> np.ndarray:
    """(J,) int: for each bone, the pose joint (index into pose_joint_names) whose rotation
    turns it, i.e. the bone itself or its nearest posed ancestor; -1 for the root's."""
    slot = {n: i for i, n in enumerate(body.pose_joint_names)}
    out = np.full(body.num_joints, -1, np.int64)
    for j in range(body.num_joints):              # parents precede children
        name = body.joint_names[j]
        p = body.parents[j]
        out[j] = slot.get(name, out[p] if p >= 0 else -1)
    return out


def head_carrier(body: BodyModel, joint: int) -> int:
    """The pose joint that moves the *head* of bone ``joint`` (its parent's carrier)."""
    p = body.parents[joint]
    return -1 if p < 0 else int(carriers(body)[p])


@torch.no_grad()
def rest_pose(body: BodyModel, shape: np.ndarray, vertex_ids: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """(joints (J, 3), vertices (K, 3)) float64 of ``shape`` at rest, canonical frame, root at
    the origin, metres; all vertices when ``vertex_ids`` is None."""
    dev = body.device
    z = torch.zeros(1, 3, device=dev)
    ids = None if vertex_ids is None else torch.as_tensor(np.asarray(vertex_ids, np.int64),
                                                          device=dev)
    out = body(z, torch.zeros(1, body.num_pose_joints, 3, device=dev),
               torch.as_tensor(np.asarray(shape, np.float32)[None], device=dev), z, vertex_ids=ids)
    return out.joints[0].double().cpu().numpy(), out.vertices[0].double().cpu().numpy()


def top_vertex(body: BodyModel, joint: str) -> int:
    """The highest rest vertex (mean shape, smallest canonical y) that ``joint`` mostly moves."""
    _, verts = rest_pose(body, body.mean_shape())
    w = body.skinning_weights().detach().cpu().numpy()
    mine = np.nonzero(w.argmax(1) == body.joint_names.index(joint))[0]
    return int(mine[np.argmin(verts[mine, 1])])


def sole_vertices(body: BodyModel, band: float = 0.012) -> np.ndarray:
    """(K,) int64 vertices on the soles: within ``band`` metres of the lowest rest vertex
    (mean shape), the points that touch the floor when the person stands."""
    _, verts = rest_pose(body, body.mean_shape())
    return np.nonzero(verts[:, 1] > verts[:, 1].max() - band)[0].astype(np.int64)
