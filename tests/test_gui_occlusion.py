"""Body ▸ Occlusion sensitivity… through the real window on the sample photo: progress and
Cancel (the finished patches are kept), the heat map as a frame-view layer with a joint
selector, a click on a cell shows that patch's fit in the 3D viewer, and reopening the photo
shows the analysis again. Patches of 192 px keep it to 6 patches."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.export.mesh_io import camera_to_upright
from gui.testing import close_window, copy_media, new_window, screenshot, wait_idle

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot):
    w = new_window(qtbot, quality="fast")
    yield w
    if w.isVisible():
        close_window(w)


def _click(qtbot, view, x: float, y: float) -> None:
    pos = view.mapFromScene(x, y)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=QPoint(pos.x(), pos.y()))


def test_occlusion_layer_cancel_click_and_reopen(window, qtbot, ryota_png, tmp_path, artifacts):
    media = copy_media(ryota_png, tmp_path / "media")
    assert window.open_path(media)
    c, occ, view = window.controller, window.occlusion, window.frame_view
    action = window.actions_by_key["occlusion"]
    assert action.isEnabled() and "Occlusion" in action.text()
    body_menu = [a.menu() for a in window.menuBar().actions() if a.menu() is not None
                 and a.menu().title().replace("&", "") == "Body"][0]
    assert action in body_menu.actions()
    occ.panel.patch.setValue(192)

    # Cancel after the first patch: the job stops and keeps what it finished
    seen = []
    c.progress.connect(lambda p: seen.append(p))
    action.trigger()
    assert c.busy and window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: any(p.done >= 1 and p.total > 1 for p in seen), timeout=120_000)
    c.cancel()
    wait_idle(qtbot, window, 60_000)
    assert window.errors.last is None, window.errors.last
    partial = c.session.occlusion[0]
    assert not partial.complete and 1 <= int(partial.done.sum()) <= 3
    assert c.last_cancel_latency is not None and c.last_cancel_latency < 5.0

    # the whole analysis
    action.trigger()
    wait_idle(qtbot, window, 180_000)
    assert window.errors.last is None, window.errors.last
    res = c.session.occlusion[0]
    assert res.complete and res.patch == 192 and res.shape == (3, 2)
    layer = view.layer_array("occlusion")
    assert layer is not None and layer.shape == (512, 512, 4) and view.layer_visible("occlusion")
    x0, y0, x1, y1 = res.tile(1, 1)
    assert layer[(y0 + y1) // 2, (x0 + x1) // 2, 3] > 0 and layer[5, 5, 3] == 0
    assert occ.dock.isVisible() and "Most sensitive" in occ.panel.table.text()
    assert occ.panel.scale.pixmap() is not None and not occ.panel.scale.pixmap().isNull()

    # the joint selector redraws the layer with that joint's map
    body_layer = layer.copy()
    occ.panel.joint.setCurrentIndex(occ.panel.joint.findData("left_wrist"))
    wrist_layer = view.layer_array("occlusion")
    assert not np.array_equal(wrist_layer, body_layer)

    # clicking the cell over the left hand shows that patch's fit in the 3D viewer
    wrist = res.reference_keypoints[15, :2]
    cell = res.cell_at(*wrist)
    assert cell is not None
    x0, y0, x1, y1 = res.tile(*cell)
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    _click(qtbot, view, *centre)
    assert occ.selected == cell
    fit = res.fits[cell]
    np.testing.assert_allclose(window.viewer.mesh.points, camera_to_upright(fit.vertices),
                               atol=1e-5)
    assert "hidden" in occ.panel.cell.text()
    screenshot(window, artifacts / "window_occlusion.png")
    _click(qtbot, view, *centre)  # again: back to the frame's own fit
    assert occ.selected is None
    close_window(window)

    # reopening the photo shows the analysis again
    again = new_window(qtbot, quality="fast")
    try:
        assert again.open_path(media)
        back = again.controller.session.occlusion[0]
        np.testing.assert_array_equal(back.displacement, res.displacement)
        assert set(back.fits) == set(res.fits)
        assert again.frame_view.layer_array("occlusion") is not None
        assert again.occlusion.click(*centre) == cell
        np.testing.assert_allclose(again.viewer.mesh.points, camera_to_upright(fit.vertices),
                                   atol=1e-5)
    finally:
        close_window(again)
