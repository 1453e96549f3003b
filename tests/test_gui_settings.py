"""The Settings dialog: its values persist in QSettings, reach the side panel and the next jobs,
and a new window starts from them; Cancel changes nothing."""
from __future__ import annotations

import pytest

from PySide6.QtCore import QSettings

from gui.testing import close_window, new_window

pytestmark = pytest.mark.gui


def test_settings_dialog_persists_and_applies(qtbot, tmp_path):
    window = new_window(qtbot, quality="balanced")
    try:
        dlg = window.settings_dialog()
        assert dlg.values()["body/quality"] == "balanced"
        dlg.model_dir.setText(str(tmp_path))
        dlg.quality.setCurrentIndex(dlg.quality.findData("best"))
        dlg.surface_mode.setCurrentIndex(dlg.surface_mode.findData("implicit"))
        dlg.surface_detail.setCurrentIndex(dlg.surface_detail.findData("high"))
        dlg.accept()
        s = QSettings()
        assert s.value("body/quality") == "best" and s.value("surface/mode") == "implicit"
        assert s.value("body/model_dir") == str(tmp_path)
        c = window.controller
        assert c.fit_settings.quality == "best" and c.fit_settings.model_dir == str(tmp_path)
        assert (c.surface_settings.mode, c.surface_settings.detail) == ("implicit", "high")
        assert c.surface_settings.config().implicit.resolution == 224

        rejected = window.settings_dialog()
        rejected.quality.setCurrentIndex(rejected.quality.findData("fast"))
        rejected.reject()
        assert c.fit_settings.quality == "best" and QSettings().value("body/quality") == "best"
    finally:
        close_window(window)
    w2 = new_window(qtbot, quality="best")
    try:
        p = w2.side_panel
        assert p.value(p.surface_mode) == "implicit" and p.model_dir.text() == str(tmp_path)
    finally:
        close_window(w2)
