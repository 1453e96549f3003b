"""Colours from frames onto meshes.

    vertex_colors(image, mask, vertices, faces, camera) -> (colours (V,3) uint8, seen (V,) bool)
    UVBaker(faces, uvs, face_uvs, size): add_view(image, mask, vertices, camera) per frame,
        texture() -> (size, size, 3) uint8; bake_texture(...) for one frame
"""
from core.texture.uv_bake import UVBaker, bake_texture
from core.texture.vertex_colors import vertex_colors

__all__ = ["UVBaker", "bake_texture", "vertex_colors"]
