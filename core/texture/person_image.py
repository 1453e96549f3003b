"""The frame with everything outside the person replaced by the nearest person colour, so that
colour samples that land just outside the silhouette never pick up the background."""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt


def person_only_image(image: np.ndarray, mask: np.ndarray, erode: int = 2,
                      margin: int = 16) -> np.ndarray:
    """(H, W, 3) uint8 RGB copy of ``image`` where pixels outside the (eroded) person take the
    colour of the nearest person pixel, within the mask's box grown by ``margin`` pixels (the
    rest of the frame is left as it is).

    image: (H, W, 3) uint8 RGB. mask: (H, W) bool person mask. erode: pixels the mask is shrunk
    by first (edges mix person and background).
    """
    img = np.asarray(image, np.uint8)
    m = np.asarray(mask, bool)
    ys, xs = np.nonzero(m)
    out = img.copy()
    if len(xs) == 0:
        return out
    H, W = m.shape
    x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, W)
    y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, H)
    core = m[y0:y1, x0:x1]
    if erode > 0:
        eroded = cv2.erode(core.astype(np.uint8), np.ones((2 * erode + 1,) * 2, np.uint8)) > 0
        if eroded.any():
            core = eroded
    _, (iy, ix) = distance_transform_edt(~core, return_indices=True)
    crop = img[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = crop[iy, ix]
    return out
