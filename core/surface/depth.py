"""Depth mode (2K2K lineage): the body's front and back depth maps, extended smoothly to the
whole person mask, fused into one closed mesh on a pixel-aligned grid.

"The body" is the clothed-body prior of the garment layer (core/surface/garment.py) when it is
on, else the naked fitted body.

How:
1. A pixel-aligned grid covers the person mask: ``DepthConfig.cells`` cells along the person
   box's longer side, whatever the photo's size. The body is rasterized into it: front depth
   F_b and back depth B_b where the body is seen.
2. The surface between front and back is described by its mid-depth m = (F + B) / 2 and its
   half-thickness h = (B - F) / 2. Where the body is seen well inside its own outline (and inside
   the mask) both are known from the body: its front minus a clothing offset, its back plus the
   offset, and both pushed out by the silhouette extension (core/surface/extension.py: how far
   the mask runs past the body's outline nearby), fully behind (``back_reach``: the camera does
   not see the back, so hair, a loose shirt or a skirt stand off there as far as they do at the
   sides) and in front by ``front_reach`` (``front_reach_garment`` where the labels show a
   garment). Elsewhere in the mask they are harmonic: m with a free (Neumann) edge, h^2 with
   h = 0 just outside the mask, so front and back meet at the silhouette with a rounded profile.
3. A field on the grid times ``nz`` depth slices of about one cell's metric size, positive
   inside, is cut at 0 by marching cubes. On every ray that meets the band (core/surface/
   band.py) it is band - distance to the body: the body's offset surface by the cloth's
   looseness, round where it meets the silhouette. On rays the band cannot reach (hair or a
   bag far from the body) it is h - |z - m| carved to the band plus ``carve_margin``: one
   front/back pair per pixel cannot tell the empty space between an arm and the torso, or
   between the legs seen from the side, from the person. Then min with the signed distance to
   the mask outline, and a slight low-pass (FIELD_BLUR). The pixel-aligned grid maps to the
   camera frame by x = (u - cx) z / fx, an orientation-preserving map, so the mesh stays closed
   and outward.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import distance_transform_edt, map_coordinates

from core.render.raster import rasterize
from core.types import Camera

from .body_sdf import VoxelGrid, main_part_faces, plane_distance, signed_distance, voxelize
from .config import DepthConfig
from .band import BandMaps, band_maps
from .garment import GarmentBody
from .grid import PixelGrid
from .harmonic import harmonic_fill
from .mesh_ops import extract_isosurface

#: Most depth slices the volume may have (the slice spacing grows beyond it).
MAX_SLICES = 192
#: Sigma in cells of the low-pass applied to the depth mode's field before marching cubes.
FIELD_BLUR = 1.0


@dataclass
class DepthMaps:
    """Front and back depth of the person on a pixel grid.

    grid: the PixelGrid the arrays live on; arrays are (grid.ny, grid.nx).
    front, back: float32 camera-frame z in metres (front <= back inside the mask; the mid-depth
        outside it, so both are defined everywhere).
    inside: bool person mask on the grid. sdf: float32 signed distance to the mask outline in
        cells (positive inside). body: bool, where the fitted body was seen.
    band: float32 metres, how far from the fitted body the surface may stand at each cell
        (None: no limit): the clothing offset plus the larger of the hidden-side reach and
        how far the cell lies outside the body's silhouette. It carves the space that one
        front/back pair cannot tell apart from the person (between an arm and the torso,
        between the legs seen from the side).
    body_mesh: (vertices (V, 3) camera frame metres, faces (F, 3)) of the fitted (naked) body,
        or None.
    prior: the clothed-body prior (core/surface/garment.py) the maps were built around, or
        None (the naked body); when set, carving measures distances to it.
    bands: the band maps (core/surface/band.py): the volume also holds every point within
        the band of the body (its offset surface, round at the silhouette), and nothing
        farther than the band plus ``carve_margin``.
    """

    grid: PixelGrid
    front: np.ndarray
    back: np.ndarray
    inside: np.ndarray
    sdf: np.ndarray
    body: np.ndarray
    band: np.ndarray | None = None
    body_mesh: tuple[np.ndarray, np.ndarray] | None = None
    prior: GarmentBody | None = None
    bands: BandMaps | None = None
    carve_margin: float = 0.01


def person_depth_maps(mask: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray,
                      camera: Camera, config: DepthConfig, threshold: float = 0.5,
                      step: float | None = None, prior: GarmentBody | None = None,
                      garment: np.ndarray | None = None) -> DepthMaps:
    """Front/back depth of the clothed person from the fitted body and the person mask.

    mask: (H, W) float soft person mask in [0, 1] (or bool). body_vertices: (V, 3) float, camera
    frame, metres; body_faces: (F, 3) int. camera: intrinsics of the image.
    step: pixels per grid cell (None: the person box's longer side over ``config.cells``, at
    least one pixel). prior: the clothed-body prior to build around instead of the body.
    garment: (H, W) bool pixels the labels call a garment (their front stands off like the
    sides, ``front_reach_garment``), or None.
    """
    m = np.asarray(mask, np.float32)
    person = m >= threshold
    if step is None:
        ys, xs = np.nonzero(person)
        extent = max(np.ptp(xs), np.ptp(ys)) + 1 if len(xs) else 1
        step = max(1.0, extent / max(int(config.cells), 8))
    grid = PixelGrid.around(person, camera, step)
    sdf = grid.mask_sdf(person)
    inside = sdf > 0

    naked = (np.asarray(body_vertices), np.asarray(body_faces))
    if prior is not None:
        body_vertices, body_faces = prior.vertices, prior.faces
    r = rasterize(body_vertices, body_faces, grid.camera, back=True)
    body = r.mask
    fb = np.where(body, r.depth, 0.0)
    bb = np.where(body, r.depth_back, 0.0)
    trusted = body & inside & (distance_transform_edt(body) > config.body_margin)
    if not trusted.any():                      # the fit hardly overlaps the mask: use what there is
        trusted = body & inside
    if not trusted.any():
        trusted = body
    # Hidden volume: the body's back (and, less, its front) stands off by what the silhouette
    # shows past the body's outline nearby (metres at the body's depth there).
    bands = band_maps(m, body_vertices, body_faces, camera, grid, offset=config.clothing_offset,
                      back_reach=config.back_reach, front_reach=config.front_reach,
                      front_reach_garment=config.front_reach_garment, reach_factor=1.0,
                      tolerance=config.extension_tolerance, garment=garment,
                      threshold=threshold)
    ext = bands.ext / grid.step
    z_ref = float(np.median(fb[body])) if body.any() else float(np.median(body_vertices[:, 2]))
    ext_m = ext * grid.step * np.where(body, fb, z_ref) / camera.fx
    front = fb - config.clothing_offset - bands.front_w * ext_m
    back = bb + config.clothing_offset + config.back_reach * ext_m
    mid_known = np.where(trusted, 0.5 * (front + back), 0.0)
    half_known = np.where(trusted, 0.5 * (back - front), 0.0)

    mid = harmonic_fill(mid_known, trusted, inside)
    half2 = harmonic_fill(half_known ** 2, trusted, inside, boundary_value=0.0)
    half = np.sqrt(np.clip(half2, 0.0, None))
    # Outside the mask: carry the nearest inside mid-depth over, zero thickness.
    if (~inside).any() and inside.any():
        _, (iy, ix) = distance_transform_edt(~inside, return_indices=True)
        mid = np.where(inside, mid, mid[iy, ix])
    half = np.where(inside, half, 0.0)
    outside_body = distance_transform_edt(~body) * grid.step * z_ref / camera.fx     # metres
    loose_m = bands.loose * z_ref / camera.fx
    band = (config.clothing_offset + config.carve_margin
            + np.maximum(np.maximum(max(config.back_reach, config.front_reach_garment) * ext_m,
                                    config.reach_factor * outside_body), loose_m)
            ).astype(np.float32)
    return DepthMaps(grid, (mid - half).astype(np.float32), (mid + half).astype(np.float32),
                     inside, sdf, body, band, naked, prior, bands, config.carve_margin)


def _body_distance(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                   voxel: float, reach: float) -> np.ndarray:
    """(N,) float32 distance in metres from camera-frame points (N, 3) to the closed body mesh
    (-voxel/2 inside), from a voxel signed distance sampled trilinearly; ``reach`` metres
    (or more) beyond the body's box."""
    v = np.asarray(vertices, np.float64)
    lo = v.min(0) - reach
    shape = tuple(int(np.ceil((v.max(0)[a] + reach - lo[a]) / voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, voxel, shape)
    sdf = signed_distance(voxelize(v, main_part_faces(faces), grid), voxel, exact_inside=False)
    ijk = ((np.asarray(points, np.float64) - lo) / voxel).T
    return map_coordinates(sdf, ijk, order=1, mode="constant", cval=reach).astype(np.float32)


def depth_surface(maps: DepthMaps, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Closed mesh between the front and back depth maps.

    returns: vertices (V, 3) float64, camera frame, metres; faces (F, 3) int64, outward.
    """
    g = maps.grid
    mid = 0.5 * (maps.front + maps.back)
    half = 0.5 * (maps.back - maps.front)
    z_mid = float(np.median(mid[maps.inside]))
    metres_per_cell = g.step * z_mid / camera.fx
    dz = metres_per_cell
    z0 = float(maps.front[maps.inside].min()) - 2 * dz
    z1 = float(maps.back[maps.inside].max()) + 2 * dz
    if maps.bands is not None and (maps.body & maps.inside).any():
        # The band's volume may reach past the depth maps (a round sleeve), by the looseness.
        loose = min(maps.bands.offset + float(maps.bands.loose.max(initial=0.0)) * z_mid
                    / camera.fx, 0.12)
        z0 = min(z0, float(maps.front[maps.body & maps.inside].min()) - loose - 2 * dz)
        z1 = max(z1, float(maps.back[maps.body & maps.inside].max()) + loose + 2 * dz)
    if (z1 - z0) / dz > MAX_SLICES:
        dz = (z1 - z0) / MAX_SLICES
    nz = int(np.ceil((z1 - z0) / dz)) + 1
    z = z0 + dz * np.arange(nz, dtype=np.float32)
    # At least one slice of thickness everywhere in the mask, so no mask pixel falls between
    # slices; the outline itself is set by the 2D signed distance.
    half_eff = np.where(maps.inside, np.maximum(half, 0.6 * dz), half).astype(np.float32)
    across = (maps.sdf * metres_per_cell).astype(np.float32)            # (ny, nx)
    along = half_eff[..., None] - np.abs(z[None, None, :] - mid[..., None])   # (ny, nx, nz)
    field = along.copy()
    if maps.band is not None and maps.body_mesh is not None:
        # Carve what lies farther from the body than the band allows.
        jj, ii = np.nonzero(maps.inside)
        pts = g.to_camera(np.repeat(ii, nz), np.repeat(jj, nz), np.tile(z, len(ii)), camera)
        reach = float(maps.band[maps.inside].max()) + 2 * dz
        if maps.prior is not None:
            dist = maps.prior.distance(pts, far=reach).reshape(len(ii), nz)
        else:
            dist = _body_distance(pts, *maps.body_mesh, metres_per_cell, reach).reshape(len(ii), nz)
        if maps.bands is not None:
            # The band's volume (the body's offset surface, round at the silhouette) wherever
            # it meets the cell's ray; the depth maps (carved) only where it does not (hair or
            # a bag beyond the band's reach): one front/back pair per ray there.
            b = maps.bands.band(pts, camera).reshape(len(ii), nz)
            if maps.prior is not None:
                # Near the band's level set, the body's own sub-voxel distance in bare zones
                # (the prior's grid is coarse there).
                fine = np.abs(b - dist) < 1.5 * dz
                v_b, f_b = maps.body_mesh
                exact = plane_distance(pts[fine.ravel()], v_b, main_part_faces(f_b),
                                       far=1.5 * metres_per_cell)
                dist[fine] = maps.prior.distance(pts[fine.ravel()], exact=exact, far=reach)
            in_band = b - dist
            met = in_band.max(1) > 0.0
            carved = np.minimum(field[jj, ii], np.minimum(b + maps.carve_margin,
                                                          maps.band[jj, ii, None]) - dist)
            field[jj, ii] = np.where(met[:, None], in_band, carved)
        else:
            field[jj, ii] = np.minimum(field[jj, ii], maps.band[jj, ii, None] - dist)
    field = np.minimum(field, across[..., None])
    if FIELD_BLUR > 0:
        # A slight low-pass of the field: cell-scale noise of the distances does not become
        # faceting, and where the volume meets the mask's outline as a wall its rim is rounded
        # (the silhouette shrinks by a fraction of a cell).
        from scipy.ndimage import gaussian_filter

        field = gaussian_filter(field, FIELD_BLUR, mode="nearest")
    verts, faces = extract_isosurface(field.transpose(1, 0, 2))         # axes (i, j, k)
    pts = g.to_camera(verts[:, 0], verts[:, 1], z0 + dz * verts[:, 2], camera)
    return pts, faces
