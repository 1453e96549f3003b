"""Per-vertex colours of a camera-frame mesh from the frame it was reconstructed from.

Seen vertices take the image colour where they project. Vertices facing away take, with the
person's labels (``back``, core/texture/honest_back.py), the colour of the region they belong
to (the same garment seen in front, the hair on the back of the head), faded in from the front
pixel near the silhouette and averaged over a few neighbours so seams blend; without labels,
the colour of the front at the same pixel (the mirror assumption). Vertices that face the
camera but are hidden behind another part (the torso behind an arm) take the colour of their
nearest seen neighbours, spread over the mesh.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.types import Camera

from .person_image import person_only_image
from .sampling import sample_bilinear
from .visibility import depth_buffer, visible_points


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) float64 area-weighted unit vertex normals (outward for outward-wound faces)."""
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    t = v[f]
    fn = np.cross(t[:, 1] - t[:, 0], t[:, 2] - t[:, 0])
    idx = f.ravel()
    n = np.stack([np.bincount(idx, weights=np.repeat(fn[:, c], 3), minlength=len(v))
                  for c in range(3)], 1)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-20)


def spread_colors(colors: np.ndarray, known: np.ndarray, faces: np.ndarray,
                  iterations: int = 40) -> np.ndarray:
    """Fill colours of vertices not ``known`` by repeated averaging over mesh neighbours.

    colors: (V, 3) float. known: (V,) bool (kept fixed). faces: (F, 3) int.
    returns: (V, 3) float; vertices no known vertex reaches keep their input colour.
    """
    n = len(colors)
    f = np.asarray(faces, np.int64)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    adj = sp.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    c = np.where(known[:, None], colors, 0.0).astype(np.float64)
    w = known.astype(np.float64)
    for _ in range(int(iterations)):
        c_new, w_new = adj @ c, adj @ w
        upd = ~known & (w_new > 0)
        c[upd] = c_new[upd] / w_new[upd, None]
        w[upd] = 1.0
    return np.where((w > 0)[:, None], c, colors)


def _blend_seams(colors: np.ndarray, free: np.ndarray, faces: np.ndarray,
                 iterations: int) -> np.ndarray:
    """(V, 3) colours with the ``free`` vertices (V,) bool replaced ``iterations`` times by the
    mean of themselves and their neighbours (the others stay fixed)."""
    from core.surface.mesh_ops import neighbour_mean_matrix

    A = neighbour_mean_matrix(faces, len(colors))
    c = np.asarray(colors, np.float64).copy()
    for _ in range(int(iterations)):
        c[free] = 0.5 * c[free] + 0.5 * (A @ c)[free]
    return c


def vertex_colors(image: np.ndarray, mask: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                  camera: Camera, erode: int = 2, back=None,
                  seam_iterations: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Colours of a mesh from one frame.

    image: (H, W, 3) uint8 RGB. mask: (H, W) bool person mask. vertices: (V, 3) float, camera
    frame, metres. faces: (F, 3) int, outward. camera: the frame's intrinsics.
    back: a core.texture.honest_back.BackColors for the vertices facing away (None: the front
    pixel's colour). seam_iterations: neighbour averages over those vertices (seams blend).
    returns: colours (V, 3) uint8 RGB, seen (V,) bool (the camera saw the vertex).
    """
    person = person_only_image(image, mask, erode)
    v = np.asarray(vertices, np.float64)
    normals = vertex_normals(v, faces)
    depth, scale = depth_buffer(v, faces, camera)
    seen = visible_points(v, normals, depth, scale, camera)
    col = sample_bilinear(person, camera.project(v))[:, :3]
    facing = (normals * -v).sum(1) > 0.0
    if back is not None and (~facing).any():
        away = ~facing
        col[away] = back.blend(col[away], v[away], normals[away], camera)
        if seam_iterations > 0:
            col = _blend_seams(col, away, faces, seam_iterations)
    hidden_front = facing & ~seen
    if hidden_front.any() and seen.any():
        col = spread_colors(col, ~hidden_front, faces)
    return np.clip(np.rint(col), 0, 255).astype(np.uint8), seen
