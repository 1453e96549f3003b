"""How far the clothed surface stands off the body (or the clothed-body prior), per pixel and
depth: the band both surface modes cut their volume at (distance to the prior < band).

- Over the body's silhouette the band is the clothing offset plus the silhouette extension
  that wraps around the body (core/surface/extension.py), weighted from the front weight on
  the visible side to ``back_reach`` behind the body's mid-depth. The front weight is
  ``front_reach`` on skin and hair (a face under hair stays where it is) and
  ``front_reach_garment`` on garments (loose cloth stands off in front as far as at its sides).
- Outside the body's silhouette (a loose sleeve, hair, a skirt, a bag) the band is the offset
  plus the larger of that (carried from the nearest body cell) and the *looseness* of the
  nearest mask outline (how far that outline lies past the body), and at least
  ``reach_factor`` times the cell's own distance from the body. The person there is
  the body's offset surface by its looseness, which meets the rays tangentially at the mask's
  outline: no wall cut by the mask, a round cross-section like the cloth's.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from core.render.raster import rasterize
from core.texture.sampling import sample_bilinear
from core.types import Camera

from .extension import silhouette_extension
from .grid import PixelGrid


@dataclass
class BandMaps:
    """The band's ingredients on a pixel grid (arrays (grid.ny, grid.nx)).

    grid: the PixelGrid. body: bool silhouette of the body (or prior). reach: float32 pixels
    (image pixels) from the body's silhouette, 0 on it. loose: float32 pixels, the looseness of
    the nearest mask outline, outside the body's silhouette (0 elsewhere). ext: float32 pixels,
    the wrap-around extension. front_w: float32 front weight. mid, half: float32 metres, the
    body's mid-depth and half-thickness (carried to the nearest body cell off the body).
    offset, back_reach, reach_factor: the settings used.
    """

    grid: PixelGrid
    body: np.ndarray
    reach: np.ndarray
    loose: np.ndarray
    ext: np.ndarray
    front_w: np.ndarray
    mid: np.ndarray
    half: np.ndarray
    offset: float
    back_reach: float
    reach_factor: float

    def cells(self, points: np.ndarray, camera: Camera) -> np.ndarray:
        """(N, 2) fractional grid cells of camera-frame points (N, 3)."""
        uv = camera.project(points)
        return np.stack([(uv[:, 0] - self.grid.x0) / self.grid.step,
                         (uv[:, 1] - self.grid.y0) / self.grid.step], 1)

    def band(self, points: np.ndarray, camera: Camera) -> np.ndarray:
        """(N,) float32 metres: how far from the body the surface may stand at camera-frame
        points (N, 3)."""
        p = np.asarray(points, np.float64).reshape(-1, 3)
        c = self.cells(p, camera)
        m_per_px = p[:, 2] / camera.fx
        reach = sample_bilinear(self.reach, c, border=0.0) * m_per_px
        loose = sample_bilinear(self.loose, c, border=0.0) * m_per_px
        ext = sample_bilinear(self.ext, c, border=0.0) * m_per_px
        fw = sample_bilinear(self.front_w, c, border=float(self.front_w.min(initial=0.0)))
        z_ref = float(np.median(self.mid[self.body])) if self.body.any() else float(p[:, 2].mean())
        mid = sample_bilinear(self.mid, c, border=z_ref)
        half = sample_bilinear(self.half, c, border=0.05)
        behind = np.clip(0.5 + (p[:, 2] - mid) / (2.0 * half), 0.0, 1.0)
        hidden = self.offset + ext * (fw + (self.back_reach - fw) * behind)
        # Off the body: the looseness of the nearest outline, the clothing offset fading out
        # towards the mask's outline so the offset surface meets the rays there tangentially
        # (no wall where the mask cuts it).
        t = np.clip(reach / np.maximum(loose, 1e-4), 0.0, 1.0)
        off_body = np.maximum(loose, self.reach_factor * reach) + self.offset * (1.0 - t)
        return np.where(reach > 0, np.maximum(off_body, hidden * (1.0 - t)),
                        hidden).astype(np.float32)

    def max_band(self, camera: Camera, z: float) -> float:
        """The largest band anywhere (metres at depth z), for sizing volumes."""
        top = lambda a: float(np.max(a, initial=0.0))  # noqa: E731
        px = max(top(self.loose), self.reach_factor * top(self.reach),
                 top(self.ext) * max(self.back_reach, top(self.front_w)))
        return self.offset + px * z / camera.fx


def band_maps(mask: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray,
              camera: Camera, grid: PixelGrid, *, offset: float, back_reach: float,
              front_reach: float, front_reach_garment: float, reach_factor: float,
              tolerance: float = 1.0, garment: np.ndarray | None = None,
              threshold: float = 0.5) -> BandMaps:
    """The BandMaps of a person on ``grid``.

    mask: (H, W) float person mask (image pixels of ``camera``). body_vertices (V, 3) camera
    frame metres, body_faces (F, 3): the body or the clothed-body prior. garment: (H, W) bool
    garment pixels, or None. The other settings: see the module docstring.
    """
    person = np.asarray(mask, np.float32) >= threshold
    sdf = grid.mask_sdf(person)
    inside = sdf > 0
    r = rasterize(body_vertices, body_faces, grid.camera, back=True)
    body = r.mask
    reach_all = (distance_transform_edt(~body) * grid.step).astype(np.float32)
    reach = np.where(inside & ~body, reach_all, 0.0).astype(np.float32)
    loose = np.zeros(body.shape, np.float32)
    ring = inside & ~body
    if ring.any() and not inside.all():
        _, (iy, ix) = distance_transform_edt(inside, return_indices=True)
        loose[ring] = np.maximum(reach_all[iy[ring], ix[ring]] - 0.5 * grid.step, 0.0)
        # The nearest outline point jumps from cell to cell: average over the ring.
        w = cv2.GaussianBlur(ring.astype(np.float32), (0, 0), 2.0)
        avg = cv2.GaussianBlur(loose, (0, 0), 2.0) / np.maximum(w, 1e-6)
        loose = np.where(ring, avg, 0.0).astype(np.float32)
    ext = silhouette_extension(sdf, body, tolerance) * grid.step
    front_w = np.full(body.shape, front_reach, np.float32)
    if garment is not None:
        front_w[grid.sample(np.asarray(garment, np.float32)) > 0.5] = front_reach_garment
    if body.any():
        _, (iy, ix) = distance_transform_edt(~body, return_indices=True)
        f, b = np.where(body, r.depth, 0.0), np.where(body, r.depth_back, 0.0)
        mid = (0.5 * (f + b))[iy, ix].astype(np.float32)
        half = np.maximum((0.5 * (b - f))[iy, ix], 0.02).astype(np.float32)
    else:
        z = float(np.median(np.asarray(body_vertices)[:, 2]))
        mid, half = np.full(body.shape, z, np.float32), np.full(body.shape, 0.05, np.float32)
    return BandMaps(grid, body, reach, loose, ext.astype(np.float32), front_w, mid, half,
                    float(offset), float(back_reach), float(reach_factor))
