"""What lies under each patch: a body part of the unoccluded person, or background.

A patch covers the person when at least ``MIN_PERSON`` of its pixels are inside the person mask
(or, without a mask, when it is within half a patch of a confident keypoint); it then belongs to
the body part whose skeleton segment is nearest the centroid of the person pixels it covers.
"""
from __future__ import annotations

import numpy as np

from core.analysis.result import REGIONS, patch_box
from core.types import Observation

#: Share of a patch's pixels inside the person mask for it to count as covering the person.
MIN_PERSON = 0.05
#: Keypoints at or above this confidence count as seen.
SEEN = 0.5

#: Skeleton segments (BlazePose index pairs) of each body part; a pair (i, i) is a point.
PART_SEGMENTS: dict[str, tuple[tuple[int, int], ...]] = {
    "head": ((0, 0), (2, 5), (7, 8), (9, 10)),
    "torso": ((11, 12), (11, 23), (12, 24), (23, 24), (11, 24), (12, 23)),
    "left arm": ((11, 13), (13, 15), (15, 19), (15, 17), (15, 21)),
    "right arm": ((12, 14), (14, 16), (16, 20), (16, 18), (16, 22)),
    "left leg": ((23, 25), (25, 27), (27, 29), (27, 31)),
    "right leg": ((24, 26), (26, 28), (28, 30), (28, 32)),
}


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = 0.0 if not ab.any() else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0))
    return float(np.linalg.norm(p - (a + t * ab)))


def nearest_part(point: np.ndarray, keypoints: np.ndarray) -> int:
    """Index into REGIONS of the body part nearest ``point`` (2,) pixels, from (33, 3) keypoints
    [x, y, confidence]; segments with an unseen end are skipped (background if none is seen)."""
    best, best_d = REGIONS.index("background"), np.inf
    seen = keypoints[:, 2] >= SEEN
    for name, segments in PART_SEGMENTS.items():
        for i, j in segments:
            if seen[i] and seen[j]:
                d = _segment_distance(point, keypoints[i, :2], keypoints[j, :2])
                if d < best_d:
                    best, best_d = REGIONS.index(name), d
    return best


def cell_regions(observation: Observation, xs: np.ndarray, ys: np.ndarray,
                 patch: int) -> np.ndarray:
    """(R, C) int8 index into REGIONS of what lies under the patch of each cell.

    observation: the unoccluded frame's (keypoints (33, 3) px, mask (H, W) or None).
    xs: (C,) and ys: (R,) cell centres in pixels; patch: patch side in pixels.
    """
    kp = observation.keypoints2d.astype(np.float64)
    mask = observation.binary_mask() if observation.mask is not None else None
    seen = kp[kp[:, 2] >= SEEN, :2]
    out = np.full((len(ys), len(xs)), REGIONS.index("background"), np.int8)
    for r, cy in enumerate(ys):
        for c, cx in enumerate(xs):
            x0, y0, x1, y1 = patch_box(float(cx), float(cy), patch, observation.width,
                                       observation.height)
            if x1 <= x0 or y1 <= y0:
                continue
            if mask is not None:
                yy, xx = np.nonzero(mask[y0:y1, x0:x1])
                if len(yy) < MIN_PERSON * (x1 - x0) * (y1 - y0):
                    continue
                point = np.array([xx.mean() + x0, yy.mean() + y0])
            else:
                point = np.array([cx, cy], np.float64)
                if not len(seen) or np.min(np.abs(seen - point).max(axis=1)) > patch / 2:
                    continue
            out[r, c] = nearest_part(point, kp)
    return out
