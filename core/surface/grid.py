"""A pixel-aligned sampling grid over the person: the image region around the mask, sampled
every ``step`` pixels, with a camera whose pixels are the grid's cells."""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import distance_transform_edt

from core.errors import StudioError
from core.types import Camera


@dataclass
class PixelGrid:
    """Grid cell (i, j) (column, row) samples image pixel (x0 + i * step, y0 + j * step).

    x0, y0: image pixel coordinates of cell (0, 0). step: pixels per cell. nx, ny: cells.
    camera: intrinsics whose pixel (i, j) is cell (i, j) (rasterize into the grid with it).
    """

    x0: float
    y0: float
    step: float
    nx: int
    ny: int
    camera: Camera

    @classmethod
    def around(cls, mask: np.ndarray, camera: Camera, step: float, pad_cells: int = 3) -> "PixelGrid":
        """The grid over the bounding box of ``mask`` ((H, W) bool), ``pad_cells`` beyond it."""
        ys, xs = np.nonzero(mask)
        if len(xs) == 0:
            raise StudioError("The person mask is empty, so there is no surface to reconstruct; "
                              "pick a frame where the person is detected.")
        x0 = float(xs.min()) - pad_cells * step
        y0 = float(ys.min()) - pad_cells * step
        nx = int(math.ceil((xs.max() - x0) / step)) + pad_cells + 1
        ny = int(math.ceil((ys.max() - y0) / step)) + pad_cells + 1
        cam = Camera(camera.fx / step, camera.fy / step, (camera.cx - x0) / step,
                     (camera.cy - y0) / step, nx, ny)
        return cls(x0, y0, float(step), nx, ny, cam)

    def sample(self, image: np.ndarray) -> np.ndarray:
        """(ny, nx) float32 values of a (H, W) float image at the cells, box-averaged over a
        cell (so thin structures keep their share) and 0 outside the image."""
        img = np.asarray(image, np.float32)
        k = 2 * int(self.step // 2) + 1           # odd, so the average is centred on the cell
        if k > 1:
            img = cv2.blur(img, (k, k))
        return self.sample_points(img, interpolation=cv2.INTER_LINEAR)

    def sample_points(self, image: np.ndarray, interpolation: int = cv2.INTER_LINEAR,
                      border: float = 0.0) -> np.ndarray:
        """(ny, nx) float32 values of a (H, W) float image at the cell centres (no averaging);
        ``border`` outside the image."""
        mx = (self.x0 + self.step * np.arange(self.nx, dtype=np.float32))[None, :].repeat(self.ny, 0)
        my = (self.y0 + self.step * np.arange(self.ny, dtype=np.float32))[:, None].repeat(self.nx, 1)
        return cv2.remap(np.asarray(image, np.float32), mx, my, interpolation,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=float(border))

    def mask_sdf(self, mask: np.ndarray) -> np.ndarray:
        """(ny, nx) float32 signed distance in cells from each cell centre to the outline of the
        full-resolution ``mask`` ((H, W) bool): computed at full resolution inside the grid's
        box (so the outline is exact to the pixel), then sampled bilinearly."""
        H, W = mask.shape
        xa = max(int(np.floor(self.x0)) - 2, 0)
        ya = max(int(np.floor(self.y0)) - 2, 0)
        xb = min(int(np.ceil(self.x0 + self.step * (self.nx - 1))) + 3, W)
        yb = min(int(np.ceil(self.y0 + self.step * (self.ny - 1))) + 3, H)
        crop = np.zeros((yb - ya + 2, xb - xa + 2), bool)          # a ring of outside pixels
        crop[1:-1, 1:-1] = mask[ya:yb, xa:xb]
        sdf = signed_distance_2d(crop)
        moved = PixelGrid(self.x0 - xa + 1, self.y0 - ya + 1, self.step, self.nx, self.ny,
                          self.camera)
        far = -float(max(H, W))
        return moved.sample_points(sdf, border=far) / self.step

    def to_camera(self, i: np.ndarray, j: np.ndarray, z: np.ndarray, camera: Camera) -> np.ndarray:
        """(N, 3) float64 camera-frame points (metres) of fractional cells (i, j) at depth z."""
        u = self.x0 + self.step * np.asarray(i, np.float64)
        v = self.y0 + self.step * np.asarray(j, np.float64)
        z = np.asarray(z, np.float64)
        return np.stack([(u - camera.cx) * z / camera.fx, (v - camera.cy) * z / camera.fy, z], -1)


def signed_distance_2d(inside: np.ndarray) -> np.ndarray:
    """(H, W) float32 signed distance in pixels to the outline of ``inside`` ((H, W) bool):
    positive inside, negative outside, about +-0.5 on the pixels next to the outline."""
    d_in = distance_transform_edt(inside)
    d_out = distance_transform_edt(~inside)
    return np.where(inside, d_in - 0.5, 0.5 - d_out).astype(np.float32)
