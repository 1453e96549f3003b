"""Bake a UV texture for a mesh with a UV layout (the fitted body) from one or several frames.

``UVBaker`` is built once per (layout, size); every texel that a triangle of the layout covers
remembers its face and barycentric weights. ``add_view`` projects those texels' 3D positions
into one frame and accumulates colour x weight, where the weight is cos(angle to the camera)^2
for texels the camera sees, and a small ``mirror_weight`` for those it does not: with the
person's labels (``back``, core/texture/honest_back.py) they take their region's colour (the
same garment seen in front, the hair on the back of the head), faded in from the front pixel
near the silhouette; without, the front colour at the same pixel (the mirror assumption), until
a view that sees them arrives. ``texture()`` divides and
fills the texels no view reached, and the gutter between UV islands, with the nearest baked
colour so that seams do not show. The per-subject avatar reuses it with many frames.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from core.render.raster import rasterize
from core.types import Camera

from .person_image import person_only_image
from .sampling import sample_bilinear
from .visibility import depth_buffer, visible_points


_LAYOUTS: dict[tuple, tuple] = {}   # (id(uvs), id(face_uvs), size) -> (uvs, face_uvs, texels)


def _texels(uvs: np.ndarray, face_uvs: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """Texels covered by the layout: y, x (N,) int64, face (N,) int64, barycentric (N, 3)
    float64. Cached per layout arrays and size (the same body model is baked again and again)."""
    key = (id(uvs), id(face_uvs), int(size))
    hit = _LAYOUTS.get(key)
    if hit is not None and hit[0] is uvs and hit[1] is face_uvs:
        return hit[2]
    t = np.asarray(uvs, np.float64)
    pix = np.stack([t[:, 0] * size - 0.5, (1.0 - t[:, 1]) * size - 0.5, np.ones(len(t))], 1)
    flat = Camera(1.0, 1.0, 0.0, 0.0, size, size)       # x = X/Z = X: an orthographic raster
    r = rasterize(pix, face_uvs, flat, barycentric=True)
    y, x = np.nonzero(r.face >= 0)
    texels = (y, x, r.face[y, x].astype(np.int64), r.barycentric[y, x].astype(np.float64))
    if len(_LAYOUTS) >= 4:
        _LAYOUTS.clear()
    _LAYOUTS[key] = (uvs, face_uvs, texels)
    return texels


class UVBaker:
    """Accumulates colour from frames into a (size, size) texture of a UV layout.

    faces: (F, 3) int64 mesh faces. uvs: (T, 2) float texture coordinates in [0, 1], v up.
    face_uvs: (F, 3) int64 per-corner indices into ``uvs``. size: texture side in pixels.
    mirror_weight: weight of colour taken for texels the camera does not see.
    """

    def __init__(self, faces: np.ndarray, uvs: np.ndarray, face_uvs: np.ndarray, size: int = 1024,
                 mirror_weight: float = 1e-3) -> None:
        self.faces = np.asarray(faces, np.int64)
        self.size = int(size)
        self.mirror_weight = float(mirror_weight)
        self.texel_y, self.texel_x, self.texel_face, self.texel_bary = _texels(uvs, face_uvs,
                                                                               self.size)
        self.color_sum = np.zeros((len(self.texel_face), 3))
        self.weight_sum = np.zeros(len(self.texel_face))

    @property
    def coverage(self) -> np.ndarray:
        """(size, size) bool: texels inside a UV triangle."""
        m = np.zeros((self.size, self.size), bool)
        m[self.texel_y, self.texel_x] = True
        return m

    def add_view(self, image: np.ndarray, mask: np.ndarray, vertices: np.ndarray, camera: Camera,
                 weight: float = 1.0, erode: int = 2, back=None) -> np.ndarray:
        """Accumulate one frame.

        image: (H, W, 3) uint8 RGB. mask: (H, W) bool person mask. vertices: (V, 3) float, the
        mesh posed in this frame's camera frame, metres. camera: the frame's intrinsics.
        weight: trust in this frame (e.g. its fit quality). back: a BackColors of this frame's
        labels for the texels it does not see (None: the front pixel's colour).
        returns: (N,) bool, the texels this view saw.
        """
        v = np.asarray(vertices, np.float64)
        ft = v[self.faces]                                              # (F, 3, 3)
        fn = np.cross(ft[:, 1] - ft[:, 0], ft[:, 2] - ft[:, 0])
        fn = (fn / np.maximum(np.linalg.norm(fn, axis=1, keepdims=True), 1e-20))[self.texel_face]
        tri = ft[self.texel_face]                                       # (N, 3, 3)
        pts = np.einsum("nk,nkc->nc", self.texel_bary, tri)
        depth, scale = depth_buffer(v, self.faces, camera)
        seen = visible_points(pts, fn, depth, scale, camera)
        view = -pts / np.maximum(np.linalg.norm(pts, axis=1, keepdims=True), 1e-20)
        cos = np.clip((fn * view).sum(1), 0.0, 1.0)
        w = np.where(seen, cos ** 2, self.mirror_weight) * float(weight)
        person = person_only_image(image, mask, erode)
        col = sample_bilinear(person, camera.project(pts))[:, :3]
        if back is not None and (~seen).any():
            col[~seen] = back.blend(col[~seen], pts[~seen], fn[~seen], camera)
        self.color_sum += w[:, None] * col
        self.weight_sum += w
        return seen

    def texture(self) -> np.ndarray:
        """(size, size, 3) uint8 RGB texture; unreached texels and the gutters get the nearest
        baked colour (grey when nothing was baked)."""
        tex = np.full((self.size, self.size, 3), 128.0)
        have = self.weight_sum > 0
        if not have.any():
            return tex.astype(np.uint8)
        filled = np.zeros((self.size, self.size), bool)
        filled[self.texel_y[have], self.texel_x[have]] = True
        tex[self.texel_y[have], self.texel_x[have]] = (self.color_sum[have]
                                                       / self.weight_sum[have, None])
        _, (iy, ix) = distance_transform_edt(~filled, return_indices=True)
        tex = tex[iy, ix]
        return np.clip(np.rint(tex), 0, 255).astype(np.uint8)


def bake_texture(image: np.ndarray, mask: np.ndarray, vertices: np.ndarray, faces: np.ndarray,
                 uvs: np.ndarray, face_uvs: np.ndarray, camera: Camera, size: int = 1024,
                 erode: int = 2, back=None) -> np.ndarray:
    """(size, size, 3) uint8 RGB texture of a UV-mapped mesh from one frame (see UVBaker;
    ``back``: BackColors for what the frame does not see)."""
    baker = UVBaker(faces, uvs, face_uvs, size)
    baker.add_view(image, mask, vertices, camera, erode=erode, back=back)
    return baker.texture()
