"""Body parts of the fitted body's vertices from its skinning weights (joint names of Anny
and of the SMPL family), and of any point near the body (a clothed surface's vertices, the
texels of a UV layout) from the nearest body vertex.

Also the body's own axes (left, up, back) in the camera frame, and the rasterized part map
that tells which pixels of an image show which part.
"""
from __future__ import annotations

import numpy as np

from core.render.raster import rasterize
from core.types import Camera

#: Part names; a part's index is its position here.
PARTS = ("head", "torso", "upper_arm_l", "upper_arm_r", "forearm_l", "forearm_r", "hand_l",
         "hand_r", "thigh_l", "thigh_r", "shin_l", "shin_r", "foot_l", "foot_r")
HEAD, TORSO = 0, 1
ARMS = (2, 3, 4, 5)
HANDS = (6, 7)
LEGS = (8, 9, 10, 11)
FEET = (12, 13)

# BlazePose indices.
_SH_L, _SH_R, _HIP_L, _HIP_R = 11, 12, 23, 24

#: Joint-name rules (first match wins) for Anny's and the SMPL family's joints: (part name
#: without side, name fragments). Sides come from ".L"/".R" (Anny) or "left_"/"right_" (SMPL).
_RULES = (
    ("hand", ("wrist", "finger", "metacarpal", "hand", "thumb", "index", "middle", "ring",
              "pinky")),
    ("forearm", ("lowerarm", "elbow")),
    ("upper_arm", ("upperarm", "left_shoulder", "right_shoulder")),
    ("foot", ("foot", "toe", "ankle")),
    ("shin", ("lowerleg", "knee")),
    ("thigh", ("upperleg", "left_hip", "right_hip")),
    ("head", ("neck", "head", "eye", "jaw")),
)


def body_axes(landmarks: np.ndarray) -> np.ndarray:
    """(3, 3) float64 rows: the body's left (subject's left shoulder minus right), up (hips to
    shoulders) and back (away from the chest) unit vectors, camera frame. landmarks: (33, 3)
    BlazePose points on the body, camera frame, metres."""
    lm = np.asarray(landmarks, np.float64)
    up = 0.5 * (lm[_SH_L] + lm[_SH_R]) - 0.5 * (lm[_HIP_L] + lm[_HIP_R])
    up /= max(np.linalg.norm(up), 1e-9)
    left = (lm[_SH_L] - lm[_SH_R]) + (lm[_HIP_L] - lm[_HIP_R])
    left -= (left @ up) * up
    left /= max(np.linalg.norm(left), 1e-9)
    return np.stack([left, up, np.cross(up, left)])


def joint_part(name: str) -> int:
    """Index into PARTS of the body part a joint of ``name`` moves (torso when unknown)."""
    n = name.lower()
    side = "l" if (n.endswith(".l") or n.startswith("left_")) else (
        "r" if (n.endswith(".r") or n.startswith("right_")) else "")
    for part, keys in _RULES:
        if any(k in n for k in keys):
            if part == "head":
                return HEAD
            return PARTS.index(f"{part}_{side or 'l'}")
    return TORSO


_CACHE: dict[int, tuple[object, np.ndarray]] = {}


def vertex_parts(body) -> np.ndarray:
    """(V,) int8 part of each vertex of a core.body.BodyModel: the part whose joints carry most
    of the vertex's skinning weight. Cached per model."""
    hit = _CACHE.get(id(body))
    if hit is not None and hit[0] is body:
        return hit[1]
    w = body.skinning_weights().detach().cpu().numpy()            # (V, J)
    jp = np.array([joint_part(n) for n in body.joint_names], np.int64)
    per_part = np.zeros((w.shape[0], len(PARTS)))
    for k in range(len(PARTS)):
        if (jp == k).any():
            per_part[:, k] = w[:, jp == k].sum(1)
    out = per_part.argmax(1).astype(np.int8)
    _CACHE[id(body)] = (body, out)
    return out


def point_parts(points: np.ndarray, body_vertices: np.ndarray,
                body_parts: np.ndarray) -> np.ndarray:
    """(N,) int8 part of camera-frame points (N, 3): that of the nearest body vertex.

    body_vertices: (V, 3) the posed body, same frame, metres. body_parts: (V,) int8."""
    from scipy.spatial import cKDTree

    _, idx = cKDTree(np.asarray(body_vertices, np.float64)).query(
        np.asarray(points, np.float64).reshape(-1, 3))
    return np.asarray(body_parts, np.int8)[idx]


def part_map(vertices: np.ndarray, faces: np.ndarray, vertex_parts: np.ndarray,
             camera: Camera) -> np.ndarray:
    """(H, W) int8 part of the body seen at each pixel of ``camera`` (-1 where no body).

    vertices: (V, 3) camera frame metres. faces: (F, 3). vertex_parts: (V,) int8."""
    r = rasterize(vertices, faces, camera)
    face_part = np.asarray(vertex_parts, np.int8)[np.asarray(faces)[:, 0]]
    out = np.full(r.face.shape, -1, np.int8)
    hit = r.face >= 0
    out[hit] = face_part[r.face[hit]]
    return out
