"""How far the clothed person reaches past the body where the camera cannot see: the
silhouette extension that wraps around the body, carried over the body's own silhouette.

Where the person mask runs past the fitted body's outline on *both* sides of the body (hair
around the head, a loose shirt at both flanks, a skirt around the legs), the garment most
likely wraps round the body, so it also stands off the body's hidden back by about that much.
Where it runs past on one side only (a backpack or a hair curtain seen from the side, a bag
held out), the silhouette already shows the whole garment and says nothing about the hidden
side. So each image row of each body part (a run of body pixels) takes the harmonic mean of the
two reaches at its ends (near the smaller one when they differ), and the inside of the body silhouette is filled with a harmonic (smooth,
maximum-principle) interpolation of those outline values: the back bulges by what both sides
show, and stays on the body where either side hugs it.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt

from .harmonic import harmonic_fill


def _wrap_values(reach: np.ndarray, body: np.ndarray) -> np.ndarray:
    """(ny, nx) float64: on every pixel of each row-run of ``body`` the harmonic mean of
    ``reach`` at the run's first and last pixel (0 off the body): the common value when both
    ends agree, about twice the smaller one when they differ much."""
    b = body.astype(np.int8)
    pad = np.zeros((b.shape[0], 1), np.int8)
    d = np.diff(np.concatenate([pad, b, pad], 1), axis=1)
    sy, sx = np.nonzero(d == 1)                 # run starts (row-major order)
    ey, ex = np.nonzero(d == -1)                # one past each run's end, same order
    a, b = reach[sy, sx], reach[ey, ex - 1]
    value = 2.0 * a * b / np.maximum(a + b, 1e-9)          # harmonic mean: ~2x the smaller
    out = np.zeros(body.shape, np.float64)
    run = np.cumsum(d == 1, axis=1)[:, :-1]     # 1-based run number within the row
    first = np.concatenate([[0], np.cumsum(np.bincount(sy, minlength=body.shape[0]))[:-1]])
    ys, xs = np.nonzero(body)
    out[ys, xs] = value[first[ys] + run[ys, xs] - 1]
    return out


def silhouette_extension(mask_sdf: np.ndarray, body: np.ndarray,
                         tolerance: float = 1.0, smooth: float = 2.0) -> np.ndarray:
    """Wrap-around extension of the person past the body, in grid cells, over the body silhouette.

    mask_sdf: (ny, nx) float signed distance to the person mask's outline in cells (positive
        inside). body: (ny, nx) bool, the fitted body's silhouette on the same grid.
    tolerance: cells of extension ignored (outline noise, the pixel the outlines share).
    smooth: sigma in cells of the average of the outline values along the outline (0: none).
    returns: (ny, nx) float32 >= 0 in cells: on the body's outline the smaller of the mask's
        reach past the body at the two ends of the outline pixel's row-run, inside the body
        silhouette the harmonic interpolation of the outline values, outside it the value of
        the nearest body pixel (so the field is continuous across the outline).
    """
    body = np.asarray(body, bool)
    if not body.any():
        return np.zeros(body.shape, np.float32)
    outline = body & ~binary_erosion(body, border_value=0)
    reach = np.clip(np.asarray(mask_sdf, np.float64) - tolerance, 0.0, None)
    wrap = _wrap_values(reach, body)
    # Row-runs cut inclined limbs obliquely, so neighbouring rows disagree: average the outline
    # values along the outline (normalised Gaussian over the outline pixels).
    if smooth > 0:
        w = cv2.GaussianBlur(outline.astype(np.float32), (0, 0), smooth)
        v = cv2.GaussianBlur(np.where(outline, wrap, 0.0).astype(np.float32), (0, 0), smooth)
        wrap = np.where(outline, v / np.maximum(w, 1e-6), 0.0)
    ext = harmonic_fill(np.where(outline, wrap, 0.0), outline, body)
    _, (iy, ix) = distance_transform_edt(~body, return_indices=True)
    return np.where(body, ext, ext[iy, ix]).astype(np.float32)
