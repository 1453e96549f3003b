"""Memory and time bounded by the person, not the photo.

Two things keep the cost of a surface independent of the photo's size:
1. ``working_view``: before anything else the frame, its mask and the observation's pixel
   coordinates are cropped to the person and shrunk so that the person's box is at most
   ``BudgetConfig.work_size`` pixels on its longer side (the camera is adjusted to match, so
   camera-frame geometry is unchanged).
2. Both modes size their grids from the person's extent at a fixed detail budget
   (``DepthConfig.cells``, ``ImplicitConfig.resolution``). ``plan_surface`` estimates the
   grid and its memory before the job starts and refuses it with a sentence, or coarsens the
   budget, when the estimate exceeds the memory available: never the out-of-memory killer.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from core.errors import StudioError
from core.types import Camera, Observation

from .config import SurfaceConfig

#: Bytes per cell of each stage's largest temporaries (measured peaks with margin): the depth
#: mode's (cells x slices) field, the implicit mode's voxel grid, the garment prior's voxels.
BYTES_PER_DEPTH_CELL = 90
BYTES_PER_IMPLICIT_VOXEL = 260
BYTES_PER_GARMENT_VOXEL = 120
#: Bytes per pixel of the working view (image, mask, labels, distance transforms).
BYTES_PER_WORK_PIXEL = 160
#: Fixed cost of a surface besides its grids (meshes, rasters, the body), bytes.
BASE_BYTES = 150 * 2**20
#: The coarsest budgets a surface may be coarsened to before it is refused.
MIN_DEPTH_CELLS = 64
MIN_IMPLICIT_RESOLUTION = 48
#: Most depth slices of the depth mode (kept in step with depth.MAX_SLICES).
DEPTH_SLICES = 192


@dataclass
class WorkingView:
    """The frame as the surface stage sees it: cropped to the person and shrunk.

    image: (h, w, 3) uint8 RGB or None. mask: (h, w) float32 soft mask in [0, 1].
    camera: intrinsics of this view (camera-frame geometry is the same as the full frame's).
    observation: the observation with pixel coordinates (keypoints, face and hand landmarks)
        in this view's pixels.
    x0, y0: full-frame pixel of this view's crop corner (the crop's pixel (0, 0) before the
        shrink). scale: shrink factor (<= 1). full_size: (width, height) of the full frame.
    """

    image: np.ndarray | None
    mask: np.ndarray
    camera: Camera
    observation: Observation
    x0: int = 0
    y0: int = 0
    scale: float = 1.0
    full_size: tuple[int, int] = (0, 0)

    def to_view(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) float64 view pixels of full-frame pixels (N, 2) (pixel-centre convention)."""
        p = np.asarray(xy, np.float64)
        return (p - [self.x0, self.y0] + 0.5) * self.scale - 0.5

    def to_full(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) float64 full-frame pixels of view pixels (N, 2)."""
        p = np.asarray(xy, np.float64)
        return (p + 0.5) / self.scale - 0.5 + [self.x0, self.y0]


def _person_box(mask: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(np.asarray(mask) >= threshold)
    if len(xs) == 0:
        raise StudioError("The person mask is empty, so there is no surface to reconstruct; "
                          "pick a frame where the person is detected.")
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _moved_landmarks(points, x0: int, y0: int, scale: float):
    """A copy of (N, 3) [x, y, z-or-confidence] landmarks with x, y in view pixels (the third
    column as it is), or None."""
    if points is None:
        return None
    p = np.array(points, np.float32, copy=True)
    p[:, 0] = (p[:, 0] - x0 + 0.5) * scale - 0.5
    p[:, 1] = (p[:, 1] - y0 + 0.5) * scale - 0.5
    return p


def working_view(image: np.ndarray | None, mask: np.ndarray, observation: Observation,
                 camera: Camera, work_size: int = 1024, threshold: float = 0.5,
                 margin: float = 0.06) -> WorkingView:
    """The person's part of the frame at no more than ``work_size`` pixels on the person box's
    longer side.

    image: (H, W, 3) uint8 RGB or None. mask: (H, W) float soft person mask. observation: the
    frame's detection (pixel coordinates are moved into the view). camera: the frame's
    intrinsics at (W, H). margin: fraction of the person box's longer side kept around it.
    """
    m = np.asarray(mask, np.float32)
    H, W = m.shape
    bx0, by0, bx1, by1 = _person_box(m, threshold)
    pad = int(math.ceil(margin * max(bx1 - bx0, by1 - by0))) + 8
    x0, y0 = max(bx0 - pad, 0), max(by0 - pad, 0)
    x1, y1 = min(bx1 + pad, W), min(by1 + pad, H)
    extent = max(bx1 - bx0, by1 - by0)
    scale = min(1.0, float(work_size) / extent) if work_size > 0 else 1.0
    crop_cam = Camera(camera.fx, camera.fy, camera.cx - x0, camera.cy - y0, x1 - x0, y1 - y0)
    m = m[y0:y1, x0:x1]
    img = None if image is None else np.asarray(image)[y0:y1, x0:x1]
    if scale < 1.0:
        cam = crop_cam.scaled(scale)
        size = (cam.width, cam.height)
        m = cv2.resize(m, size, interpolation=cv2.INTER_AREA)
        if img is not None:
            img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    else:
        cam = crop_cam
    obs = observation
    moved = {"keypoints2d": _moved_landmarks(obs.keypoints2d, x0, y0, scale),
             "mask": m, "width": cam.width, "height": cam.height}
    for name in ("face", "left_hand", "right_hand"):
        if hasattr(obs, name):
            pts = _moved_landmarks(getattr(obs, name), x0, y0, scale)
            if pts is not None:
                pts[:, 2] *= scale                     # z is in pixels too
            moved[name] = pts
    bb = np.asarray(obs.bbox, np.float32).reshape(2, 2)
    moved["bbox"] = _moved_landmarks(np.c_[bb, np.zeros(2)], x0, y0, scale)[:, :2].reshape(4)
    return WorkingView(None if img is None else np.ascontiguousarray(img),
                       np.ascontiguousarray(m, np.float32), cam, replace(obs, **moved),
                       x0, y0, scale, (W, H))


# ---- grid plan and memory -------------------------------------------------------------------
def available_memory() -> int | None:
    """Bytes of memory the system can give now (MemAvailable on Linux), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


@dataclass
class SurfacePlan:
    """The grids a surface will use and what they cost, decided before the job starts.

    mode: "depth" or "implicit". cells: the detail budget used (depth: cells along the person
    box's longer side; implicit: voxels along the volume's longest side). step: depth mode's
    pixels (of the working view) per cell. shape: estimated (nx, ny, nz) of the volume.
    estimate: bytes at peak. limit: bytes allowed. notes: sentences about changes (coarsened).
    """

    mode: str
    cells: int
    step: float
    shape: tuple[int, int, int]
    estimate: int
    limit: int | None
    notes: list[str] = field(default_factory=list)


def _estimate(mode: str, cells: int, extent_px: float, box_px: tuple[float, float],
              depth_ratio: float, work_pixels: int, garment_voxels: int
              ) -> tuple[int, tuple[int, int, int], float]:
    """(bytes, (nx, ny, nz), step) of one budget. box_px: person box (w, h) in view pixels;
    depth_ratio: the body's depth range over its longer image extent (metric)."""
    longer = max(box_px)
    if mode == "depth":
        step = max(1.0, extent_px / cells)
        nx, ny = (int(math.ceil(b / step)) + 8 for b in box_px)
        nz = min(DEPTH_SLICES, int(math.ceil(depth_ratio * longer / step)) + 6)
        grid = nx * ny * nz * BYTES_PER_DEPTH_CELL
    else:
        step = longer / cells
        nx, ny = (int(math.ceil(b / step)) + 2 for b in box_px)
        nz = int(math.ceil(depth_ratio * cells)) + 2
        grid = nx * ny * nz * BYTES_PER_IMPLICIT_VOXEL
    total = (BASE_BYTES + grid + work_pixels * BYTES_PER_WORK_PIXEL
             + garment_voxels * BYTES_PER_GARMENT_VOXEL)
    return int(total), (nx, ny, nz), float(step)


def plan_surface(view: WorkingView, body_vertices: np.ndarray, config: SurfaceConfig
                 ) -> SurfacePlan:
    """The grid budget of ``config.mode`` for this person, checked against the memory allowed.

    body_vertices: (V, 3) camera frame metres (the fitted body: its depth range sizes the
    volume). raises StudioError when even the coarsest budget would not fit, or when
    ``config.budget.over_budget`` is "refuse" and the requested one does not.
    """
    mode = config.mode
    thr = config.mask_threshold
    bx0, by0, bx1, by1 = _person_box(view.mask, thr)
    box = (float(bx1 - bx0), float(by1 - by0))
    bv = np.asarray(body_vertices, np.float64)
    z = float(np.median(bv[:, 2]))
    extent_m = max(box) * z / view.camera.fx
    depth_ratio = (float(np.ptp(bv[:, 2])) + 0.3) / max(extent_m, 1e-3)
    work_pixels = int(view.mask.size)
    g = config.garment
    span = np.ptp(bv, axis=0) + 0.2
    garment_voxels = int(np.prod(np.ceil(span / g.voxel) + 4)) if g.enabled else 0
    requested = config.depth.cells if mode == "depth" else config.implicit.resolution
    floor = MIN_DEPTH_CELLS if mode == "depth" else MIN_IMPLICIT_RESOLUTION
    b = config.budget
    if b.max_memory_gb is not None:
        limit: int | None = int(b.max_memory_gb * 2**30)
    else:
        avail = available_memory()
        limit = None if avail is None else int(0.6 * avail)
    cells = int(requested)
    est, shape, step = _estimate(mode, cells, max(box), box, depth_ratio, work_pixels,
                                 garment_voxels)
    notes: list[str] = []
    if limit is not None and est > limit:
        need = f"about {est / 2**30:.1f} GB of memory but {limit / 2**30:.1f} GB is available"
        if b.over_budget == "refuse":
            raise StudioError(f"This {mode} surface would need {need}; choose a lower detail "
                              "or close other programs and try again.")
        while est > limit and cells > floor:
            cells = max(floor, int(cells * 0.85))
            est, shape, step = _estimate(mode, cells, max(box), box, depth_ratio, work_pixels,
                                         garment_voxels)
        if est > limit:
            raise StudioError(f"Even at the lowest detail this {mode} surface would need "
                              f"{need}; close other programs and try again.")
        notes.append(f"The {mode} surface ran at a coarser detail ({cells} cells instead of "
                     f"{requested}) to fit in the {limit / 2**30:.1f} GB of memory available.")
    return SurfacePlan(mode, cells, step, shape, est, limit, notes)
