"""Folds from the image: shading-based detail on the visible side of the garments.

The surface from the mask and the body is smooth where cloth folds. The image's shading shows
the folds, so on the visible side:

1. The surface is rasterized into a fold grid over the person (``FoldConfig.cells`` on the
   person's longer side): front depth and interpolated normals n0 per cell.
2. The light is estimated by comparing the image intensity with n0 over the garment regions
   of even colour (core/surface/labels.py): each region's intensity is divided by its median
   (its albedo), low-passed at the fold scale (the smooth surface cannot explain the folds),
   and low-order spherical harmonics (``sh_order``) are fitted to all regions together (a
   robust least squares). If the fit explains less than ``min_fit`` of that variance, the
   shading is not trusted (flat light, a print everywhere) and nothing changes.
3. The residual intensity (what the smooth surface does not explain) is high-passed at the
   fold scale (``highpass``: the coarse shape's own slow errors do not become relief), clipped
   (``max_residual``: sharp print edges are bounded) and ignored on pixels whose chroma differs
   from their region's (print and texture change colour, shading does not).
4. A depth offset u (in cells) is solved for on each garment region by linear least squares:
   the shading's first-order change with the surface slope, (ds/dp, ds/dq) . grad u, should
   explain the residual, with a small bending (Laplacian) and damping term and u = 0 outside
   the region, so folds fade out at region borders and at the silhouette.
5. Visible vertices move along their camera rays by the offset (at most ``max_depth``).
"""
from __future__ import annotations

import cv2
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.ndimage import distance_transform_edt

from core.render.raster import rasterize

from .config import FoldConfig
from .grid import PixelGrid
from .labels import GARMENT


def sh_basis(n: np.ndarray, order: int = 2) -> np.ndarray:
    """(N, 4) or (N, 9) real spherical-harmonic basis (unnormalised) of unit normals (N, 3)."""
    x, y, z = n[:, 0], n[:, 1], n[:, 2]
    cols = [np.ones_like(x), x, y, z]
    if order >= 2:
        cols += [x * y, x * z, y * z, x * x - y * y, 3.0 * z * z - 1.0]
    return np.stack(cols, 1)


def _normal_of_slope(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(N, 3) unit normals facing the camera of a depth surface z(X, Y) with slopes p = dz/dX,
    q = dz/dY (camera frame: the normal is (p, q, -1) normalised)."""
    n = np.stack([p, q, -np.ones_like(p)], 1)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _fit_light(basis: np.ndarray, y: np.ndarray, iterations: int = 3) -> tuple[np.ndarray, float]:
    """Robust (Huber) least squares of y ~ basis @ c: (c, R^2)."""
    w = np.ones(len(y))
    c = np.zeros(basis.shape[1])
    for _ in range(iterations):
        sw = np.sqrt(w)[:, None]
        c, *_ = np.linalg.lstsq(basis * sw, y * sw[:, 0], rcond=None)
        r = y - basis @ c
        s = 1.4826 * np.median(np.abs(r)) + 1e-6
        a = np.abs(r) / (1.5 * s)
        w = np.where(a <= 1.0, 1.0, 1.0 / np.maximum(a, 1e-6))
    r = y - basis @ c
    tot = float(((y - y.mean()) ** 2).sum()) + 1e-12
    return c, 1.0 - float((r ** 2).sum()) / tot


def _solve_offsets(domain: np.ndarray, data: np.ndarray, ap: np.ndarray, aq: np.ndarray,
                   r: np.ndarray, smoothness: float, damping: float) -> np.ndarray:
    """(ny, nx) float64 offsets u (cells) on ``domain`` minimising
    sum_data (ap du/dx + aq du/dy - r)^2 + smoothness sum (lap u)^2 + damping sum u^2,
    with u = 0 outside the domain (forward differences)."""
    ny, nx = domain.shape
    idx = np.full(domain.shape, -1, np.int64)
    n = int(domain.sum())
    idx[domain] = np.arange(n)
    rows, cols, vals, rhs = [], [], [], []
    eq = 0

    def col_of(jj, ii):
        ok = (jj >= 0) & (jj < ny) & (ii >= 0) & (ii < nx)
        c = np.full(jj.shape, -1, np.int64)
        c[ok] = idx[jj[ok], ii[ok]]
        return c

    # Data terms at the data cells: ap (u[j, i+1] - u[j, i]) + aq (u[j+1, i] - u[j, i]) = r.
    jj, ii = np.nonzero(data & domain)
    m = len(jj)
    c0, cx, cy = col_of(jj, ii), col_of(jj, ii + 1), col_of(jj + 1, ii)
    e = eq + np.arange(m)
    for c, v in ((c0, -(ap[jj, ii] + aq[jj, ii])), (cx, ap[jj, ii]), (cy, aq[jj, ii])):
        ok = c >= 0
        rows.append(e[ok]); cols.append(c[ok]); vals.append(v[ok])
    rhs.append(r[jj, ii])
    eq += m
    # Bending: the 5-point Laplacian at every domain cell.
    jj, ii = np.nonzero(domain)
    m = len(jj)
    e = eq + np.arange(m)
    ws = np.sqrt(smoothness)
    rows.append(e); cols.append(col_of(jj, ii)); vals.append(np.full(m, -4.0 * ws))
    for dj, di in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        c = col_of(jj + dj, ii + di)
        ok = c >= 0
        rows.append(e[ok]); cols.append(c[ok]); vals.append(np.full(int(ok.sum()), ws))
    rhs.append(np.zeros(m))
    eq += m
    # Damping.
    e = eq + np.arange(n)
    rows.append(e); cols.append(np.arange(n)); vals.append(np.full(n, np.sqrt(damping)))
    rhs.append(np.zeros(n))
    eq += n
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(eq, n))
    b = np.concatenate(rhs)
    u = spla.spsolve((A.T @ A).tocsc(), A.T @ b)
    out = np.zeros(domain.shape)
    out[domain] = u
    return out


def add_folds(vertices: np.ndarray, faces: np.ndarray, person, config: FoldConfig,
              threshold: float = 0.5) -> tuple[np.ndarray, str | None]:
    """Vertices (V, 3) float32 moved along their camera rays by the fold offsets (see the module
    docstring), and a note when the shading was not used (else None).

    vertices: (V, 3) float, camera frame metres; faces (F, 3) outward. person: the frame's
    core.surface.person.PersonContext (working view with its image, labels).
    """
    from core.texture.vertex_colors import vertex_normals
    from core.texture.visibility import depth_buffer, visible_points

    view = person.view
    if view.image is None:
        return np.asarray(vertices, np.float32), None
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    person_mask = view.mask >= threshold
    ys, xs = np.nonzero(person_mask)
    extent = max(np.ptp(xs), np.ptp(ys)) + 1
    step = max(1.0, extent / max(int(config.cells), 16))
    grid = PixelGrid.around(person_mask, view.camera, step, pad_cells=2)
    r = rasterize(v, f, grid.camera, barycentric=True)
    hit = r.face >= 0
    vn = vertex_normals(v, f)
    n0 = np.zeros(r.face.shape + (3,))
    n0[hit] = (r.barycentric[hit][:, :, None] * vn[f[r.face[hit]]]).sum(1)
    n0 /= np.maximum(np.linalg.norm(n0, axis=2, keepdims=True), 1e-12)
    # Image intensity and chroma on the fold grid (cell-averaged).
    img = view.image.astype(np.float32)
    inten = grid.sample(img.mean(2) / 255.0)
    lab = cv2.cvtColor(view.image, cv2.COLOR_RGB2LAB).astype(np.float32)
    chroma = np.stack([grid.sample(lab[..., 1]), grid.sample(lab[..., 2])], -1)
    cu = grid.x0 + grid.step * np.arange(grid.nx)
    cv_ = grid.y0 + grid.step * np.arange(grid.ny)
    gu, gv = np.meshgrid(cu, cv_)
    region = person.labels.at_pixels(view.to_full(np.c_[gu.ravel(), gv.ravel()])).reshape(gu.shape)
    inside = grid.mask_sdf(person_mask) > 2.0
    facing = hit & (n0[..., 2] < -0.25)
    garment = (region >= GARMENT) & inside & facing
    if garment.sum() < 50:
        return v.astype(np.float32), None
    # Per region: albedo (median intensity), print (chroma far from the region's).
    y = np.zeros(inten.shape)
    usable = np.zeros(inten.shape, bool)
    for k in np.unique(region[garment]):
        sel = garment & (region == k)
        if sel.sum() < 30:
            continue
        rho = float(np.median(inten[sel]))
        if rho < 0.04:                                   # too dark to show shading
            continue
        y[sel] = inten[sel] / rho
        ch = np.median(chroma[sel], 0)
        plain = np.linalg.norm(chroma - ch, axis=2) < config.print_chroma
        usable |= sel & plain
    if usable.sum() < 50:
        return v.astype(np.float32), None
    # The light is fitted to the slow part of the shading (the smooth surface cannot explain
    # the folds; they are what is left).
    z_med = float(np.median(r.depth[hit]))
    m_per_cell = grid.step * z_med / view.camera.fx
    sigma = max(config.highpass / m_per_cell, 1.0)
    wsum = cv2.GaussianBlur(usable.astype(np.float32), (0, 0), sigma)
    y_low = cv2.GaussianBlur(np.where(usable, y, 0.0).astype(np.float32), (0, 0), sigma) / \
        np.maximum(wsum, 1e-6)
    B = sh_basis(n0[usable], config.sh_order)
    c, r2 = _fit_light(B, y_low[usable])
    if r2 < config.min_fit:
        return v.astype(np.float32), (f"The shading explains too little of the garments' "
                                      f"brightness (R\u00b2 {r2:.2f}), so no folds were added.")
    shade = np.zeros(inten.shape)
    shade[garment] = sh_basis(n0[garment], config.sh_order) @ c
    resid = np.where(usable, y - shade, 0.0)
    # High-pass at the fold scale (normalised Gaussian over the usable cells).
    low = cv2.GaussianBlur(resid.astype(np.float32), (0, 0), sigma) / np.maximum(wsum, 1e-6)
    resid = np.clip(np.where(usable, resid - low, 0.0), -config.max_residual, config.max_residual)
    # Shading's first-order change with the slope (p, q) = (dz/dX, dz/dY), per cell.
    nz = np.minimum(n0[..., 2], -1e-3)
    p0, q0 = -n0[..., 0] / nz, -n0[..., 1] / nz
    eps = 1e-3
    ap = np.zeros(inten.shape)
    aq = np.zeros(inten.shape)
    gj, gi = np.nonzero(garment)
    P, Q = p0[gj, gi], q0[gj, gi]
    s = lambda pp, qq: sh_basis(_normal_of_slope(pp, qq), config.sh_order) @ c  # noqa: E731
    ap[gj, gi] = (s(P + eps, Q) - s(P - eps, Q)) / (2 * eps)
    aq[gj, gi] = (s(P, Q + eps) - s(P, Q - eps)) / (2 * eps)
    u = _solve_offsets(garment, usable, ap, aq, resid, config.smoothness, config.damping)
    delta = u * m_per_cell
    # Fade out over a few cells at the border of the garment regions.
    fade = np.clip(distance_transform_edt(garment) / 3.0, 0.0, 1.0)
    delta = np.clip(delta * fade, -config.max_depth, config.max_depth).astype(np.float32)
    # Move the visible vertices along their rays.
    depth, scale = depth_buffer(v, f, view.camera)
    seen = visible_points(v, vn, depth, scale, view.camera)
    uv = view.camera.project(v[seen])
    gx = (uv[:, 0] - grid.x0) / grid.step
    gy = (uv[:, 1] - grid.y0) / grid.step
    from core.texture.sampling import sample_bilinear

    d = sample_bilinear(delta, np.c_[gx, gy], border=0.0).astype(np.float64)
    out = v.copy()
    out[seen] *= ((v[seen, 2] + d) / v[seen, 2])[:, None]
    return out.astype(np.float32), None
