"""Synthetic clothed people made from a posed body, for tests and benchmarks.

Each garment is a signed-distance union with the body: the body thickened by a per-vertex
offset (a loose shirt), or joined with a primitive (a skirt's cone, a hair ellipsoid, a
backpack's rounded box), then cut by marching cubes on a fine metric grid. Positions come from
the body's BlazePose landmarks, so the garments follow any pose that stays roughly upright.
"""
from __future__ import annotations

import numpy as np

from .body_sdf import VoxelGrid, main_part_faces, signed_distance, voxelize
from .mesh_ops import extract_isosurface, largest_component, taubin_smooth

#: The clothed cases ``clothed_person`` knows.
GARMENTS = ("shirt", "skirt", "hair", "backpack")


def _mid(lm: np.ndarray, a: int, b: int) -> np.ndarray:
    return 0.5 * (lm[a] + lm[b])


def _body_axes(lm: np.ndarray) -> np.ndarray:
    """(3, 3) rows: the body's left (left shoulder minus right), up (hips to shoulders) and
    back (away from the chest) unit vectors in the camera frame, from the landmarks (33, 3)."""
    up = _mid(lm, 11, 12) - _mid(lm, 23, 24)
    up /= np.linalg.norm(up)
    left = lm[11] - lm[12]
    left -= (left @ up) * up
    left /= np.linalg.norm(left)
    return np.stack([left, up, np.cross(up, left)])


def _garment_field(kind: str, p: np.ndarray, sdf_body: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """(N,) float positive inside the clothed person at points p (N, 3), camera frame metres.
    sdf_body: (N,) body signed distance in metres. lm: (33, 3) body landmarks. Hair and the
    backpack sit in the body's own axes (they turn with it)."""
    hip, sho = _mid(lm, 23, 24), _mid(lm, 11, 12)
    up = sho - hip
    height_up = np.linalg.norm(up)
    up = up / height_up
    axes = _body_axes(lm)
    back = axes[2]
    skin = 0.004 - sdf_body                                            # a thin layer everywhere
    if kind == "shirt":
        # 3.5 cm loose from the hips to the neck, arms included (everything above the hips).
        t = ((p - hip) @ up) / height_up
        offset = 0.004 + 0.031 * np.clip((t + 0.1) / 0.2, 0.0, 1.0) * np.clip((1.1 - t) / 0.2, 0, 1)
        return offset - sdf_body
    if kind == "skirt":
        knee = _mid(lm, 25, 26)
        top = hip + 0.05 * up
        axis = knee - top
        length = np.linalg.norm(axis)
        axis /= length
        s = (p - top) @ axis                                          # along the skirt
        radial = np.linalg.norm((p - top) - s[:, None] * axis, axis=1)
        r = 0.17 + 0.12 * np.clip(s / length, 0.0, 1.0)              # flares to the hem
        cone = np.minimum(r - radial, np.minimum(s, length * 0.95 - s))
        return np.maximum(skin, cone)
    if kind == "hair":
        # Shoulder-length hair: a 3 cm layer over the skull's top, sides and back (not the
        # face), and a curtain 9 cm thick (from the back of the neck) falling behind the head
        # and neck to below the shoulders' back, 24 cm wide.
        ears = _mid(lm, 7, 8)
        q = (p - ears) @ axes.T                                               # left, up, back
        cap = np.minimum(0.03 - sdf_body, np.minimum(q[:, 1] + 0.04, q[:, 2] + 0.01))
        centre = np.array([0.0, -0.08, 0.075])
        half = np.array([0.12, 0.14, 0.045])
        d = np.abs(q - centre) - half + 0.04
        curtain = -(np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(1), 0.0) - 0.04)
        hair = np.maximum(cap, curtain)
        return np.maximum(skin, hair)
    if kind == "backpack":
        # A 30 x 40 x 15 cm pack (left, up, back) on the upper back, its front on the body.
        centre = hip + 0.6 * height_up * up + 0.18 * back
        half = np.array([0.15, 0.20, 0.075])                                # left, up, back
        d = np.abs((p - centre) @ axes.T) - half + 0.03
        box = -(np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(1), 0.0) - 0.03)
        return np.maximum(skin, box)
    raise ValueError(f"unknown garment '{kind}'; choose from {GARMENTS}")


def clothed_person(body_vertices: np.ndarray, body_faces: np.ndarray, landmarks: np.ndarray,
                   kind: str, voxel: float = 0.009) -> tuple[np.ndarray, np.ndarray]:
    """A closed mesh of the posed body wearing ``kind`` (one of GARMENTS).

    body_vertices: (V, 3) float, camera frame, metres (upright, facing the camera).
    body_faces: (F, 3) int. landmarks: (33, 3) BlazePose points on the body, camera frame.
    voxel: grid spacing in metres.
    returns: vertices (N, 3) float32 camera frame metres, faces (M, 3) int64 outward.
    """
    bv = np.asarray(body_vertices, np.float64)
    lo, hi = bv.min(0) - 0.2, bv.max(0) + 0.2
    shape = tuple(int(np.ceil((hi[a] - lo[a]) / voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, voxel, shape)
    sdf = signed_distance(voxelize(bv, main_part_faces(body_faces), grid), voxel,
                          exact_inside=False)
    p = grid.centres().reshape(-1, 3).astype(np.float64)
    field = _garment_field(kind, p, sdf.reshape(-1).astype(np.float64), np.asarray(landmarks))
    v, f = extract_isosurface(field.reshape(shape))
    v, f = largest_component(grid.to_points(v), f)
    return taubin_smooth(v, f, 6).astype(np.float32), f
