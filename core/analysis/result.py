"""What the occlusion analysis of one frame found: one patch's result and the whole map."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.types import FrameFit

#: Image regions of the sensitivity table, by what lies under a patch (core.analysis.regions).
REGIONS: tuple[str, ...] = ("head", "torso", "left arm", "right arm", "left leg", "right leg",
                            "background")


@dataclass
class PatchResult:
    """The fit with one grey patch over the frame (yielded by the analysis as each one ends).

    row, col: the cell in the grid. box: (4,) int [x0, y0, x1, y1) pixels the patch covered
        (clipped to the frame). lost: the person was not found, or too few keypoints to fit.
    fit: the patch's FrameFit (status "no_person" when lost). keypoints: (33, 3) float32 what
        perception saw under the patch ([x, y] px + confidence; zeros when nobody was found).
    displacement: (J,) float32 mm, root-aligned 3D distance of each joint from the unoccluded
        fit (nan when lost). error2d: (J,) float32 px, distance of each projected joint from the
        unoccluded frame's detected keypoint (nan when lost).
    """

    row: int
    col: int
    box: np.ndarray
    lost: bool
    fit: FrameFit
    keypoints: np.ndarray
    displacement: np.ndarray
    error2d: np.ndarray


@dataclass
class OcclusionResult:
    """Occlusion sensitivity of one frame.

    index: frame number. width, height: frame size in pixels. patch, stride: patch side and
        distance between patch centres, pixels. grey: the patch's value (0-255).
    area: (4,) float32 [x0, y0, x1, y1] pixels covered (the person's box enlarged, clipped).
    person_box: (4,) float32 [x0, y0, x1, y1] pixels, the unoccluded person's box.
    xs: (C,) float32 column centres in pixels; ys: (R,) float32 row centres in pixels.
    joints: the J joint names (core.analysis.config.SENSITIVITY_JOINTS).
    reference: the unoccluded fit (same fit settings as the patches).
    reference_keypoints: (33, 3) float32, the unoccluded frame's detected keypoints.
    displacement: (R, C, J) float32 mm, per-cell per-joint root-aligned 3D displacement from the
        reference (nan where the person was lost or the cell was not run).
    error2d: (R, C, J) float32 px, projected joint vs the unoccluded keypoint (nan likewise).
    lost: (R, C) bool, the person was lost with that patch. done: (R, C) bool, the cell ran
        (all True unless the analysis was cancelled).
    keypoints: (R, C, 33, 3) float32, perception under each patch (zeros where not found).
    region: (R, C) int8, index into REGIONS of what lies under each patch.
    fits: (row, col) -> FrameFit of that patch (cells that ran; "no_person" when lost).
    seconds: wall time of the analysis.
    """

    index: int
    width: int
    height: int
    patch: int
    stride: int
    grey: int
    area: np.ndarray
    person_box: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    joints: tuple[str, ...]
    reference: FrameFit
    reference_keypoints: np.ndarray
    displacement: np.ndarray
    error2d: np.ndarray
    lost: np.ndarray
    done: np.ndarray
    keypoints: np.ndarray
    region: np.ndarray
    fits: dict[tuple[int, int], FrameFit] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid."""
        return len(self.ys), len(self.xs)

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    @property
    def body(self) -> np.ndarray:
        """(R, C) float32 mm, mean displacement over the joints (nan where lost or not run)."""
        d = self.displacement
        out = np.full(d.shape[:2], np.nan, np.float32)
        ok = np.isfinite(d).all(axis=2)
        out[ok] = d[ok].mean(axis=1)
        return out

    @property
    def noise_floor(self) -> float:
        """Median of the body map over background cells, mm: how far a patch that hides nothing
        of the person moves the body (perception and fit noise); nan without such cells."""
        body = self.body[(self.region == REGIONS.index("background")) & self.done & ~self.lost]
        return float(np.median(body)) if body.size else float("nan")

    def values(self, joint: str | None = None) -> np.ndarray:
        """(R, C) float32 mm: one joint's displacement map, or the body's (``joint`` None)."""
        if joint is None or joint == "body":
            return self.body
        return self.displacement[:, :, self.joints.index(joint)]

    def cell_box(self, row: int, col: int) -> np.ndarray:
        """(4,) int [x0, y0, x1, y1) pixels of the patch of cell (row, col), clipped."""
        return patch_box(float(self.xs[col]), float(self.ys[row]), self.patch, self.width,
                         self.height)

    def tile(self, row: int, col: int) -> np.ndarray:
        """(4,) int [x0, y0, x1, y1) pixels the cell fills in a drawn map: a stride-sized square
        about its centre (at most the patch), so tiles of neighbouring cells do not overlap."""
        return patch_box(float(self.xs[col]), float(self.ys[row]), min(self.stride, self.patch),
                         self.width, self.height)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The cell whose drawn tile holds pixel (x, y), or None outside the map."""
        for r in range(len(self.ys)):
            for c in range(len(self.xs)):
                x0, y0, x1, y1 = self.tile(r, c)
                if x0 <= x < x1 and y0 <= y < y1:
                    return r, c
        return None

    def table(self, top: int = 3) -> list[dict]:
        """The joints most sensitive to each image region: one row per region with cells,
        ``{"region", "cells", "lost", "joints": [{"joint", "mm"}, ...]}``, the ``top`` joints by
        mean displacement (mm) over the region's cells where the person was kept."""
        rows = []
        for k, name in enumerate(REGIONS):
            cells = (self.region == k) & self.done
            if not cells.any():
                continue
            kept = cells & ~self.lost
            joints = []
            if kept.any():
                mean = self.displacement[kept].mean(axis=0)
                order = np.argsort(-mean, kind="stable")[:top]
                joints = [{"joint": self.joints[j], "mm": round(float(mean[j]), 1)} for j in order]
            rows.append({"region": name, "cells": int(cells.sum()),
                         "lost": int((cells & self.lost).sum()), "joints": joints})
        return rows


def patch_box(cx: float, cy: float, size: int, width: int, height: int) -> np.ndarray:
    """(4,) int64 [x0, y0, x1, y1) of a ``size``-pixel square centred on (cx, cy) pixels
    (pixel-centre convention), clipped to a ``width`` x ``height`` frame."""
    x0 = int(np.floor(cx - size / 2.0 + 0.5))
    y0 = int(np.floor(cy - size / 2.0 + 0.5))
    return np.array([max(0, x0), max(0, y0), min(width, x0 + size), min(height, y0 + size)],
                    np.int64)
