"""Video tracking and the per-subject avatar through the real window, on the first frames of the
taiji video: Fit all streams core.temporal fits onto the timeline (status marks, error and joint
speed plots), Optimize subject shows live previews, then the textured avatar posed in step with
the timeline; export OBJ + MTL + PNG; Cancel keeps the best avatar; the avatar survives restore.
Small everything: 16 tracked frames, fit quality "fast", 6 avatar frames, few steps."""
from __future__ import annotations

import numpy as np
import pytest

from gui.dialogs.export_dialog import ExportOptions
from gui.testing import (close_window, copy_media, new_window, screenshot,
                         wait_idle)

pytestmark = pytest.mark.gui

TRACKED = 16


def test_track_optimize_avatar_export_restore(qtbot, taiji_mp4, tmp_path, artifacts):
    import trimesh

    window = new_window(qtbot, quality="fast")
    media = copy_media(taiji_mp4, tmp_path / "media")
    c = window.controller
    try:
        assert window.open_path(media)
        c.track_max_frames = TRACKED
        assert not window.actions_by_key["optimize"].isEnabled()   # nothing fitted yet

        # ---- Fit all: the sequence fit streams in while the window stays usable
        window.actions_by_key["fit_all"].trigger()
        assert c.busy
        qtbot.waitUntil(lambda: len(c.session.fits) >= 1, timeout=120_000)
        window.timeline.set_index(5)          # scrubbing works during the job
        assert c.index == 5
        wait_idle(qtbot, window, 180_000)
        assert window.errors.last is None, window.errors.last
        fits = c.session.fits
        assert sorted(fits) == list(range(TRACKED))
        assert {f.status for f in fits.values()} <= {"fitted", "bridged", "low_confidence",
                                                     "no_person"}
        assert sum(f.status == "fitted" for f in fits.values()) >= TRACKED // 2
        strip = window.timeline.strip
        assert all(strip.status[i] == f.status for i, f in fits.items())
        speed = strip.series["joint speed"]
        error = strip.series["error px"]
        assert np.isfinite(speed[1:TRACKED]).all() and np.isnan(speed[TRACKED:]).all()
        assert np.isfinite(error[[i for i, f in fits.items() if f.status == "fitted"]]).all()
        # a tracked body moves smoothly: joint speed of a slow taiji move stays below 2 m/s
        assert np.nanmax(speed) < 2.0
        assert "bridged" in window.timeline.legend.text()
        assert c.observation(3) is not None and c.observation(3).person  # keypoints drawn too

        # ---- Optimize subject: previews while it improves, then the avatar
        p = window.side_panel
        p.subject_frames.setValue(6)
        p.subject_iterations.setValue(24)
        c.subject_settings.texture_size = 256
        previews = []
        c.avatar_preview.connect(lambda snap: previews.append(snap.iteration))
        assert window.actions_by_key["optimize"].isEnabled()
        window.actions_by_key["optimize"].trigger()
        wait_idle(qtbot, window, 240_000)
        assert window.errors.last is None, window.errors.last
        avatar = c.session.avatar
        assert avatar is not None and avatar.iterations == 24
        assert len(previews) >= 2 and previews[-1] > previews[0]
        assert len(avatar.posed) == 6 and avatar.texture is not None
        assert avatar.mean_iou > 0.85, f"the avatar covers the person poorly ({avatar.mean_iou})"

        # the viewer shows the textured avatar, posed in the frame of the timeline
        v = window.viewer
        assert v.shown_layers() == ["avatar"]
        layer = v.layers["avatar"]
        assert layer is not None and layer.active_texture_coordinates is not None
        first, last = min(avatar.posed), max(avatar.posed)
        window.timeline.set_index(first)
        at_first = np.array(v.layers["avatar"].points)
        window.timeline.set_index(last)
        at_last = np.array(v.layers["avatar"].points)
        assert np.abs(at_first - at_last).max() > 0.01, "the avatar does not follow the timeline"
        v.view("front")
        screenshot(window, artifacts / "window_avatar.png")

        # ---- export: OBJ + MTL + PNG, read back by trimesh with its texture
        files = window.export(ExportOptions(tmp_path / "out" / "taiji_avatar.obj", "upright",
                                            what="avatar"))
        assert sorted(f.suffix for f in files) == [".mtl", ".obj", ".png"]
        mesh = trimesh.load(files[0], process=False)
        assert mesh.visual.kind == "texture" and mesh.visual.material.image is not None
        assert len(mesh.faces) == len(avatar.faces)

        # ---- Cancel keeps the best avatar so far (a second run continues from the first)
        p.subject_iterations.setValue(400)
        window.actions_by_key["optimize"].trigger()
        qtbot.waitUntil(lambda: c.preview is not None and c.preview.iteration > 50,
                        timeout=120_000)
        window.cancel_button.click()
        wait_idle(qtbot, window, 120_000)
        print(f"avatar: Cancel to the best avatar kept in {c.last_cancel_latency:.2f} s")
        assert c.last_cancel_latency < 20.0
        assert window.errors.last is None, window.errors.last
        kept = c.session.avatar
        # the best state so far (evaluated every 50 steps here): never worse than the first run
        assert kept is not avatar and 24 <= kept.iterations <= 50
        assert kept.best_loss <= avatar.best_loss + 1e-9
    finally:
        close_window(window)

    # ---- the avatar lives in the session
    w2 = new_window(qtbot)
    try:
        assert w2.open_path(media)
        back = w2.controller.session.avatar
        assert back is not None and back.iterations == kept.iterations
        np.testing.assert_allclose(back.vertices, kept.vertices)
        np.testing.assert_array_equal(back.texture, kept.texture)
        assert w2.viewer.layers["avatar"] is not None
        assert "avatar" in w2.export_kinds()
    finally:
        close_window(w2)
