"""Mesh files round-trip through trimesh: geometry, UV + texture, vertex colours, PLY, the
upright conversion and per-frame sequences."""
from __future__ import annotations

import time

import numpy as np
import pytest
import trimesh

from core.export.mesh_io import (camera_to_upright, read_mesh, write_obj, write_obj_sequence,
                                 write_ply)
from core.progress import CancelToken, drive
from core.types import Progress


def _mesh(subdivisions=3):
    s = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.5)
    return s.vertices.astype(np.float32) + np.float32([0.1, -0.2, 2.0]), s.faces.astype(np.int64)


def test_obj_round_trip_keeps_vertices_and_faces(tmp_path):
    v, f = _mesh()
    path = write_obj(tmp_path / "body.obj", v, f)
    v2, f2 = read_mesh(path)
    assert v2.shape == v.shape and np.array_equal(f2, f)
    assert np.abs(v2 - v).max() < 1e-6
    assert v2.dtype == np.float32 and f2.dtype == np.int64


def test_obj_with_uvs_and_texture_loads_as_textured(tmp_path):
    v, f = _mesh(2)
    uvs = np.random.default_rng(0).random((len(v) + 7, 2)).astype(np.float32)
    face_uvs = (f + 7) % len(uvs)
    tex = np.zeros((32, 64, 3), np.uint8)
    tex[:, :32] = (255, 0, 0)
    tex[:, 32:] = (0, 0, 255)
    path = write_obj(tmp_path / "tex.obj", v, f, uvs=uvs, face_uvs=face_uvs, texture=tex)
    assert (tmp_path / "tex.mtl").exists() and (tmp_path / "tex.png").exists()
    mesh = trimesh.load(path, process=False)
    assert isinstance(mesh.visual, trimesh.visual.TextureVisuals)
    img = np.asarray(mesh.visual.material.image.convert("RGB"))
    assert np.array_equal(img, tex)
    assert len(mesh.faces) == len(f)
    # Every corner keeps its UV: compare per-corner UVs of the loaded and the written mesh.
    loaded = mesh.visual.uv[mesh.faces]
    assert np.abs(loaded - uvs[face_uvs]).max() < 1e-5
    assert np.abs(mesh.vertices[mesh.faces] - v[f]).max() < 1e-5


@pytest.mark.parametrize("kind", ["uint8", "float"])
def test_vertex_colours_load_back_equal(tmp_path, kind):
    v, f = _mesh()
    rgb = np.random.default_rng(1).integers(0, 256, (len(v), 3)).astype(np.uint8)
    colors = rgb if kind == "uint8" else rgb / 255.0
    for path in (write_obj(tmp_path / "c.obj", v, f, vertex_colors=colors),
                 write_ply(tmp_path / "c.ply", v, f, vertex_colors=colors)):
        mesh = trimesh.load(path, process=False)
        assert len(mesh.vertices) == len(v)
        assert np.abs(mesh.visual.vertex_colors[:, :3].astype(int) - rgb).max() <= 1, path


def test_ply_round_trip(tmp_path):
    v, f = _mesh()
    v2, f2 = read_mesh(write_ply(tmp_path / "m.ply", v, f))
    assert np.array_equal(v2, v) and np.array_equal(f2, f)


def test_camera_to_upright_is_a_rotation_that_keeps_orientation():
    v, f = _mesh()
    up = camera_to_upright(v)
    assert np.allclose(up, v * [1, -1, -1]) and up.dtype == np.float32
    assert np.allclose(camera_to_upright(up), v)
    # Outward normals stay outward: the volume keeps its (positive) sign.
    before = trimesh.Trimesh(v, f, process=False).volume
    after = trimesh.Trimesh(up, f, process=False).volume
    assert before > 0 and after == pytest.approx(before, rel=1e-5)
    # A point above the person's centre (smaller camera y) is higher (larger world y).
    assert camera_to_upright(np.float32([[0, -1, 3]]))[0, 1] > camera_to_upright(np.float32([[0, 1, 3]]))[0, 1]


def test_writing_a_14k_vertex_body_is_fast(tmp_path):
    ys, xs = np.mgrid[0:140, 0:100]                          # a 14,000-vertex grid
    v = np.stack([xs, ys, np.sin(xs * 0.1)], -1).reshape(-1, 3).astype(np.float32) * 0.01
    q = (ys * 100 + xs)[:-1, :-1].ravel()
    f = np.concatenate([np.stack([q, q + 1, q + 101], 1), np.stack([q, q + 101, q + 100], 1)])
    start = time.perf_counter()
    write_obj(tmp_path / "b.obj", v, f, vertex_colors=np.zeros((len(v), 3), np.uint8))
    assert time.perf_counter() - start < 0.3 * 3                   # 3x slack for a busy machine
    assert len(read_mesh(tmp_path / "b.obj")[0]) == 14000


def test_sequence_writes_numbered_files_and_honours_cancel(tmp_path):
    v, f = _mesh(1)
    frames = {i: v + np.float32([0.01 * i, 0, 0]) for i in (0, 3, 12)}
    progress = []
    paths = drive(write_obj_sequence(tmp_path / "seq", frames, f), on_progress=progress.append)
    assert [p.name for p in paths] == ["000000.obj", "000003.obj", "000012.obj"]
    assert [p.done for p in progress] == [1, 2, 3] and all(isinstance(p, Progress) for p in progress)
    assert np.allclose(read_mesh(paths[2])[0], frames[12], atol=1e-6)
    cancel = CancelToken()
    gen = write_obj_sequence(tmp_path / "seq2", list(frames.items()), f, cancel=cancel)
    written = []
    paths = drive(gen, on_item=lambda p: (written.append(p), cancel.cancel()))
    assert len(paths) == 1 and written == paths


def test_bad_input_is_refused(tmp_path):
    v, f = _mesh(1)
    with pytest.raises(ValueError):
        write_obj(tmp_path / "x.obj", v, f + len(v))
    with pytest.raises(ValueError):
        write_obj(tmp_path / "x.obj", v, f, texture=np.zeros((4, 4, 3), np.uint8))
