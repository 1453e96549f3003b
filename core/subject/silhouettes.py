"""The person masks of many frames as one batch: the silhouette terms of N posed avatars at once.

Same two terms as core.render.silhouette.SilhouetteTarget (inside: distance transform of the
mask's outside sampled at each projected vertex; cover: each contour point to its nearest
projected vertex), in the same units (pixels / the mask's longer side), but one grid_sample and
one batched matrix product for every frame instead of a Python loop over frames. Frames of one
video share their camera, so their masks have the same size; targets of different sizes fall
back to a loop over SilhouetteTarget.terms (same values).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from core.render.silhouette import NEAR, SilhouetteTarget


class FrameSilhouettes:
    """N silhouette targets stacked. ``terms(rows, vertices)`` -> (inside (B,), cover (B,))."""

    def __init__(self, targets: list[SilhouetteTarget]) -> None:
        self.targets = targets
        sizes = {tuple(t.mask.shape) for t in targets}
        cams = {(t.camera.fx, t.camera.fy, t.camera.cx, t.camera.cy) for t in targets}
        self.stacked = len(sizes) == 1 and len(cams) == 1
        if not self.stacked:
            return
        c = targets[0].camera
        self.f = (c.fx, c.fy, c.cx, c.cy)
        h, w = targets[0].mask.shape
        self.h, self.w, self.scale = h, w, 1.0 / max(h, w)
        self.outside = torch.cat([t.outside for t in targets])          # (N, 1, h, w)
        k = max(len(t.contour) for t in targets)
        self.contour = torch.zeros(len(targets), k, 2)
        self.valid = torch.zeros(len(targets), k)
        for i, t in enumerate(targets):
            self.contour[i, :len(t.contour)] = t.contour
            self.valid[i, :len(t.contour)] = 1.0

    @staticmethod
    def _all(rows: torch.Tensor) -> torch.Tensor:
        return torch.arange(len(rows), device=rows.device)

    def terms(self, rows: torch.Tensor, vertices: torch.Tensor, cover_vertices: int | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Silhouette terms of the avatars posed in frames ``rows``.

        rows: (B,) int64 frame rows. vertices: (B, K, 3) camera frame, metres.
        cover_vertices: the cover term compares the contour with the first this many vertices
            only (None: all K).
        returns: inside (B,), cover (B,), in units of the mask's longer side.
        """
        nc = vertices.shape[1] if cover_vertices is None else cover_vertices
        if not self.stacked:
            ins, cov = [], []
            for k, r in enumerate(rows.tolist()):
                i = self.targets[r].terms(vertices[k:k + 1])[0]
                c = self.targets[r].terms(vertices[k:k + 1, :nc])[1]
                ins.append(i[0])
                cov.append(c[0])
            return torch.stack(ins), torch.stack(cov)
        fx, fy, cx, cy = self.f
        z = vertices[..., 2].clamp(min=NEAR)
        p = torch.stack([fx * vertices[..., 0] / z + cx, fy * vertices[..., 1] / z + cy], -1)
        lo = p.new_tensor([0.0, 0.0])
        hi = p.new_tensor([self.w - 1.0, self.h - 1.0])
        pc = torch.maximum(torch.minimum(p, hi), lo)
        beyond = torch.sqrt(((p - pc) ** 2).sum(-1) + 1e-6) - 1e-3
        grid = (pc * (2.0 / torch.clamp(hi, min=1.0)) - 1.0)[:, :, None, :]
        every = len(rows) == len(self.targets) and bool((rows == self._all(rows)).all())
        outside = self.outside if every else self.outside[rows]     # no 50 MB copy per step
        dist = F.grid_sample(outside.to(p.dtype), grid, mode="bilinear",
                             padding_mode="border", align_corners=True)
        inside = (dist[:, 0, :, 0] + beyond).mean(1) * self.scale
        sub = p[:, :nc]
        c = (self.contour if every else self.contour[rows]).to(p.dtype)
        with torch.no_grad():  # nearest vertex: argmin of |s|^2 - 2 c.s (|c|^2 is constant)
            d2 = torch.baddbmm((sub * sub).sum(-1)[:, None, :], c, sub.transpose(1, 2),
                               alpha=-2.0)
            nearest = d2.argmin(2)
        q = torch.gather(sub, 1, nearest[..., None].expand(-1, -1, 2))
        d = torch.sqrt(((c - q) ** 2).sum(-1) + 1e-6)
        valid = (self.valid if every else self.valid[rows]).to(p.dtype)
        cover = (d * valid).sum(1) / valid.sum(1).clamp_min(1.0) * self.scale
        return inside, cover
