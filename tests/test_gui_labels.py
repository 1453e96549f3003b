"""The frame view's skin / hair / garment labels layer through the real window: fit the PIFu
photo, Reconstruct surface, then View > Skin / hair / garment labels shows the labels over the
frame (skin on the face, hair above it, the hoodie and the jeans in garment colours)."""
from __future__ import annotations

import numpy as np
import pytest

from gui.testing import close_window, copy_media, new_window, screenshot, wait_idle

pytestmark = pytest.mark.gui


def test_labels_layer_shows_the_surface_labels(qtbot, ryota_png, tmp_path, artifacts):
    from gui.widgets.label_layer import LAYER, SKIN_RGB

    window = new_window(qtbot, quality="fast", surface=("implicit", "low"))
    media = copy_media(ryota_png, tmp_path / "media")
    try:
        assert window.open_path(media)
        action = window.actions_by_key[f"layer_{LAYER}"]
        assert action.shortcut().toString() == "5" and not action.isChecked()
        window.actions_by_key["fit"].trigger()
        wait_idle(qtbot, window, 180_000)
        assert window.frame_view.layer_array(LAYER) is None          # no surface, no labels
        assert "Reconstruct surface" in action.statusTip()
        window.actions_by_key["reconstruct"].trigger()
        wait_idle(qtbot, window, 180_000)
        assert window.errors.last is None, window.errors.last
        action.setChecked(True)
        assert window.frame_view.layer_visible(LAYER)
        rgba = window.frame_view.layer_array(LAYER)
        assert rgba is not None and rgba.shape[:2] == (512, 512)
        obs = window.controller.observation()
        x, y = np.rint(obs.face[4, :2]).astype(int)                     # the nose: skin
        assert tuple(rgba[y, x, :3]) == SKIN_RGB and rgba[y, x, 3] > 0
        assert rgba[5, 5, 3] == 0                                       # background: clear
        person = obs.mask > 0.5
        assert (rgba[..., 3][person] > 0).mean() > 0.9
        assert "garment" in action.statusTip()
        screenshot(window, artifacts / "gui_labels_layer.png")
        action.setChecked(False)
        assert not window.frame_view.layer_visible(LAYER)
    finally:
        close_window(window)
