"""Mesh clean-up shared by both surface modes: marching cubes, Taubin smoothing, largest part."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


def extract_isosurface(field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero level set of ``field`` by marching cubes (pymcubes), closed by construction.

    field: (X, Y, Z) float, positive inside, any unit. The volume is padded with a negative
        border first, so the surface never touches the grid's edge and comes out closed.
    returns: vertices (V, 3) float64 in grid-index coordinates of the *unpadded* field (index i
        along axis 0, ...), faces (F, 3) int64 with outward normals.
    """
    import mcubes

    f = np.asarray(field, np.float64)
    lo = float(np.nanmin(f)) if f.size else -1.0
    f = np.pad(f, 1, constant_values=min(lo, -1e-3))
    # A field value of exactly 0 on a grid point gives degenerate triangles; nudge it.
    f[f == 0.0] = -1e-9
    v, t = mcubes.marching_cubes(f, 0.0)
    return v - 1.0, t.astype(np.int64)


def weld_and_clean(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop degenerate faces (repeated vertex index) and unused vertices.

    vertices: (V, 3) float. faces: (F, 3) int. returns the cleaned (vertices, faces int64).
    """
    f = np.asarray(faces, np.int64)
    ok = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 2] != f[:, 0])
    f = f[ok]
    used = np.zeros(len(vertices), bool)
    used[f.ravel()] = True
    remap = np.cumsum(used) - 1
    return np.asarray(vertices)[used], remap[f]


def largest_component(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The connected part (through shared vertices) with the most faces.

    vertices: (V, 3) float. faces: (F, 3) int. returns (vertices, faces int64) re-indexed.
    """
    f = np.asarray(faces, np.int64)
    if len(f) == 0:
        return np.asarray(vertices), f
    n = len(vertices)
    rows = np.concatenate([f[:, 0], f[:, 1]])
    cols = np.concatenate([f[:, 1], f[:, 2]])
    graph = sp.coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    face_label = label[f[:, 0]]
    keep = face_label == np.bincount(face_label).argmax()
    return weld_and_clean(vertices, f[keep])


def neighbour_mean_matrix(faces: np.ndarray, n: int) -> sp.csr_matrix:
    """(n, n) row-normalised vertex adjacency (uniform Laplacian weights)."""
    f = np.asarray(faces, np.int64)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    a = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    a.data[:] = 1.0                                   # duplicates summed -> 1
    deg = np.asarray(a.sum(1)).ravel()
    return sp.diags(1.0 / np.maximum(deg, 1.0)) @ a


def taubin_smooth(vertices: np.ndarray, faces: np.ndarray, iterations: int = 8,
                  lamb: float = 0.5, mu: float = -0.53,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Taubin (lambda|mu) smoothing: removes marching-cube steps without shrinking the mesh.

    vertices: (V, 3) float, any frame/unit. faces: (F, 3) int. weights: (V,) float in [0, 1],
    how much each vertex is smoothed (None: all fully). returns (V, 3) float64.
    """
    v = np.asarray(vertices, np.float64)
    if iterations <= 0 or len(faces) == 0:
        return v.copy()
    w = neighbour_mean_matrix(faces, len(v))
    k = 1.0 if weights is None else np.asarray(weights, np.float64)[:, None]
    for _ in range(int(iterations)):
        v = v + (k * lamb) * (w @ v - v)
        v = v + (k * mu) * (w @ v - v)
    return v
