"""Smooth (harmonic) completion of a 2D field over a mask: solve Laplace's equation with
Dirichlet values where the field is known, by one sparse direct solve (scipy)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def harmonic_fill(values: np.ndarray, known: np.ndarray, domain: np.ndarray,
                  boundary_value: float | None = None) -> np.ndarray:
    """Fill ``values`` inside ``domain`` where not ``known`` so that the result is harmonic.

    values: (H, W) float, the field where ``known`` (other entries are ignored).
    known: (H, W) bool, Dirichlet pixels (their values are kept).
    domain: (H, W) bool, where the field lives; unknown pixels are domain & ~known.
    boundary_value: None for a natural (Neumann, zero-slope) condition at the domain's edge, or
        a number that the field takes just outside the domain (Dirichlet there).
    returns: (H, W) float64, the filled field inside ``domain``, ``values`` where known, and 0
        elsewhere. A connected part of the domain with no known pixel and no Dirichlet edge is
        set to the mean of the known values (a tiny regulariser keeps the system solvable).
    """
    vals = np.where(known, np.asarray(values, np.float64), 0.0)
    known = np.asarray(known, bool)
    unknown = np.asarray(domain, bool) & ~known
    out = np.where(known, vals, 0.0)
    n = int(unknown.sum())
    if n == 0:
        return out
    H, W = unknown.shape
    idx = np.full((H, W), -1, np.int64)
    idx[unknown] = np.arange(n)
    ys, xs = np.nonzero(unknown)
    fallback = float(vals[known].mean()) if known.any() else (boundary_value or 0.0)
    eps = 1e-8
    diag = np.full(n, eps)
    rhs = np.full(n, eps * fallback)
    rows, cols = [], []
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < H) & (nx >= 0) & (nx < W)
        nyc, nxc = np.clip(ny, 0, H - 1), np.clip(nx, 0, W - 1)
        nb_unknown = inside & unknown[nyc, nxc]
        nb_known = inside & known[nyc, nxc]
        nb_outside = ~(nb_unknown | nb_known)
        # Each neighbour in the stencil adds 1 to the diagonal and -1 off it (or to the rhs).
        diag += nb_unknown | nb_known
        rhs += np.where(nb_known, vals[nyc, nxc], 0.0)
        rows.append(np.nonzero(nb_unknown)[0])
        cols.append(idx[nyc, nxc][nb_unknown])
        if boundary_value is not None:
            diag += nb_outside
            rhs += np.where(nb_outside, float(boundary_value), 0.0)
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    A = sp.csr_matrix((np.concatenate([diag, -np.ones(len(r))]),
                       (np.concatenate([np.arange(n), r]), np.concatenate([np.arange(n), c]))),
                      shape=(n, n))
    out[unknown] = spla.spsolve(A.tocsc(), rhs)
    return out
