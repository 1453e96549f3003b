"""How far the clothed person reaches past the body where the camera cannot see: the
silhouette extension, carried over the body's own silhouette.

Where the person mask runs past the fitted body's outline (hair around the head, a loose shirt
at the flanks, a skirt between the legs), something stands off the body by about that much
there. Seen from the front, the same thing most likely also stands off the body's hidden back
(hair is behind the head as much as beside it, a skirt goes round the legs). This module
measures the extension at every pixel of the body's outline and fills the inside of the body
silhouette with a harmonic (smooth, maximum-principle) interpolation of those values, so the
back side can bulge by what the sides show, and stays on the body where the mask hugs it.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt

from .harmonic import harmonic_fill


def silhouette_extension(mask_sdf: np.ndarray, body: np.ndarray,
                         tolerance: float = 1.0) -> np.ndarray:
    """Extension of the person past the body, in grid cells, over the body silhouette.

    mask_sdf: (ny, nx) float signed distance to the person mask's outline in cells (positive
        inside). body: (ny, nx) bool, the fitted body's silhouette on the same grid.
    tolerance: cells of extension ignored (outline noise, the pixel the outlines share).
    returns: (ny, nx) float32 >= 0 in cells: on the body's outline the mask's reach past it,
        inside the body silhouette the harmonic interpolation of the outline values, outside it
        the value of the nearest body pixel (so the field is continuous across the outline).
    """
    body = np.asarray(body, bool)
    if not body.any():
        return np.zeros(body.shape, np.float32)
    outline = body & ~binary_erosion(body, border_value=0)
    reach = np.clip(np.asarray(mask_sdf, np.float64) - tolerance, 0.0, None)
    ext = harmonic_fill(np.where(outline, reach, 0.0), outline, body)
    _, (iy, ix) = distance_transform_edt(~body, return_indices=True)
    return np.where(body, ext, ext[iy, ix]).astype(np.float32)
