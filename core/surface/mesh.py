"""SurfaceMesh: the clothed surface of one frame, as the GUI, the exporters and the tests see it."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SurfaceMesh:
    """A closed triangle mesh of the person seen in one frame (numpy only).

    vertices: (V, 3) float32, camera frame (OpenCV: x right, y down, z forward), metres.
    faces: (F, 3) int64 vertex indices, counter-clockwise seen from outside (outward normals).
    vertex_colors: (V, 3) uint8 RGB.
    uvs: optional (T, 2) float32 texture coordinates in [0, 1], v up (OBJ convention).
    face_uvs: optional (F, 3) int64 per-corner indices into ``uvs``.
    texture: optional (H, W, 3) uint8 RGB texture image for ``uvs``.
    index: frame number the surface was reconstructed from.
    mode: how it was made: "depth", "implicit" or "body" (the fitted naked body, textured).
    timings: seconds spent per step (name -> seconds), for benchmarks and logs.
    labels: the person's skin / hair / garment labels the surface was made with
        (core.surface.labels.PersonLabels), or None.
    grid: (nx, ny, nz) cells of the volume the surface was cut from (its memory budget), or ().
    notes: sentences for the user about how it was made (a coarser budget, no face found).
    """

    vertices: np.ndarray
    faces: np.ndarray
    vertex_colors: np.ndarray
    uvs: np.ndarray | None = None
    face_uvs: np.ndarray | None = None
    texture: np.ndarray | None = None
    index: int = 0
    mode: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    labels: object | None = None
    grid: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, np.float32).reshape(-1, 3)
        self.faces = np.ascontiguousarray(self.faces, np.int64).reshape(-1, 3)
        self.vertex_colors = np.ascontiguousarray(self.vertex_colors, np.uint8).reshape(-1, 3)

    @property
    def num_vertices(self) -> int:
        return int(len(self.vertices))

    @property
    def num_faces(self) -> int:
        return int(len(self.faces))

    def edges_manifold(self) -> bool:
        """True when every undirected edge is shared by exactly two faces with opposite
        directions (closed, consistently oriented: the mesh is watertight)."""
        f = self.faces
        if len(f) == 0:
            return False
        directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        n = int(self.vertices.shape[0])
        key = directed[:, 0] * n + directed[:, 1]
        if len(np.unique(key)) != len(key):      # an edge used twice in the same direction
            return False
        rev = directed[:, 1] * n + directed[:, 0]
        return bool(np.isin(rev, key, assume_unique=False).all())

    def signed_volume(self) -> float:
        """Enclosed volume in cubic metres (positive when the faces point outward)."""
        t = self.vertices.astype(np.float64)[self.faces]
        return float(np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6.0)

    def winding_numbers(self, points: np.ndarray) -> np.ndarray:
        """(N,) float64 generalized winding numbers of points (N, 3) (camera frame, metres):
        about 1 inside a closed outward mesh, 0 outside. Cost O(N x F): meant for a few points."""
        p = np.asarray(points, np.float64).reshape(-1, 3)
        t = self.vertices.astype(np.float64)[self.faces]                   # (F, 3, 3)
        out = np.empty(len(p))
        for k, q in enumerate(p):
            a, b, c = t[:, 0] - q, t[:, 1] - q, t[:, 2] - q
            la, lb, lc = (np.linalg.norm(x, axis=1) for x in (a, b, c))
            num = np.einsum("ij,ij->i", a, np.cross(b, c))
            den = (la * lb * lc + np.einsum("ij,ij->i", a, b) * lc
                   + np.einsum("ij,ij->i", b, c) * la + np.einsum("ij,ij->i", c, a) * lb)
            out[k] = 2.0 * np.arctan2(num, den).sum() / (4.0 * np.pi)
        return out
