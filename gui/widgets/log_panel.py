"""LogPanel: what the studio did, said in plain lines; tracebacks of errors land here too."""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

LEVEL_COLORS = {"info": QColor(200, 202, 206), "warning": QColor(240, 180, 60),
                "error": QColor(255, 110, 100), "debug": QColor(130, 135, 140)}


class LogPanel(QPlainTextEdit):
    """Read-only, timestamped log; keeps the last ``max_lines`` lines."""

    def __init__(self, parent=None, max_lines: int = 5000) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(max_lines)
        self.setFont(QFont("monospace", 9))
        self.setLineWrapMode(QPlainTextEdit.NoWrap)

    def append(self, text: str, level: str = "info") -> None:
        """Add ``text`` (may span several lines) at ``level`` (info, warning, error, debug)."""
        fmt = QTextCharFormat()
        fmt.setForeground(LEVEL_COLORS.get(level, LEVEL_COLORS["info"]))
        cursor = self.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        stamp = time.strftime("%H:%M:%S")
        cursor.insertText(f"{stamp}  {text.rstrip()}\n", fmt)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()


class _Bridge(QObject):
    record = Signal(str, str)


class QtLogHandler(logging.Handler):
    """Forwards Python logging records (from any thread) to the GUI thread via ``bridge.record``."""

    def __init__(self) -> None:
        super().__init__()
        self.bridge = _Bridge()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, rec: logging.LogRecord) -> None:  # noqa: A003 - logging API
        level = "error" if rec.levelno >= logging.ERROR else (
            "warning" if rec.levelno >= logging.WARNING else "info")
        try:
            self.bridge.record.emit(self.format(rec), level)
        except RuntimeError:  # the panel is gone during shutdown
            pass
