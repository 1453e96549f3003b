"""Bilinear sampling of an image at many arbitrary pixel positions."""
from __future__ import annotations

import cv2
import numpy as np

_ROW = 4096   # cv2.remap needs maps under 32767 on each side: sample in rows of this length


def sample_bilinear(image: np.ndarray, points: np.ndarray, border: float | None = None) -> np.ndarray:
    """Bilinear samples of ``image`` at pixel ``points``.

    image: (H, W) or (H, W, C) array (any dtype; sampled as float32).
    points: (N, 2) float pixel coordinates [x, y], pixel-centre convention.
    border: value outside the image, or None to clamp to the nearest border pixel.
    returns: (N,) or (N, C) float32.
    """
    img = np.asarray(image)
    if img.dtype != np.float32:
        img = img.astype(np.float32)
    p = np.asarray(points, np.float32).reshape(-1, 2)
    n = len(p)
    rows = max(1, -(-n // _ROW))
    pad = np.zeros((rows * _ROW, 2), np.float32)
    pad[:n] = p
    mx = pad[:, 0].reshape(rows, _ROW)
    my = pad[:, 1].reshape(rows, _ROW)
    if border is None:
        s = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    else:
        s = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                      borderValue=float(border))
    return s.reshape((rows * _ROW,) + img.shape[2:])[:n]
