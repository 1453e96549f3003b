"""Honest colours for what the camera did not see.

A single image shows one side of the person. Copying the front pixel onto the back (the mirror
assumption) paints the face on the back of the head and the hoodie's print on its back. Here a
hidden point takes the typical colour of the *region* it belongs to instead:
- where hair is: a hidden point that projects inside the hair's horizontal span on its image row
  (the back of the head, long hair down the back) takes the hair colour;
- elsewhere the label of the front pixel it projects onto says which region it belongs to (the
  same garment seen in front, skin on the back of a bare arm) and it takes that region's
  median colour; a point projecting off the person takes the nearest labelled pixel's region.
Seams are blended: near the silhouette the colour fades from the front pixel to the region's
colour over the last ``fade`` of the facing angle, and callers average the hidden colours over
a few mesh neighbours (vertex_colors) so region borders do not show as hard steps.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import distance_transform_edt

from core.types import Camera

#: Label values (core.surface.labels): background, skin, hair.
_BACKGROUND, _SKIN, _HAIR = 0, 1, 2


class BackColors:
    """Colours for hidden points from a person's labels (core.surface.labels.PersonLabels).

    labels: the PersonLabels. to_full: maps (N, 2) pixels of the camera the points are given in
    to full-frame pixels (identity when the caller works in full-frame pixels).
    fade: facing-angle cosine over which a hidden point near the silhouette fades from the
    front pixel's colour to its region's.
    """

    def __init__(self, labels, to_full: Callable[[np.ndarray], np.ndarray] | None = None,
                 fade: float = 0.3) -> None:
        self.labels = labels
        self.to_full = to_full or (lambda xy: xy)
        self.fade = float(fade)
        lab = labels.labels
        # The nearest labelled pixel for every pixel (points that project off the person).
        person = lab > _BACKGROUND
        if person.any() and (~person).any():
            _, idx = distance_transform_edt(~person, return_indices=True)
            self._nearest = lab[idx[0], idx[1]]
        else:
            self._nearest = lab
        # Per label row, the hair's horizontal span.
        hair = lab == _HAIR
        rows = hair.any(1)
        self._hair_lo = np.where(rows, np.argmax(hair, 1), 1 << 30)
        self._hair_hi = np.where(rows, lab.shape[1] - 1 - np.argmax(hair[:, ::-1], 1), -1)

    def _label_pixels(self, xy_full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L = self.labels
        p = (np.asarray(xy_full, np.float64) - [L.x0, L.y0] + 0.5) * L.scale - 0.5
        h, w = L.labels.shape
        return (np.clip(np.rint(p[:, 0]).astype(np.int64), 0, w - 1),
                np.clip(np.rint(p[:, 1]).astype(np.int64), 0, h - 1))

    def region(self, points: np.ndarray, camera: Camera) -> np.ndarray:
        """(N,) uint8 label value each hidden camera-frame point (N, 3) takes its colour from."""
        x, y = self._label_pixels(self.to_full(camera.project(points)))
        out = self._nearest[y, x].copy()
        in_hair = (x >= self._hair_lo[y]) & (x <= self._hair_hi[y])
        out[in_hair] = _HAIR
        return out

    def colors(self, points: np.ndarray, camera: Camera) -> np.ndarray:
        """(N, 3) float32 RGB for hidden camera-frame points (N, 3), metres."""
        return np.asarray(self.labels.colors, np.float32)[self.region(points, camera)]

    def blend(self, front: np.ndarray, points: np.ndarray, normals: np.ndarray,
              camera: Camera) -> np.ndarray:
        """(N, 3) float32: the colours of points facing away from the camera: their region's
        colour, faded in from the front pixel's colour ``front`` (N, 3) near the silhouette.
        normals: (N, 3) outward unit normals, camera frame."""
        p = np.asarray(points, np.float64)
        view = -p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-20)
        cos = (np.asarray(normals, np.float64) * view).sum(1)           # <= 0 facing away
        a = np.clip(1.0 + cos / max(self.fade, 1e-6), 0.0, 1.0)[:, None]
        return (a * np.asarray(front, np.float32)
                + (1.0 - a) * self.colors(p, camera)).astype(np.float32)
