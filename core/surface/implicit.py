"""Implicit mode (PaMIR lineage): an occupancy field around the fitted body, conditioned on the
body's signed distance and on the person mask, cut by marching cubes.

A point p of a metric voxel grid around the person is inside when both hold:
- it projects inside the person mask: the mask's signed distance at its pixel, turned into
  metres at p's depth, is positive;
- it lies within a band around the body: sdf_body(p) < offset + reach_factor * reach(pixel),
  where reach is how far (metres) that pixel lies outside the body's own silhouette. On the
  body's silhouette the band is the clothing offset (a thin layer over the body, so the body's
  front and back bound the depth); where the mask runs past the body (hair, a skirt, a bag)
  the band widens just enough for the ray to meet it, giving a rounded volume there. Over the
  body's own silhouette the band also grows by the silhouette extension (core/surface/
  extension.py: how far the mask runs past the body's outline nearby), by ``back_reach`` times
  it behind the body's mid-depth and ``front_reach`` times it in front, blended across the
  body's thickness: the hidden back bulges as much as the sides show.
The field min(mask term, band - sdf_body), both in metres and positive inside, is continuous,
so marching cubes places the surface between voxels.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from core.render.raster import rasterize
from core.texture.sampling import sample_bilinear
from core.types import Camera

from .body_sdf import (VoxelGrid, main_part_faces, refine_near_surface, signed_distance,
                       voxelize)
from .config import ImplicitConfig
from .extension import silhouette_extension
from .grid import PixelGrid
from .mesh_ops import extract_isosurface

#: Longest side in cells of the 2D grid on which the mask distance and the reach are computed.
IMAGE_GRID_CELLS = 1024
#: Longest side in cells of the coarser 2D grid of the silhouette extension (a harmonic solve).
EXTENSION_GRID_CELLS = 256


def _mid_and_half(front: np.ndarray, back: np.ndarray, body: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The body's mid-depth and half-thickness (H, W) float32 metres where it is seen, carried
    to the nearest body pixel elsewhere; the half-thickness is at least 2 cm."""
    if not body.any():
        return np.zeros(body.shape, np.float32), np.full(body.shape, 0.05, np.float32)
    _, (iy, ix) = distance_transform_edt(~body, return_indices=True)
    f, b = np.where(body, front, 0.0), np.where(body, back, 0.0)
    mid, half = (0.5 * (f + b))[iy, ix], (0.5 * (b - f))[iy, ix]
    return mid.astype(np.float32), np.maximum(half, 0.02).astype(np.float32)


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
                     camera: Camera, config: ImplicitConfig,
                     threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Closed mesh of the clothed person from the fitted body and the person mask.

    mask: (H, W) float soft person mask in [0, 1]. body_vertices: (V, 3) float, camera frame,
    metres. body_faces: (F, 3) int (closed). camera: intrinsics of the mask's image.
    returns: vertices (V', 3) float64 camera frame metres, faces (F', 3) int64 outward.
    """
    bv = np.asarray(body_vertices, np.float64)
    m = np.asarray(mask, np.float32) >= threshold
    # 2D terms on a pixel grid over the mask: signed distance to the mask outline and the
    # distance to the body's silhouette, both in pixels.
    ys, xs = np.nonzero(m)
    box = max(np.ptp(xs) if len(xs) else 1, np.ptp(ys) if len(ys) else 1) + 1
    grid2d = PixelGrid.around(m, camera, max(1.0, box / IMAGE_GRID_CELLS), pad_cells=4)
    mask_sdf = grid2d.mask_sdf(m) * grid2d.step                     # pixels
    inside2d = mask_sdf > 0
    body2d = rasterize(bv, body_faces, grid2d.camera).mask
    reach_px = (distance_transform_edt(~body2d) * grid2d.step).astype(np.float32)
    reach_px = np.where(inside2d, reach_px, 0.0).astype(np.float32)
    z_body = float(np.median(bv[:, 2]))
    reach_max_m = float(reach_px.max()) * z_body / camera.fx
    # The silhouette extension over the body (pixels of a coarser grid), the body's mid-depth
    # and half-thickness there.
    ext_grid = PixelGrid.around(m, camera, max(1.0, box / EXTENSION_GRID_CELLS), pad_cells=4)
    r = rasterize(bv, body_faces, ext_grid.camera, back=True)
    ext = silhouette_extension(ext_grid.mask_sdf(m), r.mask, config.extension_tolerance)
    mid, half = _mid_and_half(r.depth, r.depth_back, r.mask)
    hidden_max_m = float(ext.max()) * ext_grid.step * z_body / camera.fx * max(
        config.back_reach, config.front_reach, 0.0)
    pad = min(config.clothing_offset + config.reach_factor * reach_max_m + hidden_max_m,
              config.max_reach)
    pad = max(pad, config.clothing_offset) + 0.02

    lo, hi = _volume_bounds(grid2d, inside2d, bv, camera, pad)
    voxel = float((hi - lo).max()) / config.resolution
    shape = tuple(int(np.ceil((hi[a] - lo[a]) / voxel)) + 1 for a in range(3))
    grid = VoxelGrid(lo, voxel, shape)

    # Only the outside distance matters: the band's level set lies outside the body.
    main = main_part_faces(body_faces)
    sdf_body = signed_distance(voxelize(bv, main, grid), voxel, exact_inside=False)
    sdf_body = refine_near_surface(sdf_body, grid, bv, main)
    p = grid.centres().reshape(-1, 3)
    uv = camera.project(p)
    cells = np.stack([(uv[:, 0] - grid2d.x0) / grid2d.step, (uv[:, 1] - grid2d.y0) / grid2d.step], 1)
    metres_per_px = p[:, 2] / camera.fx
    far = -float(max(camera.width, camera.height))
    mask_term = sample_bilinear(mask_sdf, cells, border=far) * metres_per_px
    reach = sample_bilinear(reach_px, cells, border=0.0) * metres_per_px
    # Hidden volume: the silhouette extension carried over the body, weighted from
    # ``front_reach`` on the visible side to ``back_reach`` behind the body's mid-depth.
    ext_cells = np.stack([(uv[:, 0] - ext_grid.x0) / ext_grid.step,
                          (uv[:, 1] - ext_grid.y0) / ext_grid.step], 1)
    ext_m = sample_bilinear(ext, ext_cells, border=0.0) * ext_grid.step * metres_per_px
    behind = np.clip(0.5 + (p[:, 2] - sample_bilinear(mid, ext_cells, border=z_body))
                     / (2.0 * sample_bilinear(half, ext_cells, border=0.05)), 0.0, 1.0)
    hidden = ext_m * (config.front_reach + (config.back_reach - config.front_reach) * behind)
    band = np.minimum(config.clothing_offset + config.reach_factor * reach + hidden,
                      config.max_reach)
    field = np.minimum(mask_term, band - sdf_body.reshape(-1)).reshape(shape)
    verts, faces = extract_isosurface(field)
    return grid.to_points(verts), faces
