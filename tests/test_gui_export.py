"""The export dialog's formats and the animated GLB back in the window: with the bundled video
open and a (synthetic) fitted motion in the session, the dialog offers OBJ / GLB / BVH with a
note of what opens each, Export writes a rigged, animated motion GLB and a BVH, and an animated,
textured avatar GLB opened in the 3D viewer plays with the timeline (screenshots in
tests/_artifacts/)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from core.body import load_body_model
from core.export import gltf
from core.export.formats import write_avatar_glb
from export_runs import VIDEO, synthetic_fits, validate
from gui.dialogs.export_dialog import ExportDialog
from gui.testing import close_window, copy_media, new_window, screenshot

pytestmark = pytest.mark.gui

FRAMES = 16


def _avatar(body, fits):
    """A textured avatar of the motion in ``fits``, shaped like core.subject.SubjectResult: the
    body's main surface, a little clothing offset, a texture coloured by its UV layout."""
    from core.subject.avatar import main_surface

    ids, faces, rows = main_surface(body.faces)
    size = 256
    u, v = np.meshgrid(np.linspace(0, 1, size), np.linspace(1, 0, size))
    texture = (np.stack([0.35 + 0.6 * u, 0.45 + 0.3 * np.sin(12 * v) ** 2,
                         0.9 - 0.5 * u * v], -1) * 255).astype(np.uint8)
    shape = fits[0].params.shape
    state = SimpleNamespace(offsets=np.full((body.num_vertices, 3), 0.0, np.float32),
                            shape=shape, model=body.name)
    return SimpleNamespace(state=state, body_vertex_ids=ids, faces=faces,
                           vertex_colors=np.full((len(ids), 3), 200, np.uint8), uvs=body.uvs,
                           face_uvs=body.face_uvs[rows], texture=texture,
                           frame_params={f.index: f.params for f in fits if f.params is not None})


def test_export_formats_and_the_avatar_glb_playing_in_the_viewer(qtbot, tmp_path, artifacts):
    anny = load_body_model("anny", device="cpu")
    fits = synthetic_fits(anny, frames=FRAMES, seed=7, gap=(5,), fingers=False)
    window = new_window(qtbot)
    c = window.controller
    try:
        assert window.open_path(copy_media(VIDEO, tmp_path / "media"))
        fps = c.source.fps
        s = c.session
        s.faces = anny.faces
        for f in fits:
            s.add_fit(f)
        c.results_changed.emit(-1)
        assert "body" in window.export_kinds()

        # ---- the dialog: formats with what opens them; the SMPL layout only for SMPL bodies
        dlg = ExportDialog(tmp_path / "out" / "taiji_body.obj", True, window, ("body",), "body")
        offered = [dlg.format.itemData(r) for r in range(dlg.format.count())
                   if dlg.format.model().item(r).isEnabled()]
        assert offered == ["obj", "glb", "bvh"]
        dlg.format.setCurrentIndex(dlg.format.findData("glb"))
        assert "Blender" in dlg.note.text() and "three.js" in dlg.note.text()
        dlg.scope.setCurrentIndex(1)
        opts = dlg.options()
        assert opts.format == "glb" and opts.all_frames and opts.path.suffix == ".glb"
        dlg.close()
        files = window.export(opts)
        assert window.errors.last is None, window.errors.last
        validate(files[0])
        motion = gltf.read_glb(files[0])
        assert motion.animated and len(motion.times) == FRAMES
        bvh = window.export(opts.__class__(tmp_path / "out" / "taiji.bvh", "upright", True,
                                           False, "body", "bvh"))
        assert bvh[0].read_text().startswith("HIERARCHY")

        # ---- an animated avatar GLB, opened in the 3D viewer, plays with the timeline
        path = write_avatar_glb(tmp_path / "out" / "taiji_avatar.glb", anny, _avatar(anny, fits),
                                fps=fps)
        validate(path)
        v = window.viewer
        v.set_layer_visible("body", False)
        assert window.open_glb(path)
        assert "animation" in v.shown_layers()
        layer = v.layers["animation"]
        assert layer.active_texture_coordinates is not None          # textured
        window.timeline.set_index(0)
        at_0 = np.array(v.layers["animation"].points)
        screenshot(window, artifacts / "gui_export_avatar_glb_frame0.png")
        window.timeline.set_index(12)
        at_12 = np.array(v.layers["animation"].points)
        glb = window.glb_player.glb

        want = glb.pose(12 / fps)           # the viewer shows the file upright, as stored
        assert np.abs(at_12 - want).max() < 1e-4                     # posed at frame 12's time
        assert np.abs(at_12 - at_0).max() > 0.05                     # and it moved
        screenshot(window, artifacts / "gui_export_avatar_glb_frame12.png")
        # playing the timeline moves it on
        window.timeline.set_index(1)
        window.timeline.play()
        qtbot.waitUntil(lambda: window.timeline.index >= 4, timeout=10_000)
        window.timeline.pause()
        assert np.abs(np.array(v.layers["animation"].points) - at_0).max() > 1e-3
    finally:
        close_window(window)
