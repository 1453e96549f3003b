"""Clothed surface through the real window: fit the PIFu photo, Reconstruct surface, the 3D
viewer's coloured layer, OBJ export with vertex colours read back by trimesh, and the surface
surviving save / restore. Uses fit quality "fast" and the surface's "low" detail."""
from __future__ import annotations

import numpy as np
import pytest

from gui.dialogs.export_dialog import ExportOptions
from gui.testing import (close_window, copy_media, new_window, screenshot,
                         wait_idle)

pytestmark = pytest.mark.gui


def test_session_keeps_surfaces(tmp_path):
    """A SurfaceMesh (with a UV texture) survives save_session / load_session exactly."""
    from core.session import Session, load_session, save_session
    from core.surface import SurfaceMesh

    rng = np.random.default_rng(0)
    mesh = SurfaceMesh(rng.normal(size=(5, 3)), [[0, 1, 2], [2, 3, 4]],
                       rng.integers(0, 255, (5, 3)), uvs=rng.random((6, 2)).astype(np.float32),
                       face_uvs=np.array([[0, 1, 2], [3, 4, 5]]),
                       texture=rng.integers(0, 255, (4, 4, 3)).astype(np.uint8), index=7,
                       mode="depth")
    s = Session(media_path=tmp_path / "x.png")
    s.add_surface(mesh)
    back = load_session(save_session(s, tmp_path / "x.studio.npz")).surfaces[7]
    assert back.mode == "depth" and back.index == 7
    for name in ("vertices", "faces", "vertex_colors", "uvs", "face_uvs", "texture"):
        np.testing.assert_array_equal(getattr(back, name), getattr(mesh, name))


def test_reconstruct_photo_view_export_restore(qtbot, ryota_png, tmp_path, artifacts):
    import trimesh

    window = new_window(qtbot, quality="fast", surface=("depth", "low"))
    media = copy_media(ryota_png, tmp_path / "media")
    try:
        assert window.open_path(media)
        c = window.controller
        assert not window.actions_by_key["reconstruct"].isEnabled()  # nothing fitted yet
        window.actions_by_key["fit"].trigger()
        wait_idle(qtbot, window, 180_000)
        assert window.errors.last is None, window.errors.last
        assert window.actions_by_key["reconstruct"].isEnabled()

        window.actions_by_key["reconstruct"].trigger()
        wait_idle(qtbot, window, 180_000)
        assert window.errors.last is None, window.errors.last
        surface = c.surface()
        assert surface is not None and surface.mode == "depth" and surface.num_vertices > 1000
        # the clothed surface encloses the fitted body: it reaches at least as far out
        fit = c.fit()
        assert np.ptp(surface.vertices[:, 1]) > 0.9 * np.ptp(fit.vertices[:, 1])

        # the 3D viewer holds it with its colours, and shows it instead of the body
        layer = window.viewer.layers["surface"]
        assert layer is not None and layer.n_points == surface.num_vertices > 0
        rgb = np.asarray(layer.point_data["rgb"])
        assert rgb.shape == (surface.num_vertices, 3) and rgb.dtype == np.uint8
        assert rgb.std(axis=0).max() > 10, "the surface colours are flat"
        assert window.viewer.shown_layers() == ["surface"]
        screenshot(window, artifacts / "window_surface_ryota.png")

        # export: OBJ with vertex colours, read back by trimesh
        assert "surface" in window.export_kinds()
        files = window.export(ExportOptions(tmp_path / "out" / "ryota_surface.obj", "upright",
                                            what="surface"))
        assert files and files[0].suffix == ".obj"
        mesh = trimesh.load(files[0], process=False)
        assert len(mesh.vertices) == surface.num_vertices and len(mesh.faces) == surface.num_faces
        # upright along the world's up that the fitted legs show (the viewer's too)
        from core.export.mesh_io import camera_to_upright

        up = window.controller.scene_up()
        np.testing.assert_allclose(mesh.vertices, camera_to_upright(surface.vertices, up),
                                   atol=1e-5)
        colors = np.asarray(mesh.visual.vertex_colors)[:, :3]
        assert np.abs(colors.astype(int) - surface.vertex_colors.astype(int)).max() <= 1
    finally:
        close_window(window)

    # the surface lives in the session: a new window restores it and draws it again
    w2 = new_window(qtbot)
    try:
        assert w2.open_path(media)
        back = w2.controller.surface()
        assert back is not None
        np.testing.assert_allclose(back.vertices, surface.vertices)
        assert w2.viewer.layers["surface"] is not None
        assert "surface" in w2.export_kinds()
    finally:
        close_window(w2)
