"""The studio window driven for real under Xvfb: open, scrub, play, detect, cancel, close,
restore, bad files. Body fitting has its own module (test_gui_fit.py)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from core.media import open_source
from gui.testing import (close_window, copy_media, new_window, screenshot,
                         wait_idle)
from gui.widgets.frame_view import qimage_to_array

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):
    w = new_window(qtbot)
    yield w
    if w.isVisible():
        close_window(w)


def shown_image(window) -> np.ndarray:
    """The pixels the frame view's image layer holds, read back from Qt."""
    return qimage_to_array(window.frame_view._items["image"].pixmap().toImage())


def test_open_scrub_and_play_video(window, qtbot, taiji_mp4, tmp_path, artifacts):
    media = copy_media(taiji_mp4, tmp_path / "media")
    assert window.open_path(media)
    c = window.controller
    assert window.timeline.count == len(c.source) > 200
    window.timeline.set_index(200)
    assert c.index == 200 and window.timeline.spin.value() == 200
    qtbot.waitUntil(lambda: c.frame.exact, timeout=5000)  # a display proxy, then the exact frame
    with open_source(media) as src:
        expected = src.read(200).image
    np.testing.assert_array_equal(shown_image(window), expected)
    assert window.timeline.time_label.text() == "00:08.342"  # 200 / 23.976 fps

    # keyboard: → steps, Home goes to the start
    window.activateWindow()
    window.actions_by_key["next"].trigger()
    assert c.index == 201
    window.actions_by_key["first"].trigger()
    assert c.index == 0

    window.timeline.play()
    assert window.timeline.playing
    qtbot.waitUntil(lambda: c.index >= 5, timeout=5000)
    window.timeline.pause()
    assert not window.timeline.playing
    stopped_at = c.index
    qtbot.wait(300)
    assert c.index == stopped_at
    screenshot(window, artifacts / "window_video_open.png")


def test_detect_all_cancel_close_and_restore(window, qtbot, taiji_mp4, tmp_path, artifacts):
    media = copy_media(taiji_mp4, tmp_path / "media")
    assert window.open_path(media)
    c = window.controller
    assert c.detect(all_frames=True)
    assert window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: len(c.session.observations) >= 4, timeout=60_000)
    t0 = time.monotonic()
    c.cancel()
    qtbot.waitUntil(lambda: not c.busy, timeout=2000)
    assert time.monotonic() - t0 < 1.0
    kept = dict(c.session.observations)
    assert 4 <= len(kept) < len(c.source)
    assert all(window.timeline.strip.status.get(i) in ("observed", "no_person") for i in kept)
    assert c.saved_session_path() is not None  # autosaved after the job
    assert window.errors.last is None

    # the frame view shows the keypoints and mask of a detected frame
    window.timeline.set_index(2)
    assert window.frame_view.layer_array("skeleton") is not None
    assert window.frame_view.layer_array("mask") is not None
    screenshot(window, artifacts / "window_video_detected.png")

    # start again and close the window in the middle of the job
    assert c.detect(all_frames=True)
    qtbot.waitUntil(lambda: len(c.session.observations) >= len(kept) + 3, timeout=60_000)
    assert c.busy
    took = close_window(window)
    assert took < 5.0
    assert not c.worker.thread.isRunning()
    saved_count = len(c.session.observations)
    assert saved_count >= len(kept) + 3

    # reopening restores every observation the closed window had
    w2 = new_window(qtbot)
    try:
        assert w2.open_path(media)
        assert len(w2.controller.session.observations) == saved_count
        assert sum(1 for s in w2.timeline.strip.status.values() if s == "observed") > 0
    finally:
        close_window(w2)


def test_photo_detect_layers(window, qtbot, ryota_png, tmp_path, artifacts):
    media = copy_media(ryota_png, tmp_path / "media")
    assert window.open_path(media)
    assert window.controller.detect()
    wait_idle(qtbot, window, 60_000)
    obs = window.controller.observation()
    assert obs is not None and obs.person
    fv = window.frame_view
    assert fv.layer_array("mask") is not None
    for layer in ("skeleton", "mask"):
        window.actions_by_key[f"layer_{layer}"].setChecked(False)
        assert not fv.layer_visible(layer)
        window.actions_by_key[f"layer_{layer}"].setChecked(True)
        assert fv.layer_visible(layer)
    # zoom and fit
    fv.zoom(2.0)
    assert fv.transform().m11() > 1.0
    fv.fit()


@pytest.mark.parametrize("content, name", [(b"this is not a video", "broken.mp4"),
                                           (b"\x89PNG\r\n\x1a\n garbage", "broken.png"),
                                           (None, "missing.mov")])
def test_bad_file_shows_a_readable_dialog(window, ryota_png, tmp_path, content, name):
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    assert not window.open_path(bad)
    report = window.errors.last
    assert report is not None and report.title == "Cannot open this file"
    msg = report.message
    assert name in msg and "Traceback" not in msg and len(msg) < 400
    assert (msg[0].isupper() or msg[0] == "'") and msg.rstrip().endswith((".", "…"))
    print(msg)
    # the window stays usable
    assert window.open_path(copy_media(ryota_png, tmp_path / "media"))
    assert window.controller.frame is not None


def test_settings_persist_in_temp_location(qtbot, tmp_path, ryota_png):
    w = new_window(qtbot)
    w.side_panel.set_value(w.side_panel.quality, "best")
    w.open_path(copy_media(ryota_png, tmp_path / "media"))
    close_window(w)
    ini = list((tmp_path / "settings").rglob("*.ini"))
    assert ini, "settings must go to the temporary folder"
    text = ini[0].read_text()
    assert "best" in text and "ryota.png" in text
    w2 = new_window(qtbot)
    try:
        assert w2.side_panel.value(w2.side_panel.quality) == "fast"  # new_window sets it
        assert w2.recent_files()[0].endswith("ryota.png")
    finally:
        close_window(w2)


def test_main_entry_opens_the_window_with_a_path(qtbot, ryota_png, tmp_path):
    """``python main.py PATH`` path: run_gui opens the window with PATH loaded, exits with 0."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import main
    from gui.main_window import MainWindow

    media = copy_media(ryota_png, tmp_path / "media")
    seen = {}

    def check_and_close():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)
                   and w.isVisible()]
        if not windows or windows[0].controller.source is None:
            QTimer.singleShot(100, check_and_close)
            return
        seen["path"] = windows[0].controller.source.path
        seen["title"] = windows[0].windowTitle()
        windows[0].close()

    QTimer.singleShot(200, check_and_close)
    assert main.main([str(media)]) == 0
    assert seen["path"] == media and seen["title"].startswith("ryota.png")


def test_drop_a_file_opens_it(window, qtbot, ryota_png, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    media = copy_media(ryota_png, tmp_path / "media")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(media))])
    event = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.controller.source is not None, timeout=5000)
    assert window.controller.source.path == media
    assert window.recent_files()[0] == str(media.resolve())


def test_clothed_actions_wait_for_a_fit(window, ryota_png, tmp_path):
    """Reconstruct surface and Optimize subject stay disabled until there is a fitted body (and,
    for the avatar, a video); pressing them anyway gives a sentence, not a traceback."""
    keys = ("optimize", "reconstruct")
    assert not any(window.actions_by_key[k].isEnabled() for k in keys)
    assert window.open_path(copy_media(ryota_png, tmp_path / "media"))
    assert not any(window.actions_by_key[k].isEnabled() for k in keys)
    assert not window.controller.reconstruct_surface()
    assert "Fit frame" in window.errors.last.message
    assert not window.controller.optimize_subject()
    assert "Fit all frames" in window.errors.last.message


def test_read_only_media_folder_saves_the_session_elsewhere(window, qtbot, ryota_png, tmp_path,
                                                           monkeypatch):
    import os

    import gui.controller as controller_module

    folder = tmp_path / "readonly"
    media = copy_media(ryota_png, folder)
    real_access = os.access
    monkeypatch.setattr(controller_module.os, "access",
                        lambda p, mode: False if os.fspath(p) == os.fspath(folder.resolve())
                        else real_access(p, mode))
    window.controller.fallback_dir = tmp_path / "sessions"
    assert window.open_path(media)
    window.controller.detect()
    wait_idle(qtbot, window, 60_000)
    assert window.errors.last is None
    assert (tmp_path / "sessions" / "ryota.png.studio.npz").is_file()
    assert not list(folder.glob("*.studio.npz"))
    assert window.controller.saved_session_path() == tmp_path / "sessions" / "ryota.png.studio.npz"
