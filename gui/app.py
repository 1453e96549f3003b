"""Start the studio: ``run_gui(argv) -> exit status`` (called by main.py)."""
from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication

ORGANISATION = "HumanStudio"
APPLICATION = "Human Studio"


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists), named so QSettings finds our settings."""
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication([sys.argv[0], *(argv or [])])
    from gui.style import apply_dark_style

    apply_dark_style(app)
    return app


def create_window(settings: QSettings | None = None):
    """A MainWindow with Python logging routed to its log panel."""
    from gui.main_window import MainWindow
    from gui.widgets.log_panel import QtLogHandler

    window = MainWindow(settings)
    handler = QtLogHandler()
    handler.bridge.record.connect(window.log_panel.append)
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    window.destroyed.connect(lambda: logging.getLogger().removeHandler(handler))
    return window


def install_excepthook(window) -> None:
    """An exception escaping a slot becomes the usual error dialog (traceback in the log) instead
    of a console dump; the window keeps running and the session is saved."""
    import traceback

    def hook(exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        try:
            window.controller.save()
            window.errors.report("Unexpected error", f"Something went wrong ({exc_type.__name__}: "
                                 f"{exc}). Your work is saved; the details are in the log panel.",
                                 details)
        except Exception:  # noqa: BLE001 - the window may be gone
            sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook


def run_gui(argv: list[str]) -> int:
    """Open the window (with ``argv[0]`` loaded when given) and run the event loop."""
    from core.perception.quiet import silence_native_logs

    silence_native_logs()       # MediaPipe's native log lines stay off the terminal
    paths = [a for a in argv if not a.startswith("-")]
    app = make_app(argv)
    window = create_window()
    install_excepthook(window)
    window.show()
    if paths:
        QTimer.singleShot(0, lambda: window.open_path(paths[0]))
    try:
        return int(app.exec())
    finally:
        sys.excepthook = sys.__excepthook__
