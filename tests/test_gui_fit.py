"""Body fitting through the real window: Fit frame on the photo (overlay inside the person mask,
the 3D mesh, OBJ export) and Fit all on the video with Cancel, close mid-job and restore.
Uses fit quality "fast"."""
from __future__ import annotations

import time

import numpy as np
import pytest

from core.export.mesh_io import camera_to_upright
from gui.dialogs.export_dialog import ExportOptions
from gui.testing import (close_window, copy_media, new_window, screenshot,
                         wait_idle)

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):
    w = new_window(qtbot, quality="fast")
    yield w
    if w.isVisible():
        close_window(w)


def test_fit_photo_overlay_mesh_and_export(window, qtbot, ryota_png, tmp_path, artifacts):
    import trimesh

    media = copy_media(ryota_png, tmp_path / "media")
    assert window.open_path(media)
    fit_action = window.actions_by_key["fit"]
    assert fit_action.isEnabled()
    fit_action.trigger()
    wait_idle(qtbot, window, 180_000)
    assert window.errors.last is None, window.errors.last
    c = window.controller
    fit, obs = c.fit(), c.observation()
    assert fit is not None and fit.status in ("fitted", "low_confidence")
    n_vertices = int(c.faces.max()) + 1
    assert fit.vertices.shape == (n_vertices, 3)

    # the overlay's pixels fall inside the person mask
    body = window.frame_view.layer_array("body")
    assert body is not None and body.shape[:2] == obs.mask.shape
    drawn = body[..., 3] > 0
    person = obs.binary_mask(0.5)
    assert drawn.sum() > 0.02 * drawn.size
    inside = (drawn & person).sum() / drawn.sum()
    assert inside > 0.8, f"only {inside:.0%} of the overlay is inside the person mask"

    # the 3D viewer holds the body mesh
    assert window.viewer.mesh is not None and window.viewer.mesh.n_points == n_vertices
    window.viewer.view("side")
    window.viewer.view("front")
    screenshot(window, artifacts / "window_photo_fitted.png")

    # export: the OBJ has the model's vertex count; upright turns y up along the world's up
    # that ryota's straight legs show (the camera looked down a little), the viewer's too
    assert window.actions_by_key["export"].isEnabled()
    files = window.export(ExportOptions(tmp_path / "out" / "ryota.obj", "upright"))
    mesh = trimesh.load(files[0], process=False)
    assert len(mesh.vertices) == n_vertices
    assert {p.suffix for p in files} == {".obj", ".npz", ".json"}
    up = window.controller.scene_up()
    assert up is not None and window.viewer.up is not None and np.allclose(window.viewer.up, up)
    np.testing.assert_allclose(mesh.vertices, camera_to_upright(fit.vertices, up), atol=1e-5)
    legs = mesh.vertices[np.argmax(mesh.vertices[:, 1])] - mesh.vertices[np.argmin(
        mesh.vertices[:, 1])]
    assert legs[1] > 1.5                                   # head over heels, metres
    cam = window.export(ExportOptions(tmp_path / "out" / "cam.obj", "camera", params=False))
    np.testing.assert_allclose(trimesh.load(cam[0], process=False).vertices, fit.vertices, atol=1e-5)


def test_fit_all_cancel_close_and_restore(window, qtbot, taiji_mp4, tmp_path, artifacts):
    media = copy_media(taiji_mp4, tmp_path / "media")
    assert window.open_path(media)
    c = window.controller
    window.actions_by_key["fit_all"].trigger()
    assert c.busy and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: len(c.session.fits) >= 1, timeout=150_000)
    # the window stays responsive while the job runs: scrub and turn the 3D view
    window.timeline.set_index(100)
    assert c.index == 100
    window.timeline.set_index(0)
    window.viewer.view("side")

    t0 = time.monotonic()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not c.busy, timeout=3000)
    latency = time.monotonic() - t0
    worker = c.worker.runner.last_stop_latency
    print(f"cancel: worker stopped after {worker:.3f} s, window idle after {latency:.3f} s")
    assert worker < 1.0, f"the worker took {worker:.2f} s to stop"
    assert latency < 3.0, f"the window took {latency:.2f} s to become idle"
    fitted = {i: f for i, f in c.session.fits.items()}
    assert fitted and all(window.timeline.strip.status[i] == f.status for i, f in fitted.items())
    assert np.isfinite(window.timeline.strip.series["error px"][sorted(fitted)[0]])
    assert window.errors.last is None

    seq = window.export(ExportOptions(tmp_path / "seq" / "taiji.obj", "upright", all_frames=True,
                                      params=False))
    assert [p.name for p in seq] == [f"taiji_{i:06d}.obj" for i in sorted(fitted)
                                     if fitted[i].vertices is not None]

    window.timeline.set_index(sorted(fitted)[0])
    assert window.frame_view.layer_array("body") is not None
    assert window.viewer.mesh is not None
    screenshot(window, artifacts / "window_video_fitted.png")

    # close in the middle of the next job: no hang, no crash, work kept
    window.actions_by_key["fit_all"].trigger()
    assert c.busy
    qtbot.wait(1500)
    took = close_window(window)
    assert took < 5.0, f"closing took {took:.1f} s"
    assert not c.worker.thread.isRunning()

    w2 = new_window(qtbot)
    try:
        assert w2.open_path(media)
        s = w2.controller.session
        assert set(fitted) <= set(s.fits)
        np.testing.assert_allclose(s.fits[sorted(fitted)[0]].vertices,
                                   fitted[sorted(fitted)[0]].vertices)
        assert w2.timeline.strip.status[sorted(fitted)[0]] == fitted[sorted(fitted)[0]].status
        assert w2.actions_by_key["export"].isEnabled()  # faces came back with the session
    finally:
        close_window(w2)


def test_taiji_stands_upright_in_the_3d_view(window, qtbot, taiji_mp4, tmp_path, artifacts):
    """The tai chi man, fitted in the window, stands upright when the 3D view is turned to his
    side: trunk in line with the legs, and the legs vertical in the world the 3D view shows
    (turned by the up his standing frames give, not by the camera's own axes)."""
    media = copy_media(taiji_mp4, tmp_path / "media")
    assert window.open_path(media)
    c = window.controller
    for index in (60, 200, 330):
        window.timeline.set_index(index)
        window.actions_by_key["fit"].trigger()
        wait_idle(qtbot, window, 180_000)
        assert window.errors.last is None, window.errors.last
        fit = c.fit(index)
        assert fit is not None and fit.params is not None
        lm = fit.landmarks
        hips, shoulders = lm[[23, 24]].mean(0), lm[[11, 12]].mean(0)
        ankles = lm[[27, 28]].mean(0)
        trunk, legs = shoulders - hips, hips - ankles
        stoop = np.degrees(np.arccos(trunk @ legs / np.linalg.norm(trunk) / np.linalg.norm(legs)))
        tilt = np.degrees(np.arccos(-trunk[1] / np.linalg.norm(trunk)))   # camera y is down
        print(f"taiji frame {index}: trunk {stoop:.1f} deg off the legs' line, {tilt:.1f} deg "
              "off the camera's vertical")
        assert stoop < 15.0 and tilt < 20.0, (index, stoop, tilt)
    up = c.scene_up()
    assert up is not None and np.allclose(window.viewer.up, up)
    for index in (60, 200, 330):
        lm = camera_to_upright(c.fit(index).landmarks, up)
        legs = lm[[23, 24]].mean(0) - lm[[27, 28]].mean(0)
        trunk = lm[[11, 12]].mean(0) - lm[[23, 24]].mean(0)
        lean = [float(np.degrees(np.arccos(v[1] / np.linalg.norm(v)))) for v in (legs, trunk)]
        print(f"taiji frame {index} in the 3D view: legs {lean[0]:.1f} deg, trunk {lean[1]:.1f} "
              "deg off the vertical")
        assert max(lean) < 12.0, (index, lean)
    window.viewer.view("side")
    screenshot(window, artifacts / "window_taiji_side.png")
