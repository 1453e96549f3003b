"""Mesh files: OBJ (+ MTL + PNG texture), PLY, per-frame OBJ sequences, and reading back.

Writers format whole arrays at once (one ``%`` over a repeated format string), so a 14k-vertex
body is written in a few tens of milliseconds. Positions are written as given: to hand a
camera-frame mesh to other 3D tools, convert it with ``camera_to_upright`` first.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from core.progress import NEVER, CancelToken
from core.types import Progress


def camera_to_upright(vertices: np.ndarray, up: np.ndarray | None = None) -> np.ndarray:
    """Camera frame -> upright world frame.

    vertices: (..., 3) float, OpenCV camera frame (x right, y down, z forward, metres).
    up: (3,) the world's up in the camera frame (core.export.upright.scene_up: read off the
        fitted body, so a camera that looked down does not tilt the person); None: a level
        camera.
    returns: (..., 3) float32 with y up and a person who faced the camera facing +z, the
    convention of glTF, Blender's OBJ importer and most viewers. For a level camera it is
    (x, -y, -z), a 180 degree turn about x. Always a rotation (determinant +1), so face winding
    and normals stay valid; with ``up`` None, applying it twice gives the input back.
    """
    v = np.asarray(vertices, np.float32)
    if up is None:
        return v * np.array([1.0, -1.0, -1.0], np.float32)
    from core.export.upright import upright_rotation

    return (v @ upright_rotation(up).T.astype(np.float32)).astype(np.float32)


def _rows(fmt: str, values: np.ndarray) -> str:
    """One ``fmt`` line per row of ``values`` (N, C), vectorised through one string format."""
    if len(values) == 0:
        return ""
    return ((fmt + "\n") * len(values)) % tuple(values.ravel().tolist())


def _colors01(colors: np.ndarray, n: int) -> np.ndarray:
    """(n, 3) float64 in [0, 1] from uint8 (0-255) or float (0-1) RGB(A) colours."""
    c = np.asarray(colors)
    if c.shape[0] != n or c.ndim != 2 or c.shape[1] not in (3, 4):
        raise ValueError(f"vertex_colors must be ({n}, 3), got {c.shape}")
    c = c[:, :3]
    if c.dtype == np.uint8:
        return c.astype(np.float64) / 255.0
    return np.clip(c.astype(np.float64), 0.0, 1.0)


def write_obj(path: str | Path, vertices: np.ndarray, faces: np.ndarray, *,
              uvs: np.ndarray | None = None, face_uvs: np.ndarray | None = None,
              texture: np.ndarray | None = None,
              vertex_colors: np.ndarray | None = None) -> Path:
    """Write a Wavefront OBJ; returns the path written.

    vertices: (V, 3) float, metres, written as given (see ``camera_to_upright``).
    faces: (F, 3) int, 0-based vertex indices.
    uvs: (T, 2) float texture coordinates in [0, 1] (v up, OBJ's convention).
    face_uvs: (F, 3) int, 0-based rows of ``uvs`` per face corner; defaults to ``faces`` when
        ``uvs`` has one row per vertex.
    texture: (H, W, 3) uint8 RGB image; needs ``uvs``. Written as ``<stem>.png`` beside a
        ``<stem>.mtl`` that the OBJ references.
    vertex_colors: (V, 3) uint8 (0-255) or float (0-1) RGB, written as ``v x y z r g b``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    v = np.asarray(vertices, np.float64).reshape(-1, 3)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    if len(f) and (f.min() < 0 or f.max() >= len(v)):
        raise ValueError("faces index vertices that do not exist")
    if texture is not None and uvs is None:
        raise ValueError("a texture needs uvs (and face_uvs when uvs are not per vertex)")
    parts = ["# human studio\n"]
    if texture is not None:
        mtl, png = path.with_suffix(".mtl"), path.with_suffix(".png")
        Image.fromarray(np.asarray(texture, np.uint8)[..., :3]).save(png)
        mtl.write_text(f"newmtl material0\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nd 1\nillum 1\n"
                       f"map_Kd {png.name}\n")
        parts.append(f"mtllib {mtl.name}\n")
    if vertex_colors is not None:
        parts.append(_rows("v %.6f %.6f %.6f %.4f %.4f %.4f",
                           np.hstack([v, _colors01(vertex_colors, len(v))])))
    else:
        parts.append(_rows("v %.6f %.6f %.6f", v))
    if uvs is not None:
        t = np.asarray(uvs, np.float64).reshape(-1, 2)
        ft = np.asarray(face_uvs if face_uvs is not None else f, np.int64).reshape(-1, 3)
        if ft.shape != f.shape or (len(ft) and (ft.min() < 0 or ft.max() >= len(t))):
            raise ValueError("face_uvs must be (F, 3) rows of uvs")
        parts.append(_rows("vt %.6f %.6f", t))
        if texture is not None:
            parts.append("usemtl material0\n")
        both = np.stack([f + 1, ft + 1], 2).reshape(-1, 6)
        parts.append(_rows("f %d/%d %d/%d %d/%d", both))
    else:
        parts.append(_rows("f %d %d %d", f + 1))
    with open(path, "w", encoding="ascii", newline="\n") as fh:
        fh.write("".join(parts))
    return path


def write_ply(path: str | Path, vertices: np.ndarray, faces: np.ndarray, *,
              vertex_colors: np.ndarray | None = None) -> Path:
    """Write a binary little-endian PLY; returns the path written.

    vertices: (V, 3) float (stored float32, metres, as given). faces: (F, 3) int, 0-based.
    vertex_colors: (V, 3) uint8 (0-255) or float (0-1) RGB, stored as uchar red/green/blue.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    v = np.asarray(vertices, np.float32).reshape(-1, 3)
    f = np.asarray(faces, np.int64).reshape(-1, 3)
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    props = "property float x\nproperty float y\nproperty float z\n"
    if vertex_colors is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
        props += "property uchar red\nproperty uchar green\nproperty uchar blue\n"
    vert = np.empty(len(v), dtype=fields)
    vert["x"], vert["y"], vert["z"] = v[:, 0], v[:, 1], v[:, 2]
    if vertex_colors is not None:
        c = np.round(_colors01(vertex_colors, len(v)) * 255.0).astype(np.uint8)
        vert["red"], vert["green"], vert["blue"] = c[:, 0], c[:, 1], c[:, 2]
    tri = np.empty(len(f), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    tri["n"], tri["i"] = 3, f
    header = (f"ply\nformat binary_little_endian 1.0\ncomment human studio\n"
              f"element vertex {len(v)}\n{props}element face {len(f)}\n"
              f"property list uchar int vertex_indices\nend_header\n")
    with open(path, "wb") as fh:
        fh.write(header.encode("ascii"))
        fh.write(vert.tobytes())
        fh.write(tri.tobytes())
    return path


def read_mesh(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read any mesh file trimesh knows (OBJ, PLY, GLB, STL, ...) without merging or reordering
    vertices. returns: vertices (V, 3) float32 and faces (F, 3) int64, 0-based.

    For an OBJ with UVs trimesh splits vertices along UV seams, so V can grow.
    """
    import trimesh

    mesh = trimesh.load(str(path), process=False, force="mesh")
    return np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.int64)


def write_obj_sequence(directory: str | Path,
                       frames: Mapping[int, np.ndarray] | Iterable[tuple[int, np.ndarray]],
                       faces: np.ndarray, *, cancel: CancelToken = NEVER,
                       upright: bool = False) -> Iterator[Progress | Path]:
    """Write one ``NNNNNN.obj`` per frame (NNNNNN = the frame index, zero-padded to 6 digits).

    A job generator (see core/progress.py): yields each written ``Path`` and a ``Progress``
    after it, stops early when ``cancel`` is set, returns the list of paths written.
    frames: {index: (V, 3) float vertices} or an iterable of (index, vertices) pairs, metres.
    faces: (F, 3) int shared by every frame. upright: apply ``camera_to_upright`` first.
    Drive it with ``core.progress.drive(write_obj_sequence(...))``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    items = list(frames.items()) if isinstance(frames, Mapping) else list(frames)
    written: list[Path] = []
    for done, (index, verts) in enumerate(items, 1):
        if cancel.cancelled:
            break
        v = camera_to_upright(verts) if upright else verts
        written.append(write_obj(directory / f"{int(index):06d}.obj", v, faces))
        yield written[-1]
        yield Progress("export", done, len(items), f"frame {int(index)}")
    return written
