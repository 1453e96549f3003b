"""Implicit mode (PaMIR lineage): an occupancy field around the fitted body, conditioned on the
body's signed distance and on the person mask, cut by marching cubes.

"The body" is the clothed-body prior of the garment layer (core/surface/garment.py) when it is
on (its distance in clothed zones, the body's own exact distance in bare ones), else the naked
fitted body. A point p of a metric voxel grid around the person (``ImplicitConfig.resolution``
cells along its longest side, whatever the photo's size) is inside when both hold:
- it projects inside the person mask: the mask's signed distance at its pixel, turned into
  metres at p's depth, is positive;
- it lies within the band of the body (core/surface/band.py): over the body's silhouette the
  clothing offset plus the wrap-around silhouette extension (fully behind the body's mid-depth,
  ``front_reach`` or ``front_reach_garment`` in front), outside it the body's offset surface by
  the looseness of the nearest mask outline, which meets the rays tangentially there (no wall
  cut by the mask).
The field min(mask term, band - distance), both in metres and positive inside, is continuous
(the band's part slightly low-passed, FIELD_BLUR), so marching cubes places the surface between
voxels. The distance is the voxel distance, replaced by the tangent-plane distance of the
nearest body vertex near the body and wherever the band's level set may lie.
"""
from __future__ import annotations

import numpy as np

from core.texture.sampling import sample_bilinear
from core.types import Camera

from .body_sdf import VoxelGrid, main_part_faces, plane_distance, signed_distance, voxelize
from .config import ImplicitConfig
from .band import band_maps
from .garment import GarmentBody
from .grid import PixelGrid
from .mesh_ops import extract_isosurface

#: Longest side in cells of the 2D grid on which the mask distance and the reach are computed.
IMAGE_GRID_CELLS = 1024
#: Longest side in cells of the coarser 2D grid of the band (core/surface/band.py: the
#: silhouette extension's harmonic solve, the looseness).
BAND_GRID_CELLS = 320
#: Sigma in voxels of the low-pass applied to the field before marching cubes.
FIELD_BLUR = 0.8


def _volume_bounds(grid2d: PixelGrid, inside2d: np.ndarray, body_vertices: np.ndarray,
                   camera: Camera, pad: float) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame box (lo, hi) holding the body and the mask's back-projection over the
    body's depth range, grown by ``pad`` metres."""
    zlo = float(body_vertices[:, 2].min()) - pad
    zhi = float(body_vertices[:, 2].max()) + pad
    jj, ii = np.nonzero(inside2d)
    u = grid2d.x0 + grid2d.step * np.array([ii.min() - 1, ii.max() + 1], np.float64)
    v = grid2d.y0 + grid2d.step * np.array([jj.min() - 1, jj.max() + 1], np.float64)
    xs = np.outer((u - camera.cx) / camera.fx, [zlo, zhi]).ravel()
    ys = np.outer((v - camera.cy) / camera.fy, [zlo, zhi]).ravel()
    lo = np.minimum([xs.min(), ys.min(), zlo], body_vertices.min(0) - pad)
    hi = np.maximum([xs.max(), ys.max(), zhi], body_vertices.max(0) + pad)
    # The mask limits x and y anyway: no need to extend past its back-projection.
    lo[:2] = np.maximum(lo[:2], [xs.min(), ys.min()])
    hi[:2] = np.minimum(hi[:2], [xs.max(), ys.max()])
    return lo, hi


def implicit_surface(mask: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray,
                     camera: Camera, config: ImplicitConfig, threshold: float = 0.5,
                     resolution: int | None = None, prior: GarmentBody | None = None,
                     garment: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Closed mesh of the clothed person from the fitted body and the person mask.

    mask: (H, W) float soft person mask in [0, 1]. body_vertices: (V, 3) float, camera frame,
    metres. body_faces: (F, 3) int (closed). camera: intrinsics of the mask's image.
    resolution: voxels along the volume's longest side (None: ``config.resolution``).
    prior: the clothed-body prior (core/surface/garment.py) to build around instead of the
    naked body (its silhouette and its distance; the body's own exact distance in bare zones).
    garment: (H, W) bool, where the labels show a garment (its front stands off the body as
    far as its sides do, ``front_reach_garment``); None: nowhere.
    returns: vertices (V', 3) float64 camera frame metres, faces (F', 3) int64 outward.
    """
    body_v = np.asarray(body_vertices, np.float64)
    bv, body_faces_r = ((np.asarray(prior.vertices, np.float64), prior.faces) if prior is not None
                        else (body_v, body_faces))
    m = np.asarray(mask, np.float32) >= threshold
    # The mask's signed distance on a fine pixel grid (sharp outline), the band on a coarser one.
    ys, xs = np.nonzero(m)
    box = max(np.ptp(xs) if len(xs) else 1, np.ptp(ys) if len(ys) else 1) + 1
    grid2d = PixelGrid.around(m, camera, max(1.0, box / IMAGE_GRID_CELLS), pad_cells=4)
    mask_sdf = grid2d.mask_sdf(m) * grid2d.step                     # pixels
    inside2d = mask_sdf > 0
    band_grid = PixelGrid.around(m, camera, max(1.0, box / BAND_GRID_CELLS), pad_cells=4)
    bands = band_maps(mask, bv, body_faces_r, camera, band_grid, offset=config.clothing_offset,
                      back_reach=config.back_reach, front_reach=config.front_reach,
                      front_reach_garment=config.front_reach_garment,
                      reach_factor=config.reach_factor, tolerance=config.extension_tolerance,
                      garment=garment, threshold=threshold)
    z_body = float(np.median(bv[:, 2]))
    pad = min(bands.max_band(camera, z_body), config.max_reach)
    pad = max(pad, config.clothing_offset) + 0.02

    lo, hi = _volume_bounds(grid2d, inside2d, bv, camera, pad)
    voxel = float((hi - lo).max()) / (resolution or config.resolution)
    shape = tuple(int(np.ceil((hi[a] - lo[a]) / voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, voxel, shape)

    # Only the outside distance matters: the band's level set lies outside the body. The
    # voxel distance is replaced by the sub-voxel tangent-plane distance near the body and
    # wherever the band's level set may lie (no voxel staircase, no step where they meet).
    main = main_part_faces(body_faces)
    sdf_body = signed_distance(voxelize(body_v, main, grid), voxel, exact_inside=False).reshape(-1)
    p = grid.centres().reshape(-1, 3)
    uv = camera.project(p)
    cells = np.stack([(uv[:, 0] - grid2d.x0) / grid2d.step,
                      (uv[:, 1] - grid2d.y0) / grid2d.step], 1)
    far = -float(max(camera.width, camera.height))
    mask_term = sample_bilinear(mask_sdf, cells, border=far) * (p[:, 2] / camera.fx)
    # The band only matters inside the mask and where the body is near enough.
    near = (sdf_body < pad) & (mask_term > -4 * voxel)
    band = np.minimum(bands.band(p[near], camera), config.max_reach)
    d = sdf_body[near]
    fine = (np.abs(d) < 3 * voxel) | (np.abs(d - band) < 2.5 * voxel)
    d[fine] = plane_distance(p[near][fine], body_v, main, far=1.5 * voxel)
    if prior is not None:
        d = prior.distance(p[near], exact=d, far=config.max_reach)
    volume = np.full(len(p), -2.0 * voxel, np.float32)
    volume[near] = band - d
    volume = volume.reshape(shape)
    if FIELD_BLUR > 0:
        # A slight low-pass of the band's volume (not of the mask's sharp outline): cell-scale
        # noise of the distances does not become faceting.
        from scipy.ndimage import gaussian_filter

        volume = gaussian_filter(volume, FIELD_BLUR, mode="nearest")
    field = np.minimum(mask_term.reshape(shape), volume)
    verts, faces = extract_isosurface(field)
    return grid.to_points(verts), faces
