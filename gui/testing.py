"""Helpers for driving the real window from tests (pytest-qt): temporary settings and media
copied into a temporary folder, so session files never land beside the shared samples."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def use_temp_settings(folder: Path) -> None:
    """Point QSettings (IniFormat, user scope) at ``folder`` so the user's settings stay untouched."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))
    QSettings.setPath(QSettings.IniFormat, QSettings.SystemScope, str(folder / "system"))


def copy_media(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / src.name
    if not dst.exists():
        shutil.copy2(src, dst)
    return dst


def new_window(qtbot, quality: str = "fast", restore_policy: str = "always",
               surface: tuple[str, str] | None = None):
    """A shown MainWindow: restores sessions without asking (``restore_policy``), errors
    recorded not shown. qtbot: pytest-qt's, or None (a benchmark) to wait by hand.
    surface: (mode, detail) set in the side panel's clothed-surface settings."""
    from gui.app import create_window, make_app

    app = make_app([])
    window = create_window()
    window.restore_policy = restore_policy
    window.errors.interactive = False
    p = window.side_panel
    p.set_value(p.quality, quality)
    p.set_value(p.device, "cpu")
    if surface is not None:
        p.set_value(p.surface_mode, surface[0])
        p.set_value(p.surface_detail, surface[1])
    window.resize(1500, 920)
    window.show()
    if qtbot is not None:
        qtbot.waitExposed(window)
    else:
        for _ in range(40):
            app.processEvents()
            time.sleep(0.01)
    return window


def close_window(window, timeout_s: float = 10.0) -> float:
    """Close ``window`` and return how many seconds closing took."""
    t0 = time.monotonic()
    window.close()
    QApplication.processEvents()
    return time.monotonic() - t0


def wait_idle(qtbot, window, timeout_ms: int = 120_000) -> None:
    """Wait until no job runs and the session saved after it has landed."""
    qtbot.waitUntil(lambda: not window.controller.busy, timeout=timeout_ms)
    window.controller.wait_saved()


def screenshot(window, path: Path) -> Path:
    """Save what the window shows (3D view included) as a PNG."""
    QApplication.processEvents()
    window.viewer.plotter.render()
    window.grab().save(str(path))
    return path
