"""A fast signed distance of a closed mesh on a regular grid: parity voxelization along z
columns, then Euclidean distance transforms (scipy), about 0.1 s for a body at 1 cm.

Voxelization: every triangle is projected onto the xy lattice of voxel centres; each lattice
point inside the projection gives one crossing of the surface at the triangle's z there. A
voxel centre is inside when an odd number of crossings lies in front of it (cumulative sum of
crossings along z, modulo 2). The lattice is shifted by an irrational fraction of a voxel so no
lattice point lands exactly on an edge; columns that still end with an odd count (a crossing
lost or doubled) copy their neighbour's column.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import distance_transform_edt

_JITTER = (1e-4 * np.sqrt(2.0), 1e-4 * np.sqrt(3.0))


@dataclass
class VoxelGrid:
    """Voxel (i, j, k) has its centre at origin + voxel * (i, j, k), camera frame, metres.

    origin: (3,) float64 centre of voxel (0, 0, 0). voxel: edge length in metres.
    shape: (nx, ny, nz) voxel counts.
    """

    origin: np.ndarray
    voxel: float
    shape: tuple[int, int, int]

    def centres(self) -> np.ndarray:
        """(nx, ny, nz, 3) float32 voxel centres, camera frame, metres."""
        axes = [self.origin[a] + self.voxel * np.arange(n) for a, n in enumerate(self.shape)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), -1).astype(np.float32)

    def to_points(self, ijk: np.ndarray) -> np.ndarray:
        """(N, 3) float64 camera-frame points of fractional voxel indices (N, 3)."""
        return self.origin[None, :] + self.voxel * np.asarray(ijk, np.float64)


def voxelize(vertices: np.ndarray, faces: np.ndarray, grid: VoxelGrid) -> np.ndarray:
    """(nx, ny, nz) bool, True at voxel centres inside the closed mesh.

    vertices: (V, 3) float, same frame as the grid, metres. faces: (F, 3) int, closed mesh.
    """
    nx, ny, nz = grid.shape
    v = (np.asarray(vertices, np.float64) - grid.origin) / grid.voxel
    v[:, 0] -= _JITTER[0]
    v[:, 1] -= _JITTER[1]
    t = v[np.asarray(faces, np.int64)]                              # (F, 3, 3) in voxel units
    lo = np.ceil(t[:, :, :2].min(1)).astype(np.int64)
    hi = np.floor(t[:, :, :2].max(1)).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [nx - 1, ny - 1])
    cx = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    cy = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    count = cx * cy
    face = np.repeat(np.arange(len(t)), count)
    off = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    px = lo[face, 0] + off % cx[face]
    py = lo[face, 1] + off // cx[face]
    a, b, c = t[face, 0], t[face, 1], t[face, 2]
    # 2D barycentrics of (px, py) in the projected triangle.
    d = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = ((px - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (py - a[:, 1])) / d
        w2 = ((b[:, 0] - a[:, 0]) * (py - a[:, 1]) - (px - a[:, 0]) * (b[:, 1] - a[:, 1])) / d
        w0 = 1.0 - w1 - w2
        hit = (d != 0) & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        z = w0 * a[:, 2] + w1 * b[:, 2] + w2 * c[:, 2]
    k = np.clip(np.ceil(z[hit]), 0, nz).astype(np.int64)           # first voxel behind it
    col = px[hit] * ny + py[hit]
    crossings = np.bincount(col * (nz + 1) + k, minlength=nx * ny * (nz + 1))
    crossings = crossings.reshape(nx, ny, nz + 1)
    parity = np.cumsum(crossings, axis=2) % 2
    inside = parity[:, :, :nz].astype(bool)
    odd = parity[:, :, nz].astype(bool)                           # broken columns
    if odd.any():
        ii, jj = np.nonzero(odd)
        src = np.clip(ii - 1, 0, nx - 1)
        inside[ii, jj] = inside[src, jj] & ~odd[src, jj]
    return inside


def signed_distance(inside: np.ndarray, voxel: float, exact_inside: bool = True) -> np.ndarray:
    """(nx, ny, nz) float32 signed distance in metres from a voxelized solid: negative inside,
    positive outside, +-voxel/2 next to the surface. ``exact_inside=False`` skips the second
    distance transform and sets every inside voxel to -voxel/2 (enough for level sets outside)."""
    d_out = distance_transform_edt(~inside)
    d_in = distance_transform_edt(inside) if exact_inside else 1.0
    return (np.where(inside, 0.5 - d_in, d_out - 0.5) * voxel).astype(np.float32)


def plane_distance(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                   far: float | None = None) -> np.ndarray:
    """(N,) float64 signed distance (metres, positive outside) of points (N, 3) to the tangent
    plane of the nearest vertex of a closed outward mesh: sub-voxel accurate near the surface.
    Beyond ``far`` metres outside, the distance to the nearest vertex itself (continuous,
    where the tangent planes of neighbouring vertices would disagree by steps)."""
    from scipy.spatial import cKDTree

    from core.texture.vertex_colors import vertex_normals

    v = np.asarray(vertices, np.float64)
    used = np.unique(np.asarray(faces).ravel())
    n = vertex_normals(v, faces)[used]
    p = np.asarray(points, np.float64).reshape(-1, 3)
    dist, nearest = cKDTree(v[used]).query(p)
    plane = ((p - v[used][nearest]) * n[nearest]).sum(1)
    if far is None:
        return plane
    w = np.clip((plane - far) / max(far, 1e-6), 0.0, 1.0)       # fades in over ``far``
    return (1.0 - w) * plane + w * dist


def refine_near_surface(sdf: np.ndarray, grid: VoxelGrid, vertices: np.ndarray,
                        faces: np.ndarray, band: float = 3.0,
                        where: np.ndarray | None = None) -> np.ndarray:
    """Replace the voxel-quantised distance by the distance to the tangent plane of the nearest
    vertex for voxels within ``band`` voxels of the surface (sub-voxel accurate where the level
    sets near the body are cut), and also where ``where`` ((nx, ny, nz) bool) is set.
    sdf: (nx, ny, nz) float32 metres, modified copy returned."""
    out = sdf.copy()
    near = np.abs(sdf) < band * grid.voxel
    if where is not None:
        near |= where
    idx = np.argwhere(near)
    if len(idx) == 0:
        return out
    out[near] = plane_distance(grid.to_points(idx), vertices, faces).astype(np.float32)
    return out


def trilinear(field: np.ndarray, ijk: np.ndarray, outside: float = 0.0) -> np.ndarray:
    """(N,) float32 trilinear samples of a (nx, ny, nz) grid at fractional voxel indices
    ijk (N, 3); ``outside`` beyond the grid (points within half a voxel of its edge are clamped).
    A plain gather of the 8 corners: several times faster than scipy's map_coordinates."""
    f = np.asarray(field)
    p = np.asarray(ijk, np.float64)
    shape = np.array(f.shape)
    out_of = ((p < -0.5) | (p > shape - 0.5)).any(1)
    p = np.clip(p, 0.0, shape - 1.000001)
    i0 = np.floor(p).astype(np.int64)
    t = (p - i0).astype(np.float32)
    nx, ny, nz = f.shape
    flat = f.reshape(-1)
    base = (i0[:, 0] * ny + i0[:, 1]) * nz + i0[:, 2]
    res = np.zeros(len(p), np.float32)
    for dx in (0, 1):
        wx = t[:, 0] if dx else 1.0 - t[:, 0]
        for dy in (0, 1):
            wy = t[:, 1] if dy else 1.0 - t[:, 1]
            for dz in (0, 1):
                wz = t[:, 2] if dz else 1.0 - t[:, 2]
                res += wx * wy * wz * flat[base + (dx * ny + dy) * nz + dz]
    res[out_of] = outside
    return res


def main_part_faces(faces: np.ndarray) -> np.ndarray:
    """The faces of the largest connected part of a mesh (a body without eyeballs and tongue,
    which would flip the inside test where they overlap the head)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    f = np.asarray(faces, np.int64)
    n = int(f.max()) + 1
    g = coo_matrix((np.ones(2 * len(f)), (np.r_[f[:, 0], f[:, 1]], np.r_[f[:, 1], f[:, 2]])),
                   shape=(n, n))
    _, label = connected_components(g, directed=False)
    fl = label[f[:, 0]]
    return f[fl == np.bincount(fl).argmax()]
