"""Synthetic clothed people made from a posed body, for tests and benchmarks.

Each garment is a signed-distance union with the body: the body thickened by an offset (a
loose shirt over the torso and arms; a long-sleeved top whose offset ripples in diagonal folds),
or joined with a primitive (a skirt's cone, a hair cap and curtain, a backpack's rounded box),
then cut by marching cubes on a fine metric grid. Everything else is bare skin (a 4 mm layer
over the body). Positions come from the body's BlazePose landmarks, so the garments follow any
pose that stays roughly upright. ``clothed_person(..., regions=True)`` also says which part of
the truth each vertex is (skin, hair or garment), so test images can be coloured like people.
"""
from __future__ import annotations

import numpy as np

from .body_sdf import VoxelGrid, main_part_faces, refine_near_surface, signed_distance, voxelize
from .mesh_ops import extract_isosurface, largest_component, taubin_smooth
from .parts import body_axes

#: The clothed cases ``clothed_person`` knows.
GARMENTS = ("shirt", "skirt", "hair", "backpack", "folds")
#: Region values of ``clothed_person(..., regions=True)``.
SKIN, HAIR, CLOTH = 0, 1, 2


def _mid(lm: np.ndarray, a: int, b: int) -> np.ndarray:
    return 0.5 * (lm[a] + lm[b])


def _top_weight(p: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """(N,) float in [0, 1]: how much a point lies on a top's torso and arms, from the hips to
    the neck and to the wrists (not the head, not the hands, not the legs)."""
    hip, sho = _mid(lm, 23, 24), _mid(lm, 11, 12)
    up = sho - hip
    height_up = np.linalg.norm(up)
    up = up / height_up
    t = ((p - hip) @ up) / height_up
    w = np.clip((t + 0.1) / 0.2, 0.0, 1.0)
    neck = sho + 0.12 * height_up * up
    w = w * np.clip(((neck - p) @ up) / 0.03 + 0.5, 0.0, 1.0)
    for e, wr in ((13, 15), (14, 16)):                      # beyond the wrists: hands
        d = lm[wr] - lm[e]
        d /= np.linalg.norm(d)
        w = w * np.clip(0.5 - ((p - lm[wr]) @ d + 0.01) / 0.02, 0.0, 1.0)
    return w


def _garment_field(kind: str, p: np.ndarray, sdf_body: np.ndarray, lm: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(field, garment) (N,) float at points p (N, 3), camera frame metres: the clothed person
    (positive inside) and the garment's own term (the field is the larger of it and the 4 mm
    skin layer). sdf_body: (N,) body signed distance in metres. lm: (33, 3) body landmarks.
    Hair and the backpack sit in the body's own axes (they turn with it)."""
    hip, sho = _mid(lm, 23, 24), _mid(lm, 11, 12)
    up = sho - hip
    height_up = np.linalg.norm(up)
    up = up / height_up
    axes = body_axes(lm)
    back = axes[2]
    skin = 0.004 - sdf_body                                            # a thin layer everywhere
    if kind == "shirt":
        # 3.5 cm loose from the hips to the neck, arms included, the head and hands bare.
        garment = 0.035 * _top_weight(p, lm) - sdf_body
        return np.maximum(skin, garment), garment
    if kind == "folds":
        # A long-sleeved top 2 cm off the body whose offset ripples by +-8 mm in diagonal
        # folds (8 cm apart along the body's height, turning with the angle around it).
        q = (p - hip) @ axes.T
        angle = np.arctan2(q[:, 2], q[:, 0])
        ripple = 0.008 * np.sin(2 * np.pi * q[:, 1] / 0.08 + 2.0 * angle)
        garment = (0.02 + ripple) * _top_weight(p, lm) - sdf_body
        return np.maximum(skin, garment), garment
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
        return np.maximum(skin, cone), cone
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
        return np.maximum(skin, hair), hair
    if kind == "backpack":
        # A 30 x 40 x 15 cm pack (left, up, back) on the upper back, its front on the body.
        centre = hip + 0.6 * height_up * up + 0.18 * back
        half = np.array([0.15, 0.20, 0.075])                                # left, up, back
        d = np.abs((p - centre) @ axes.T) - half + 0.03
        box = -(np.linalg.norm(np.maximum(d, 0.0), axis=1) + np.minimum(d.max(1), 0.0) - 0.03)
        return np.maximum(skin, box), box
    raise ValueError(f"unknown garment '{kind}'; choose from {GARMENTS}")


def clothed_person(body_vertices: np.ndarray, body_faces: np.ndarray, landmarks: np.ndarray,
                   kind: str, voxel: float = 0.009, regions: bool = False):
    """A closed mesh of the posed body wearing ``kind`` (one of GARMENTS).

    body_vertices: (V, 3) float, camera frame, metres (upright, facing the camera).
    body_faces: (F, 3) int. landmarks: (33, 3) BlazePose points on the body, camera frame.
    voxel: grid spacing in metres. regions: also return each vertex's region.
    returns: vertices (N, 3) float32 camera frame metres, faces (M, 3) int64 outward (and with
    ``regions``, (N,) int8 SKIN, HAIR or CLOTH per vertex).
    """
    bv = np.asarray(body_vertices, np.float64)
    lo, hi = bv.min(0) - 0.2, bv.max(0) + 0.2
    shape = tuple(int(np.ceil((hi[a] - lo[a]) / voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, voxel, shape)
    main = main_part_faces(body_faces)
    # Sub-voxel distances near the body, so the 4 mm skin layer is as smooth as the body.
    sdf = refine_near_surface(signed_distance(voxelize(bv, main, grid), voxel,
                                              exact_inside=False), grid, bv, main)
    p = grid.centres().reshape(-1, 3).astype(np.float64)
    lm = np.asarray(landmarks, np.float64)
    field, _ = _garment_field(kind, p, sdf.reshape(-1).astype(np.float64), lm)
    v, f = extract_isosurface(field.reshape(shape))
    v, f = largest_component(grid.to_points(v), f)
    v = taubin_smooth(v, f, 6).astype(np.float32)
    if not regions:
        return v, f
    from .body_sdf import trilinear

    d = trilinear(sdf, (v - lo) / voxel, 0.0).astype(np.float64)
    _, garment = _garment_field(kind, v.astype(np.float64), d, lm)
    worn = garment > 0.004 - d - 0.002              # the garment's term reaches the surface
    region = np.where(worn, HAIR if kind == "hair" else CLOTH, SKIN).astype(np.int8)
    return v, f, region


#: Colours of the synthetic people: skin, hair, and each case's garment (two for stripes).
SKIN_RGB, HAIR_RGB = (214, 160, 130), (55, 38, 28)
GARMENT_RGB = {"shirt": ((200, 90, 60), (70, 110, 190)), "skirt": ((150, 40, 70),) * 2,
               "hair": ((55, 38, 28),) * 2, "backpack": ((60, 100, 60),) * 2,
               "folds": ((90, 130, 200),) * 2}
#: A landmark counts as seen when it lies at most this far (metres) behind the person's front
#: at its pixel: joints sit inside the body, a nose seen from behind lies ~20 cm deeper.
SEEN_DEPTH = 0.14
#: Direction towards the key light of ``photographed``, camera frame (upper left, in front).
LIGHT = np.array([-0.35, -0.55, -0.75])


def person_colors(vertices: np.ndarray, region: np.ndarray, kind: str) -> np.ndarray:
    """(V, 3) uint8 colours of a synthetic person: skin, hair, and the garment's colour (the
    shirt in 8 cm stripes, a print). vertices: (V, 3) camera frame metres; region: (V,) int8
    SKIN, HAIR or CLOTH (clothed_person(..., regions=True))."""
    a, b = GARMENT_RGB.get(kind, ((200, 90, 60), (70, 110, 190)))
    stripe = (np.floor(np.asarray(vertices)[:, 1] / 0.08) % 2)[:, None] == 0
    cloth = np.where(stripe, [a], [b])
    out = np.where((region == CLOTH)[:, None], cloth, [SKIN_RGB])
    out = np.where((region == HAIR)[:, None], [HAIR_RGB], out)
    return out.astype(np.uint8)


def photographed(vertices: np.ndarray, faces: np.ndarray, region: np.ndarray, kind: str,
                 landmarks: np.ndarray, camera):
    """A picture of a synthetic person and what a detector would have seen of it.

    vertices, faces, region: the clothed person (clothed_person(..., regions=True)), camera
    frame metres. landmarks: (33, 3) BlazePose points on the body, camera frame. camera: a
    core.types.Camera. Lit by a key light from the upper left front (LIGHT) plus ambient, black
    background. The keypoints are the landmarks projected, confidence 1 where the person does
    not hide them (SEEN_DEPTH) and 0.2 where it does; the 3D landmarks are the true ones, hip-centred.
    returns: (image (H, W, 3) uint8 RGB, core.types.Observation with the exact mask).
    """
    from core.render.raster import rasterize, render_mask
    from core.types import Observation

    from .preview import render_colored

    img = render_colored(vertices, faces, person_colors(vertices, region, kind), camera,
                         background=(0, 0, 0), ambient=0.35, light=LIGHT)
    mask = render_mask(vertices, faces, camera).astype(np.float32)
    lm = np.asarray(landmarks, np.float64)
    uv = camera.project(lm)
    depth = rasterize(vertices, faces, camera).depth
    x = np.clip(np.rint(uv[:, 0]).astype(int), 0, camera.width - 1)
    y = np.clip(np.rint(uv[:, 1]).astype(int), 0, camera.height - 1)
    seen = lm[:, 2] <= depth[y, x] + SEEN_DEPTH
    kp = np.concatenate([uv, np.where(seen, 1.0, 0.2)[:, None]], 1).astype(np.float32)
    hip = 0.5 * (lm[23] + lm[24])
    ys, xs = np.nonzero(mask)
    obs = Observation(0, camera.width, camera.height, True, kp, (lm - hip).astype(np.float32),
                      mask, np.array([xs.min(), ys.min(), xs.max(), ys.max()], np.float32))
    return img, obs
