"""2D previews of perception over a frame (cv2 only): the skeleton and the person mask.

Both functions take an (H, W, 3) uint8 RGB image and return a new one (the input is untouched),
so the GUI, the CLI previews and the tests share the very same drawing.
"""
from __future__ import annotations

import cv2
import numpy as np

from core.types import BLAZEPOSE_EDGES, BLAZEPOSE_NAMES, Observation

#: RGB colours: the subject's left side, right side, and the centre line / face.
LEFT_COLOR = (255, 140, 0)
RIGHT_COLOR = (0, 170, 255)
CENTER_COLOR = (240, 240, 240)
MASK_COLOR = (60, 200, 90)


def _side_color(i: int) -> tuple[int, int, int]:
    name = BLAZEPOSE_NAMES[i]
    return LEFT_COLOR if name.startswith("left") else RIGHT_COLOR if name.startswith("right") \
        else CENTER_COLOR


def draw_skeleton(image: np.ndarray, observation: Observation, min_confidence: float = 0.5,
                  thickness: int | None = None) -> np.ndarray:
    """Bones and joints of ``observation`` (keypoints2d in pixels of ``image``) drawn over it.

    Keypoints below ``min_confidence`` and bones touching them are skipped. Line width scales
    with the image (about 1/250 of its longer side) unless ``thickness`` is given. Sub-pixel
    positions are kept (cv2 shift=4).
    """
    out = np.ascontiguousarray(image.copy())
    if not observation.person:
        return out
    h, w = out.shape[:2]
    t = thickness or max(1, round(max(h, w) / 250))
    kp = observation.keypoints2d
    ok = kp[:, 2] >= min_confidence
    fixed = np.round(kp[:, :2] * 16).astype(np.int64)  # 4 fractional bits
    for a, b in BLAZEPOSE_EDGES:
        if ok[a] and ok[b]:
            color = _side_color(a) if _side_color(a) == _side_color(b) else CENTER_COLOR
            cv2.line(out, tuple(map(int, fixed[a])), tuple(map(int, fixed[b])), color, t,
                     cv2.LINE_AA, shift=4)
    for i in np.flatnonzero(ok):
        cv2.circle(out, tuple(map(int, fixed[i])), (t + 1) * 16, _side_color(i), -1,
                   cv2.LINE_AA, shift=4)
    return out


def draw_mask(image: np.ndarray, mask: np.ndarray | None, color: tuple[int, int, int] = MASK_COLOR,
              alpha: float = 0.45) -> np.ndarray:
    """Tint ``image`` with ``color`` (RGB) where the person is.

    mask: (H, W) float in [0, 1] (soft masks blend proportionally) or bool/uint8; None returns
        a copy. alpha: opacity of the tint at mask = 1.
    """
    out = image.copy()
    if mask is None:
        return out
    m = np.asarray(mask)
    m = (m.astype(np.float32) / 255.0) if m.dtype == np.uint8 else m.astype(np.float32)
    if m.shape != out.shape[:2]:
        m = cv2.resize(m, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
    weight = (np.clip(m, 0, 1) * float(alpha))[:, :, None]
    tint = np.asarray(color, np.float32)[None, None, :]
    return np.clip(out * (1.0 - weight) + tint * weight + 0.5, 0, 255).astype(np.uint8)


def draw_observation(image: np.ndarray, observation: Observation) -> np.ndarray:
    """The preview written by ``main.py detect``: mask tint, then the skeleton."""
    return draw_skeleton(draw_mask(image, observation.mask), observation)
