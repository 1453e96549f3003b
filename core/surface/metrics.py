"""Distances between two surfaces from area-uniform samples (benchmarks and tests)."""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def sample_surface(vertices: np.ndarray, faces: np.ndarray, count: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` area-uniform points on a mesh: points (count, 3) float64 in the mesh's frame
    and unit face normals (count, 3)."""
    t = np.asarray(vertices, np.float64)[np.asarray(faces, np.int64)]
    cr = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    area = np.linalg.norm(cr, axis=1)
    face = rng.choice(len(t), count, p=area / area.sum())
    r1, r2 = rng.random(count), rng.random(count)
    s = np.sqrt(r1)
    w = np.stack([1 - s, s * (1 - r2), s * r2], 1)
    pts = np.einsum("nk,nkc->nc", w, t[face])
    return pts, cr[face] / np.maximum(area[face, None], 1e-20)


def surface_distances(rec: tuple[np.ndarray, np.ndarray], truth: tuple[np.ndarray, np.ndarray],
                      count: int = 60_000, seed: int = 0) -> dict[str, float]:
    """Compare a reconstruction with the truth, each given as (vertices (V, 3) metres, faces).

    returns: chamfer (cm, mean of both directed mean nearest distances), p2s (cm, mean distance
    from the reconstruction to the truth) and normal (mean |cos| between nearest normals, 1 is
    perfect).
    """
    rng = np.random.default_rng(seed)
    pr, nr = sample_surface(*rec, count, rng)
    pt, nt = sample_surface(*truth, count, rng)
    d_rt, i_rt = cKDTree(pt).query(pr)
    d_tr, i_tr = cKDTree(pr).query(pt)
    normal = 0.5 * (np.abs((nr * nt[i_rt]).sum(1)).mean() + np.abs((nt * nr[i_tr]).sum(1)).mean())
    return {"chamfer": float(50.0 * (d_rt.mean() + d_tr.mean())), "p2s": float(100.0 * d_rt.mean()),
            "normal": float(normal)}
