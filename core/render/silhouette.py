"""A differentiable silhouette loss for body fitting, cheap on CPU (point-based, no rasterizer).

Two one-sided distances between the projected vertices and the person mask, both measured in
mask pixels and divided by the mask's longer side (so 0.01 means 1 % of the image extent):

* **inside**: every vertex must project inside the mask. A precomputed distance transform of the
  mask's outside is sampled (bilinear, ``grid_sample``) at each projected vertex; vertices that
  leave the image also pay their distance to the image border, so the pull never vanishes.
* **cover**: the body must reach every part of the mask. Points sampled along the mask's contour
  take the distance to the nearest projected vertex (of a fixed subset of at most
  ``max_vertices`` vertices, which keeps the pairwise distances small).

Why not a soft rasterizer: splatting or soft-rasterizing 27k triangles costs far more than the
10 ms budget on a 2-core CPU, and its gradients vanish when the body and the mask do not overlap,
while these distance terms pull from anywhere in (and outside) the image.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from core.types import Camera

#: Vertices closer than this (metres) are projected as if at this depth, keeping gradients finite.
NEAR = 1e-3


@dataclass
class SilhouetteTarget:
    """A person mask prepared for ``loss``. Build it with ``SilhouetteTarget.from_mask``.

    camera: intrinsics at the mask's (reduced) resolution; mask: (h, w) float32 {0, 1}.
    outside: (1, 1, h, w) float32, distance in pixels from each pixel to the mask (0 inside).
    contour: (K, 2) float32 pixel coordinates [x, y] of points along the mask's outline.
    max_vertices: size of the vertex subset the cover term compares with the contour.
    """

    camera: Camera
    mask: torch.Tensor
    outside: torch.Tensor
    contour: torch.Tensor
    max_vertices: int = 2048

    @classmethod
    def from_mask(cls, mask: np.ndarray, camera: Camera, max_side: int = 256,
                  n_contour: int = 384, max_vertices: int = 2048) -> "SilhouetteTarget":
        """Prepare ``mask`` for fitting.

        mask: (H, W) bool or float in [0, 1] (thresholded at 0.5), at the resolution of ``camera``.
        camera: intrinsics of the image the mask belongs to.
        max_side: the mask is reduced so its longer side is at most this many pixels.
        n_contour: number of contour points of the cover term.
        Raises ValueError for an empty mask (nothing to fit against).
        """
        m = np.asarray(mask)
        m = (m >= 0.5) if m.dtype != bool else m
        H, W = m.shape
        if not m.any():
            raise ValueError("The person mask is empty; there is no silhouette to fit.")
        factor = min(1.0, max_side / max(H, W))
        cam = camera if factor == 1.0 else camera.scaled(factor)
        small = m.astype(np.float32)
        if (cam.width, cam.height) != (W, H):
            small = cv2.resize(small, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
        binary = (small >= 0.5).astype(np.uint8)
        if not binary.any():  # a sliver that vanished when reduced: keep its brightest pixels
            binary = (small >= small.max() * 0.5).astype(np.uint8)
        outside = cv2.distanceTransform(1 - binary, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        pts = np.concatenate([c.reshape(-1, 2) for c in contours], 0).astype(np.float32)
        if len(pts) > n_contour:
            pts = pts[np.linspace(0, len(pts) - 1, n_contour).round().astype(np.int64)]
        return cls(cam, torch.from_numpy(binary.astype(np.float32)),
                   torch.from_numpy(outside.astype(np.float32))[None, None],
                   torch.from_numpy(pts), max_vertices)

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        """(B, V, 2) pixel coordinates at mask resolution of (B, V, 3) camera-frame vertices
        (metres); depths below NEAR are clamped so the result and its gradient stay finite."""
        c = self.camera
        z = vertices[..., 2].clamp(min=NEAR)
        return torch.stack([c.fx * vertices[..., 0] / z + c.cx,
                            c.fy * vertices[..., 1] / z + c.cy], -1)

    def loss(self, vertices: torch.Tensor, faces: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) silhouette loss: inside + cover terms, in units of the mask's longer side.

        vertices: (B, V, 3) or (V, 3) float torch, camera frame, metres (of the full-size camera
            the target was made with). faces: unused by this point-based loss (accepted so a
            rasterizing loss can take its place).
        """
        inside, cover = self.terms(vertices)
        return inside + cover

    def terms(self, vertices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two terms of ``loss`` separately, each (B,)."""
        if vertices.dim() == 2:
            vertices = vertices[None]
        dtype = vertices.dtype
        p = self.project(vertices)                                   # (B, V, 2)
        h, w = self.mask.shape
        scale = 1.0 / max(h, w)
        # inside: distance-transform sample at the clamped position + distance to the image.
        lo = p.new_tensor([0.0, 0.0])
        hi = p.new_tensor([w - 1.0, h - 1.0])
        pc = torch.maximum(torch.minimum(p, hi), lo)
        beyond = torch.sqrt(((p - pc) ** 2).sum(-1) + 1e-6) - 1e-3
        grid = (pc * (2.0 / torch.clamp(hi, min=1.0)) - 1.0)[:, :, None, :]   # (B, V, 1, 2)
        dist = F.grid_sample(self.outside.to(dtype).expand(len(p), -1, -1, -1), grid,
                             mode="bilinear", padding_mode="border", align_corners=True)
        inside = (dist[:, 0, :, 0] + beyond).mean(1) * scale
        # cover: each contour point to its nearest projected vertex (of a fixed subset).
        step = max(1, -(-p.shape[1] // self.max_vertices))
        sub = p[:, ::step]                                           # (B, S, 2)
        c = self.contour.to(dtype)[None].expand(len(p), -1, -1)   # (B, K, 2)
        with torch.no_grad():  # nearest vertex by |c|^2 + |s|^2 - 2 c.s (one matmul) ...
            d2 = ((c * c).sum(-1)[:, :, None] + (sub * sub).sum(-1)[:, None, :]
                  - 2.0 * torch.bmm(c, sub.transpose(1, 2)))
            nearest = d2.argmin(2)                                   # (B, K)
        # ... then the exact distance, and its gradient, for those pairs only.
        q = torch.gather(sub, 1, nearest[..., None].expand(-1, -1, 2))
        cover = torch.sqrt(((c - q) ** 2).sum(-1) + 1e-6).mean(1) * scale
        return inside, cover


def silhouette_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (H, W) bool masks; 1.0 when both are empty."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union
