"""The look of the studio: Qt's Fusion style with a dark-neutral palette."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = QColor(64, 140, 230)


def apply_dark_style(app: QApplication) -> None:
    """Fusion + a dark-neutral palette and a few spacing touches."""
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 49), QColor(222, 224, 228)
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, window)
    p.setColor(QPalette.ToolTipBase, QColor(55, 57, 62))
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, QColor(52, 54, 59))
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor(255, 90, 90))
    p.setColor(QPalette.Highlight, ACCENT)
    p.setColor(QPalette.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.Link, ACCENT)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor(120, 122, 128))
    app.setPalette(p)
    app.setStyleSheet(
        "QToolBar { spacing: 4px; border: none; padding: 3px; }"
        "QDockWidget::title { padding: 4px 6px; background: #2f3136; }"
        "QGroupBox { font-weight: bold; margin-top: 10px; }"
        "QGroupBox::title { subcontrol-origin: margin; left: 6px; padding: 0 3px; }"
        "QStatusBar QLabel { padding: 0 6px; }"
    )
