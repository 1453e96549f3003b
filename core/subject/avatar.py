"""The avatar's geometry: the body model's mesh, clothed by a displacement along its rest normals.

Decision: the avatar keeps the body model's own resolution (Anny: 13,718 vertices, edges of
about 1-2 cm, finer on the face and hands). At the silhouette resolution the optimization sees
(a person a few hundred pixels tall, 3-6 mm per pixel) a subdivided mesh added no measurable
accuracy on the synthetic benchmark, while it would need a second skinning path. Clothing is a
scalar displacement per vertex along the outward normal of the shaped rest mesh: one number per
vertex is far better conditioned by silhouettes than a free 3D offset (no tangential drift), and
the body model's own skinning (``BodyModel.forward(vertex_offsets=...)``) poses it exactly, so
any BodyModel works, SMPL family included.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from core.body.base import BodyModel


def main_surface(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The largest connected part of a mesh (a body without eyeballs and tongue), compacted.

    faces: (F, 3) int64. returns: vertex_ids (V',) int64 kept vertices, faces (F', 3) int64 into
    them, face_rows (F',) int64 rows of the kept faces in ``faces`` (to pick their face_uvs).
    """
    from scipy.sparse.csgraph import connected_components

    f = np.asarray(faces, np.int64)
    n = int(f.max()) + 1
    g = sp.coo_matrix((np.ones(2 * len(f)), (np.r_[f[:, 0], f[:, 1]], np.r_[f[:, 1], f[:, 2]])),
                      shape=(n, n))
    _, label = connected_components(g, directed=False)
    fl = label[f[:, 0]]
    rows = np.nonzero(fl == np.bincount(fl).argmax())[0]
    ids = np.unique(f[rows])
    remap = np.full(n, -1, np.int64)
    remap[ids] = np.arange(len(ids))
    return ids, remap[f[rows]], rows


def uniform_laplacian(faces: np.ndarray, n: int) -> torch.Tensor:
    """(n, n) sparse float32 torch matrix L with (L x)_i = x_i - mean of x over i's neighbours."""
    f = np.asarray(faces, np.int64)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    adj = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    adj.data[:] = 1.0
    deg = np.asarray(adj.sum(1)).ravel()
    lap = (sp.identity(n) - sp.diags(1.0 / np.maximum(deg, 1.0)) @ adj).tocoo()
    idx = torch.as_tensor(np.stack([lap.row, lap.col]), dtype=torch.int64)
    return torch.sparse_coo_tensor(idx, torch.as_tensor(lap.data, dtype=torch.float32),
                                   (n, n), check_invariants=False).coalesce()


def vertex_normals_t(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(V, 3) unit area-weighted vertex normals of (V, 3) vertices and (F, 3) int64 faces."""
    t = vertices[faces]
    fn = torch.linalg.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    n = torch.zeros_like(vertices).index_add_(0, faces.reshape(-1), fn.repeat_interleave(3, 0))
    return n / n.norm(dim=1, keepdim=True).clamp_min(1e-12)


class AvatarGeometry:
    """The body model plus what posing a displaced avatar needs (built once per body model).

    body: the BodyModel. laplacian: (V, V) sparse uniform Laplacian over all body faces.
    main_ids, main_faces, main_face_rows: see ``main_surface``.
    """

    def __init__(self, body: BodyModel) -> None:
        self.body = body
        self.laplacian = uniform_laplacian(body.faces, body.num_vertices)
        self.main_ids, self.main_faces, self.main_face_rows = main_surface(body.faces)

    @torch.no_grad()
    def rest_normals(self, shape: torch.Tensor) -> torch.Tensor:
        """(V, 3) outward unit normals of the shaped rest mesh, canonical frame.

        shape: (S,) or (1, S) shape parameters.
        """
        rest = self.body.rest_vertices(shape.reshape(1, -1).detach())[0]
        normals = vertex_normals_t(rest, self.body.faces_t)
        if self.body.faces is not None and _signed_volume(rest, self.body.faces_t) < 0:
            normals = -normals                   # faces wound inward: flip to outward
        return normals

    def offsets(self, displacement: torch.Tensor, normals: torch.Tensor) -> torch.Tensor:
        """(V, 3) canonical-frame offsets (metres) of a (V,) displacement along (V, 3) normals."""
        return displacement[:, None] * normals

    def canonical(self, shape: torch.Tensor, displacement: torch.Tensor,
                  normals: torch.Tensor | None = None) -> torch.Tensor:
        """(V, 3) clothed avatar in the rest pose, canonical frame, root at the origin, metres."""
        shape = shape.reshape(1, -1)
        if normals is None:
            normals = self.rest_normals(shape)
        return self.body.rest_vertices(shape)[0] + self.offsets(displacement, normals)


def _signed_volume(v: torch.Tensor, f: torch.Tensor) -> float:
    t = v[f]
    return float((t[:, 0] * torch.linalg.cross(t[:, 1], t[:, 2])).sum() / 6.0)
