"""Occlusion heat maps drawn over the frame, with a colour scale in millimetres.

    heatmap_layer(result, joint)      (H, W, 4) RGBA cells only (the GUI's frame-view layer)
    colour_bar(vmax, height, title)   (height, w, 3) RGB scale with ticks and units
    heatmap_image(image, result, joint)  the frame, the cells and the scale in one RGB picture

Each cell fills a stride-sized tile about its patch centre, coloured by its value on the
"inferno" scale (dark: nothing moved, bright: moved most). Cells where the person was lost are
drawn at the top of the scale with a cross.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from core.analysis.result import OcclusionResult
from core.types import BLAZEPOSE_EDGES

#: Opacity of the cells over the frame.
CELL_ALPHA = 0.65
#: Smallest top of the scale in mm (a map of tiny wobbles is not stretched to full brightness).
MIN_SCALE_MM = 10.0
LOST_RGB = (255, 255, 255)
SELECTED_RGB = (80, 255, 140)


#: Mantissas of the top of a colour scale (so the largest value is near full brightness and the
#: quarter ticks stay round).
_NICE = (1.0, 1.2, 1.6, 2.0, 2.4, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8 x 10^k at or above ``value`` (> 0)."""
    value = max(float(value), 1e-9)
    base = 10.0 ** math.floor(math.log10(value))
    for m in _NICE:
        if m * base >= value * (1 - 1e-9):
            return m * base
    return 10.0 * base


def scale_max(values: np.ndarray) -> float:
    """Top of the colour scale in mm for a map of ``values`` (nan ignored)."""
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size else 0.0
    return nice_ceiling(max(top, MIN_SCALE_MM))


def colours(values: np.ndarray, vmax: float) -> np.ndarray:
    """(..., 3) uint8 RGB of ``values`` on the inferno scale from 0 to ``vmax`` (nan -> top)."""
    v = np.where(np.isfinite(values), values, vmax)
    level = np.clip(np.round(v / vmax * 255.0), 0, 255).astype(np.uint8)
    bgr = cv2.applyColorMap(level.reshape(-1, 1), cv2.COLORMAP_INFERNO).reshape(level.shape + (3,))
    return bgr[..., ::-1].copy()


def heatmap_layer(result: OcclusionResult, joint: str | None = None, vmax: float | None = None,
                  selected: tuple[int, int] | None = None, alpha: float = CELL_ALPHA) -> np.ndarray:
    """(H, W, 4) uint8 RGBA at frame size: the map of ``joint`` (None: the whole body's mean),
    transparent outside the cells and in cells not run; lost cells crossed; the ``selected``
    cell outlined."""
    values = result.values(joint)
    vmax = scale_max(values) if vmax is None else vmax
    rgb = colours(values, vmax)
    out = np.zeros((result.height, result.width, 4), np.uint8)
    a = int(round(alpha * 255))
    for r, c in zip(*np.nonzero(result.done)):
        x0, y0, x1, y1 = result.tile(r, c)
        out[y0:y1, x0:x1, :3] = rgb[r, c]
        out[y0:y1, x0:x1, 3] = a
        if result.lost[r, c]:
            colour = (*LOST_RGB, 255)
            thick = max(1, (x1 - x0) // 16)
            cv2.line(out, (x0 + 2, y0 + 2), (x1 - 3, y1 - 3), colour, thick, cv2.LINE_AA)
            cv2.line(out, (x0 + 2, y1 - 3), (x1 - 3, y0 + 2), colour, thick, cv2.LINE_AA)
    if selected is not None:
        x0, y0, x1, y1 = result.cell_box(*selected)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (*SELECTED_RGB, 255),
                      max(2, result.patch // 24))
    return out


def colour_bar(vmax: float, height: int, title: str = "mm", width: int = 22) -> np.ndarray:
    """(height, width + labels, 3) uint8 RGB vertical scale from 0 (bottom) to ``vmax`` (top)
    with five ticks labelled in millimetres and ``title`` above it."""
    font, fs = cv2.FONT_HERSHEY_SIMPLEX, max(0.35, min(0.6, height / 900.0))
    th = max(1, int(round(fs * 2)))
    labels = [f"{vmax * k / 4:g} mm" for k in range(5)]
    label_w = max(cv2.getTextSize(t, font, fs, th)[0][0] for t in labels + [title]) + 10
    top_pad = int(36 * fs / 0.45)
    pad = int(10 * fs / 0.45)
    panel = np.full((height, width + label_w + 12, 3), 24, np.uint8)
    y0, y1 = top_pad, height - pad
    if y1 - y0 < 20:
        return panel
    ramp = np.linspace(vmax, 0.0, y1 - y0)
    panel[y0:y1, 6:6 + width] = colours(ramp, vmax)[:, None, :]
    for k, text in enumerate(labels):
        y = int(round(y1 - 1 - (y1 - y0 - 1) * k / 4))
        cv2.line(panel, (6 + width, y), (10 + width, y), (230, 230, 230), 1)
        cv2.putText(panel, text, (13 + width, y + int(5 * fs / 0.45)), font, fs,
                    (230, 230, 230), th, cv2.LINE_AA)
    cv2.putText(panel, title, (4, int(16 * fs / 0.45)), font, fs, (230, 230, 230), th, cv2.LINE_AA)
    return panel


def draw_reference_skeleton(image: np.ndarray, keypoints: np.ndarray, min_confidence: float = 0.5,
                            colour: tuple[int, int, int] = (235, 235, 235)) -> None:
    """Draw the unoccluded keypoints' bones (33, 3) [x, y, confidence] pixels thinly into
    ``image`` (H, W, 3) uint8 RGB, in place, so a map can be read against the body."""
    ok = keypoints[:, 2] >= min_confidence
    thick = max(1, image.shape[0] // 400)
    for a, b in BLAZEPOSE_EDGES:
        if ok[a] and ok[b]:
            pa = tuple(int(round(v)) for v in keypoints[a, :2])
            pb = tuple(int(round(v)) for v in keypoints[b, :2])
            cv2.line(image, pa, pb, colour, thick, cv2.LINE_AA)


def heatmap_image(image: np.ndarray, result: OcclusionResult, joint: str | None = None,
                  dim: float = 0.6) -> np.ndarray:
    """(H, W + scale, 3) uint8 RGB: the frame (darkened by ``dim``) with the cells of ``joint``'s
    map (None: the whole body's mean displacement) over it, the analysed area outlined, and the
    colour scale with units on the right."""
    values = result.values(joint)
    vmax = scale_max(values)
    base = (image.astype(np.float32) * dim).astype(np.uint8)
    layer = heatmap_layer(result, joint, vmax)
    a = layer[..., 3:4].astype(np.float32) / 255.0
    out = (base * (1 - a) + layer[..., :3] * a).astype(np.uint8)
    x0, y0, x1, y1 = (int(round(v)) for v in result.area)
    cv2.rectangle(out, (x0, y0), (x1, y1), (200, 200, 200), 1)
    draw_reference_skeleton(out, result.reference_keypoints)
    name = "whole body (mean)" if joint in (None, "body") else joint
    font, fs = cv2.FONT_HERSHEY_SIMPLEX, max(0.4, min(0.8, result.height / 900.0))
    th = max(1, int(round(fs * 2)))
    cv2.putText(out, f"{name}: 3D displacement, patch {result.patch} px", (6, int(22 * fs / 0.5)),
                font, fs, (255, 255, 255), th, cv2.LINE_AA)
    if result.lost.any():
        cv2.putText(out, "X: person lost", (6, result.height - 8), font, fs, LOST_RGB, th,
                    cv2.LINE_AA)
    bar = colour_bar(vmax, result.height, "mm moved")
    return np.concatenate([out, bar], axis=1)
