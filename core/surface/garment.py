"""The garment layer: where the person is clothed, the surface follows cloth, not anatomy.

Both surface modes build around a *clothed-body prior* instead of the naked fitted body. It is a
signed distance on a voxel grid in the body's own axes (left, up, front), made from the fitted
body and the skin / hair / garment labels (core/surface/labels.py):

1. Every body vertex gets a clothed weight: 1 where the image shows a garment over it (seen, or
   behind a seen pixel of the same part), 0 where it shows skin; the head is always bare (the
   face keeps its detail; hair is added separately). A splat of these weights blurred at
   ``GarmentConfig.zone_blur`` is the clothed zone of the volume.
2. In the clothed zone the body is low-passed at the scale of fabric: every horizontal slice of
   the clothed torso is replaced by its convex hull (cleavage, spine groove, navel and the
   buttock crease are spanned), a closing of radius ``fabric_radius`` bridges every concavity
   narrower than twice it, a vertical closing over ``drape_length`` lets the cloth hang from
   the chest to the waist, clothed feet become their convex hulls (shoes, no toes), and the
   signed distance is blurred (ribs, nipples, muscles). Where the labels show one garment
   region filling the mask between the legs (a skirt or a dress) the legs' slices are joined
   by their hull down to the hem; where the garment rises beside the neck (a hood or a
   collar) a hood lies behind the neck; where hair surrounds the head the scalp is thickened.
3. The prior's signed distance blends the low-passed one (clothed zone) with the exact body
   (bare zone). Its marching-cubes mesh, with the body's own bare-skin triangles added so the
   face and hands keep their detail, is what the modes rasterize; its distance is what they
   carve by. Between arm and torso and between the legs nothing is bridged here beyond the
   closing: the modes fill those gaps only where the person mask joins them.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import binary_closing, distance_transform_edt, gaussian_filter

from core.types import Camera

from .body_sdf import (VoxelGrid, main_part_faces, refine_near_surface, signed_distance,
                       trilinear, voxelize)
from .config import GarmentConfig
from .labels import GARMENT, HAIR, SKIN, PersonLabels
from .mesh_ops import extract_isosurface
from .parts import FEET, HEAD, LEGS, TORSO, body_axes

#: A distance standing for "far from everything" in the hull distances (metres).
FAR = 1.0
# BlazePose indices used here.
_SH_L, _SH_R, _HIP_L, _HIP_R, _EAR_L, _EAR_R, _EYE_L, _EYE_R = 11, 12, 23, 24, 7, 8, 2, 5


@dataclass
class GarmentCues:
    """What the labels say about the garments' shape beyond the body.

    hood_width: metres across the garment beside the neck where it rises there (a hood or
        collar), else 0. skirt_down: metres below the hips (along the body's up axis) that one
        garment region fills between the legs (a skirt, a dress), else 0. shoes: (2,) bool per
        foot (left, right), clothed. hair: True when hair surrounds the head.
    """

    hood_width: float = 0.0
    skirt_down: float = 0.0
    shoes: tuple[bool, bool] = (True, True)
    hair: bool = False


@dataclass
class GarmentBody:
    """The clothed-body prior the surface modes build around.

    vertices, faces: (N, 3) float64 camera frame metres / (M, 3) int64: the prior's mesh plus
        the fitted body's bare-skin triangles (for rasterizing front, back and silhouette).
    origin: (3,) camera-frame origin of the body frame; axes: (3, 3) rows left, up, front.
    grid: VoxelGrid in body-frame coordinates. sdf: (nx, ny, nz) float32 metres, negative
        inside: the blended prior. zone: (nx, ny, nz) float32 clothed weight in [0, 1].
    smooth: (nx, ny, nz) float32 metres, the low-passed clothed signed distance alone.
    cues: the GarmentCues used.
    """

    vertices: np.ndarray
    faces: np.ndarray
    origin: np.ndarray
    axes: np.ndarray
    grid: VoxelGrid
    sdf: np.ndarray
    zone: np.ndarray
    smooth: np.ndarray
    cues: GarmentCues

    hair: np.ndarray | None = None
    #: How far (metres) the prior may stand off the body anywhere (hood, skirt, hair, closing).
    reach: float = 0.15

    def _ijk(self, points: np.ndarray) -> np.ndarray:
        q = (np.asarray(points, np.float64).reshape(-1, 3) - self.origin) @ self.axes.T
        return (q - self.grid.origin) / self.grid.voxel

    def distance(self, points: np.ndarray, exact: np.ndarray | None = None,
                 far: float = 0.5) -> np.ndarray:
        """(N,) float32 signed distance in metres of camera-frame points (N, 3) to the prior
        (trilinear; ``far`` outside the grid). exact: (N,) the caller's own exact body distance
        at the points (finer than this grid): used in the bare zone instead of the grid's, and
        as it is where the body is farther than ``reach`` (the prior cannot differ there)."""
        p = np.asarray(points, np.float64).reshape(-1, 3)
        if exact is None:
            return trilinear(self.sdf, self._ijk(p), far)
        ex = np.asarray(exact, np.float32).copy()
        near = ex < self.reach
        ijk = self._ijk(p[near])
        z = trilinear(self.zone, ijk, 0.0)
        s = trilinear(self.smooth, ijk, far)
        blend = z * s + (1.0 - z) * ex[near]
        if self.hair is not None:
            blend = np.minimum(blend, ex[near] - trilinear(self.hair, ijk, 0.0))
        ex[near] = blend
        return ex


# ---- per-vertex clothed weight ----------------------------------------------------------------
def clothed_weights(vertices: np.ndarray, faces: np.ndarray, parts: np.ndarray,
                    labels: PersonLabels, part_image: np.ndarray, camera: Camera,
                    to_full) -> np.ndarray:
    """(V,) float32 in [0, 1]: how clothed each body vertex is, from the labels.

    vertices: (V, 3) camera frame metres; faces (F, 3); parts: (V,) int8. part_image: (h, w)
    int8 body part seen at each pixel of ``camera`` (the working view). to_full: maps (N, 2)
    view pixels to full-frame pixels (WorkingView.to_full).
    """
    from core.texture.vertex_colors import vertex_normals
    from core.texture.visibility import depth_buffer, visible_points

    v = np.asarray(vertices, np.float64)
    uv = camera.project(v)
    lab = labels.at_pixels(to_full(uv))
    h, w = part_image.shape
    x = np.clip(np.rint(uv[:, 0]).astype(np.int64), 0, w - 1)
    y = np.clip(np.rint(uv[:, 1]).astype(np.int64), 0, h - 1)
    pix_part = part_image[y, x]
    depth, scale = depth_buffer(v, faces, camera)
    seen = visible_points(v, vertex_normals(v, faces), depth, scale, camera)
    clothed = np.where(lab >= GARMENT, 1.0, 0.0)
    clothed = np.where(lab == HAIR, 1.0, clothed)
    # Trusted: seen, or behind a pixel of the same part (the back of a sleeve), on the person.
    trusted = (lab != 0) & (seen | (pix_part == parts))
    out = np.zeros(len(v))
    for p in np.unique(parts):
        sel = parts == p
        t = sel & trusted
        majority = float(clothed[t].mean()) if t.any() else 1.0
        out[sel] = np.where(trusted[sel], clothed[sel], round(majority))
    out[parts == HEAD] = 0.0
    # A few rounds of neighbour averaging soften the sleeve and hem edges.
    from .mesh_ops import neighbour_mean_matrix

    A = neighbour_mean_matrix(faces, len(v))
    for _ in range(3):
        out = 0.5 * out + 0.5 * (A @ out)
    out[parts == HEAD] = 0.0
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# ---- cues from the labels ---------------------------------------------------------------------
def garment_cues(labels: PersonLabels, part_image: np.ndarray, camera: Camera,
                 body_vertices: np.ndarray, vertex_parts: np.ndarray,
                 landmarks: np.ndarray) -> GarmentCues:
    """Hood, skirt, shoes and hair from the labels (see GarmentCues).

    labels: computed on the working view (its grid is the view's, possibly shrunk).
    part_image: (h, w) int8 body parts seen in the working view. camera: the working view's
    intrinsics.
    body_vertices: (V, 3) camera frame metres; vertex_parts: (V,) int8; landmarks: (33, 3)
    BlazePose points on the body, camera frame.
    """
    lab_img = labels.labels
    lh, lw = lab_img.shape
    vh, vw = part_image.shape
    k = lw / vw                                          # view px -> label px
    parts_l = cv2.resize(part_image.astype(np.int16), (lw, lh), interpolation=cv2.INTER_NEAREST)
    garment = lab_img >= GARMENT
    person = lab_img > 0
    cues = GarmentCues()
    bv = np.asarray(body_vertices, np.float64)
    z = float(np.median(bv[:, 2]))
    m_per_px = z / camera.fx / k                         # metres per label pixel
    # Shoes: a foot whose seen pixels are mostly garment (or not seen at all) is shod.
    shoes = []
    for foot in FEET:
        sel = parts_l == foot
        n = int(sel.sum())
        shoes.append(True if n < 4 else bool((lab_img[sel] == SKIN).mean() < 0.5))
    cues.shoes = (shoes[0], shoes[1])
    # Hair around the head.
    head = parts_l == HEAD
    n_hair = int((lab_img == HAIR).sum())
    cues.hair = n_hair > 0.15 * max(int(head.sum()), 1)
    # Shoulders and hips from the fitted body (seen or not, they are where the parts are).
    lm_px = camera.project(np.asarray(landmarks, np.float64)) * k
    sh = lm_px[[_SH_L, _SH_R]].mean(0)
    hip = lm_px[[_HIP_L, _HIP_R]].mean(0)
    # Hood or collar: garment beside the neck, above the shoulders' line.
    ys, xs = np.nonzero(head)
    if len(ys):
        chin_y = float(ys.max())
        neck_x = float(np.median(xs[ys > chin_y - 0.15 * (chin_y - ys.min())]))
        head_w = float(np.ptp(xs)) + 1
        top = int(chin_y)
        bottom = int(chin_y + 0.5 * max(sh[1] - chin_y, 2))
        band = slice(max(top, 0), max(min(bottom, lh), 0))
        sides = []
        for sgn in (-1, 1):
            x0 = int(neck_x + sgn * 0.3 * head_w)
            x1 = int(neck_x + sgn * 0.85 * head_w)
            xa, xb = sorted((x0, x1))
            xa, xb = max(xa, 0), min(xb, lw)
            if xb > xa and band.stop > band.start:
                sides.append(float(garment[band, xa:xb].mean()))
            else:
                sides.append(0.0)
        if min(sides) > 0.3:
            row = garment[min(bottom, lh - 1)]
            xs_g = np.nonzero(row)[0]
            near = xs_g[np.abs(xs_g - neck_x) < 1.2 * head_w]
            width = (float(np.ptp(near)) + 1) if len(near) else head_w
            cues.hood_width = float(np.clip(min(width, 1.8 * head_w) * m_per_px, 0.18, 0.3))
    # Skirt or dress: one garment region fills the mask between the fitted legs.
    legs_l = np.isin(parts_l, (LEGS[0], LEGS[2]))
    legs_r = np.isin(parts_l, (LEGS[1], LEGS[3]))
    filled_rows = []
    for y in range(int(max(hip[1], 0)), lh):
        a, b = np.nonzero(legs_l[y])[0], np.nonzero(legs_r[y])[0]
        if len(a) == 0 or len(b) == 0:
            continue
        lo, hi = (b.max(), a.min()) if b.mean() < a.mean() else (a.max(), b.min())
        if hi - lo < 4:
            continue
        gap = slice(lo + 1, hi)
        if (garment[y, gap] & person[y, gap]).mean() > 0.85:
            filled_rows.append(y)
        elif filled_rows:
            break
    if len(filled_rows) > 0:
        hem_row = max(filled_rows)
        leg_v = np.isin(vertex_parts, LEGS)
        uv = camera.project(bv[leg_v]) * k
        near = np.abs(uv[:, 1] - hem_row) < 2.0
        if near.any():
            axes = body_axes(landmarks)
            hip3 = 0.5 * (landmarks[_HIP_L] + landmarks[_HIP_R])
            down = -((bv[leg_v][near] - hip3) @ axes[1])
            # Trousers fill the crotch too: only a fill well past it (30 % of the leg) is a
            # skirt or a dress.
            leg = np.linalg.norm(landmarks[27] - landmarks[_HIP_L])
            cues.skirt_down = float(np.median(down)) if np.median(down) > 0.3 * leg else 0.0
    return cues


# ---- the prior ----------------------------------------------------------------------------------
def _frame(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(origin (3,), axes (3, 3) rows left, up, front: right-handed) of the body frame."""
    lm = np.asarray(landmarks, np.float64)
    left, up, _ = body_axes(lm)
    origin = 0.5 * (lm[_HIP_L] + lm[_HIP_R])
    return origin, np.stack([left, up, np.cross(left, up)])


def _splat(grid: VoxelGrid, q: np.ndarray, values: np.ndarray, sigma: float) -> np.ndarray:
    """(nx, ny, nz) float32 Gaussian-weighted average of ``values`` (V,) at body-frame points
    q (V, 3), ``sigma`` voxels; voxels far from every point take the nearest average."""
    ijk = np.rint((q - grid.origin) / grid.voxel).astype(np.int64)
    ijk = np.clip(ijk, 0, np.array(grid.shape) - 1)
    flat = np.ravel_multi_index(ijk.T, grid.shape)
    n = int(np.prod(grid.shape))
    w = np.bincount(flat, minlength=n).astype(np.float32).reshape(grid.shape)
    c = np.bincount(flat, weights=values, minlength=n).astype(np.float32).reshape(grid.shape)
    # A narrow average near the points, blended into a wide one farther out (on a grid four
    # times coarser, four times the sigma: cheap, and far from the body its blockiness does not
    # matter since the blended distances agree there).
    wn, cn = gaussian_filter(w, sigma, mode="constant"), gaussian_filter(c, sigma, mode="constant")
    ww, cw = _coarse_blur(w, sigma), _coarse_blur(c, sigma)
    fallback = float(np.sum(c) / max(np.sum(w), 1e-12))
    eps = 1e-4
    out = (cn + eps * cw + 1e-9 * fallback) / (wn + eps * ww + 1e-9)
    return out.astype(np.float32)


def _coarse_blur(a: np.ndarray, sigma: float, k: int = 4) -> np.ndarray:
    """(same shape) a Gaussian blur of ``a`` of 4 x ``sigma`` voxels, computed on blocks of k^3
    voxels (block sums, blurred, spread back)."""
    pad = [(0, (-n) % k) for n in a.shape]
    b = np.pad(a, pad)
    s = b.reshape(b.shape[0] // k, k, b.shape[1] // k, k, b.shape[2] // k, k).sum((1, 3, 5))
    s = gaussian_filter(s, max(sigma, 1.0), mode="constant") / k ** 3
    up = s.repeat(k, 0).repeat(k, 1).repeat(k, 2)
    return up[:a.shape[0], :a.shape[1], :a.shape[2]]


def _slice_hull(solid: np.ndarray, grid: VoxelGrid, q: np.ndarray,
                span: tuple[float, float], axis: int = 1) -> None:
    """Fill into ``solid`` (in place) the convex hull of the points q (N, 3) (body frame) within
    each slice across grid ``axis`` whose coordinate lies in ``span`` (metres): axis 1 gives
    horizontal cross-sections, axis 0 sagittal ones (profiles seen from the side)."""
    if len(q) < 3:
        return
    ij = (q - grid.origin) / grid.voxel
    lo = max(int(np.floor((span[0] - grid.origin[axis]) / grid.voxel)), 0)
    hi = min(int(np.ceil((span[1] - grid.origin[axis]) / grid.voxel)), grid.shape[axis] - 1)
    rows, cols = [x for x in range(3) if x != axis]
    order = np.argsort(ij[:, axis])
    keys = ij[order, axis]
    for j in range(lo, hi + 1):
        a, b = np.searchsorted(keys, [j - 1.0, j + 1.0])
        if b - a < 3:
            continue
        pts = np.rint(ij[order[a:b]][:, [cols, rows]]).astype(np.int32)    # (x, y) = (col, row)
        hull = cv2.convexHull(pts)
        index = [slice(None)] * 3
        index[axis] = j
        img = np.ascontiguousarray(solid[tuple(index)]).astype(np.uint8)    # (rows, cols)
        cv2.fillConvexPoly(img, hull[:, 0].copy(), 1)
        solid[tuple(index)] |= img.astype(bool)


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, E) distances of 2D points p (N, 2) to the segments a[e] - b[e] (E, 2)."""
    ab = b - a
    t = ((p[:, None, :] - a[None]) * ab[None]).sum(2) / np.maximum((ab * ab).sum(1), 1e-12)
    t = np.clip(t, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(p[:, None, :] - closest, axis=2)


def _slice_hull_distance(grid: VoxelGrid, q: np.ndarray, span: tuple[float, float],
                         axis: int, reach: float) -> np.ndarray:
    """(nx, ny, nz) float32 signed distance (metres, negative inside) of each voxel to the
    convex hull of the points q (N, 3) in its slice across ``axis`` (the exact distance to the
    hull polygon within the slice, so a fill thinner than a voxel still counts), within
    ``reach`` of the hull's box; FAR elsewhere (it only ever lowers a distance by a min)."""
    out = np.full(grid.shape, FAR, np.float32)
    if len(q) < 3:
        return out
    rows, cols = [x for x in range(3) if x != axis]
    lo = max(int(np.floor((span[0] - grid.origin[axis]) / grid.voxel)), 0)
    hi = min(int(np.ceil((span[1] - grid.origin[axis]) / grid.voxel)), grid.shape[axis] - 1)
    coord = (q[:, axis] - grid.origin[axis]) / grid.voxel
    order = np.argsort(coord)
    keys = coord[order]
    rr, cc = np.meshgrid(grid.origin[rows] + grid.voxel * np.arange(grid.shape[rows]),
                         grid.origin[cols] + grid.voxel * np.arange(grid.shape[cols]),
                         indexing="ij")
    for j in range(lo, hi + 1):
        a, b = np.searchsorted(keys, [j - 1.0, j + 1.0])
        if b - a < 3:
            continue
        pts = q[order[a:b]][:, [rows, cols]]
        hull = cv2.convexHull(pts.astype(np.float32))[:, 0].astype(np.float64)   # (E, 2)
        if len(hull) < 3:
            continue
        box_lo, box_hi = hull.min(0) - reach, hull.max(0) + reach
        near = ((rr >= box_lo[0]) & (rr <= box_hi[0]) & (cc >= box_lo[1]) & (cc <= box_hi[1]))
        p = np.stack([rr[near], cc[near]], 1)
        d = _segment_distance(p, hull, np.roll(hull, -1, axis=0)).min(1)
        index = [slice(None)] * 3
        index[axis] = j
        sl = out[tuple(index)]
        sl[near] = np.where(_inside_convex(p, hull), -d, d)
        out[tuple(index)] = sl
    return out


def _inside_convex(p: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """(N,) bool: 2D points p (N, 2) inside the convex polygon ``hull`` (E, 2), either winding."""
    e = np.roll(hull, -1, axis=0) - hull
    cross = e[None, :, 0] * (p[:, None, 1] - hull[None, :, 1]) - e[None, :, 1] * (
        p[:, None, 0] - hull[None, :, 0])
    return (cross >= 0).all(1) | (cross <= 0).all(1)


def _inside_hull(grid: VoxelGrid, q: np.ndarray) -> np.ndarray:
    """(nx, ny, nz) bool voxels inside the 3D convex hull of body-frame points q (N, 3)."""
    from scipy.spatial import ConvexHull, QhullError

    out = np.zeros(grid.shape, bool)
    try:
        hull = ConvexHull(q)
    except (QhullError, ValueError):
        return out
    lo = np.clip(np.floor((q.min(0) - grid.origin) / grid.voxel).astype(int), 0, None)
    hi = np.minimum(np.ceil((q.max(0) - grid.origin) / grid.voxel).astype(int) + 1, grid.shape)
    sub = VoxelGrid(grid.origin + lo * grid.voxel, grid.voxel, tuple(int(x) for x in hi - lo))
    c = sub.centres().reshape(-1, 3).astype(np.float64)
    eq = hull.equations
    inside = (c @ eq[:, :3].T + eq[:, 3] <= 0.0).all(1).reshape(sub.shape)
    out[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = inside
    return out


def _ellipsoid(grid: VoxelGrid, centre: np.ndarray, semi: np.ndarray) -> np.ndarray:
    """(nx, ny, nz) bool voxels inside an axis-aligned ellipsoid (body frame)."""
    axes = [grid.origin[a] + grid.voxel * np.arange(n) for a, n in enumerate(grid.shape)]
    d = [((ax - centre[a]) / semi[a]) ** 2 for a, ax in enumerate(axes)]
    return (d[0][:, None, None] + d[1][None, :, None] + d[2][None, None, :]) <= 1.0


def garment_body(body_vertices: np.ndarray, body_faces: np.ndarray, vertex_parts: np.ndarray,
                 clothed: np.ndarray, landmarks: np.ndarray, cues: GarmentCues,
                 config: GarmentConfig) -> GarmentBody:
    """The clothed-body prior (see the module docstring).

    body_vertices: (V, 3) float camera frame metres; body_faces: (F, 3) closed. vertex_parts:
    (V,) int8 (core.surface.parts). clothed: (V,) float32 clothed weights (clothed_weights).
    landmarks: (33, 3) BlazePose points on the body, camera frame, metres.
    """
    g = config
    v = np.asarray(body_vertices, np.float64)
    faces = np.asarray(body_faces, np.int64)
    main = main_part_faces(faces)
    origin, axes = _frame(landmarks)
    q = (v - origin) @ axes.T
    pad = max(g.fabric_radius, 0.02) + 0.06 + (0.08 if cues.hood_width else 0.0)
    lo = q.min(0) - pad
    shape = tuple(int(np.ceil((q.max(0)[a] + pad - lo[a]) / g.voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, g.voxel, shape)
    inside = voxelize(q, main, grid)
    # The body's own distance, sub-voxel accurate near its surface (tangent planes), so the
    # prior's level sets do not show the voxel staircase where they follow the body.
    sdf0 = refine_near_surface(signed_distance(inside, g.voxel, exact_inside=False), grid, q,
                               main)
    c = np.asarray(clothed, np.float64)
    zone = _splat(grid, q, c, g.zone_blur / g.voxel)
    solid = inside.copy()
    parts = np.asarray(vertex_parts)
    dressed = c > 0.5
    torso = dressed & (parts == TORSO)
    hull_distance, hull_solid = None, np.zeros(grid.shape, bool)
    if g.torso_hull and torso.sum() > 10:
        # Cloth spans the hollows of the torso's cross-sections (cleavage, spine, buttock
        # crease) and of its profiles seen from the side (hanging from the chest over the
        # under-bust and the navel).
        qt = q[torso]
        spans = [(qt[:, 1].min(), qt[:, 1].max()), (qt[:, 0].min(), qt[:, 0].max())]
        for axis, span in zip((1, 0), spans):
            d = _slice_hull_distance(grid, qt, span, axis, 3 * g.voxel)
            hull_distance = d if hull_distance is None else np.minimum(hull_distance, d)
        hull_solid = hull_distance < 0
        solid |= hull_solid
    if cues.skirt_down > 0:
        legs = np.isin(parts, LEGS) | (parts == TORSO)
        ql = q[legs & (q[:, 1] > -cues.skirt_down) & (q[:, 1] < 0.05)]
        _slice_hull(solid, grid, ql, (-cues.skirt_down, 0.0), axis=1)
    if g.shoes:
        for foot, shod in zip(FEET, cues.shoes):
            sel = parts == foot
            if shod and sel.sum() > 10:
                solid |= _inside_hull(grid, q[sel])
    if g.hood and cues.hood_width > 0:
        sh = 0.5 * (landmarks[_SH_L] + landmarks[_SH_R])
        q_sh = (sh - origin) @ axes.T
        near_neck = (parts == TORSO) & (np.abs(q[:, 1] - q_sh[1]) < 0.06)
        back = float(q[near_neck, 2].min()) if near_neck.any() else float(q_sh[2] - 0.08)
        # A hood lying on the upper back below the neck: as wide as the garment beside the
        # neck, 34 cm tall, standing about 4.5 cm off the back.
        centre = np.array([q_sh[0], q_sh[1] - 0.1, back - 0.03])
        semi = np.array([0.5 * cues.hood_width, 0.17, 0.075])
        solid |= _ellipsoid(grid, centre, semi)
    # Fabric-scale closing in the clothed zone, then the vertical drape.
    clothed_zone = zone > 0.5
    if g.fabric_radius > 0:
        r = g.fabric_radius / g.voxel
        dil = distance_transform_edt(~solid) <= r
        closed = distance_transform_edt(dil) > r
        solid |= closed & clothed_zone
    if g.drape_length > 0:
        L = max(1, int(round(g.drape_length / g.voxel)))
        pad_j = L + 1
        padded = np.pad(solid, ((0, 0), (pad_j, pad_j), (0, 0)))
        draped = binary_closing(padded, structure=np.ones((1, L, 1), bool))[:, pad_j:-pad_j]
        solid |= draped & clothed_zone
    smooth = signed_distance(solid, g.voxel)
    # Where the body and the hulls are all there is, their own sub-voxel distances are kept
    # (no voxel terraces); near what the binary fills added (closing, drape, shoes, hood,
    # skirt) the solid's, faded over a voxel or two.
    exact = sdf0 if hull_distance is None else np.minimum(sdf0, hull_distance)
    added = gaussian_filter((solid & ~(inside | hull_solid)).astype(np.float32), 1.0,
                            mode="constant")
    near_fill = np.clip(4.0 * added, 0.0, 1.0)
    smooth = near_fill * smooth + (1.0 - near_fill) * exact
    if g.blur > 0:
        smooth = gaussian_filter(smooth, g.blur / g.voxel, mode="nearest")
    hair_shift = None
    if cues.hair and g.hair_thickness > 0:
        lm = np.asarray(landmarks, np.float64)
        qe = (0.5 * (lm[_EAR_L] + lm[_EAR_R]) - origin) @ axes.T
        qy = (0.5 * (lm[_EYE_L] + lm[_EYE_R]) - origin) @ axes.T
        scalp = (parts == HEAD) & ((q[:, 2] < qe[2] + 0.01) | (q[:, 1] > qy[1] + 0.03))
        hz = _splat(grid, q, scalp.astype(np.float64), 0.02 / g.voxel)
        hair_shift = (g.hair_thickness * np.clip(2.0 * hz - 0.5, 0.0, 1.0)).astype(np.float32)
    sdf = zone * smooth + (1.0 - zone) * sdf0
    if hair_shift is not None:
        sdf = np.minimum(sdf, sdf0 - hair_shift)
    sdf = sdf.astype(np.float32)
    mv, mf = extract_isosurface(-sdf)
    prior_v = grid.to_points(mv) @ axes + origin
    # The body's bare-skin triangles (face, hands, bare limbs) keep the body's own detail.
    # (Under hair the scalp's triangles lie inside the prior, so they never show; the eyes
    # are kept, so the face has no empty sockets.)
    bf = faces[(np.asarray(clothed)[faces] < 0.3).all(1)]
    verts = np.concatenate([prior_v, v])
    tris = np.concatenate([mf, bf + len(prior_v)])
    # The farthest the prior stands off the body (beyond it the body's distance is exact).
    reach = float(sdf0[solid].max(initial=0.0)) + 2.0 * g.blur + g.voxel
    return GarmentBody(verts, tris, origin, axes, grid, sdf, zone.astype(np.float32),
                       smooth.astype(np.float32), cues, hair_shift, max(reach, 0.1))

