"""ErrorReporter: the one way the window tells the user that something went wrong.

The message (a sentence that says what happened and what to do) goes into a dialog; the
traceback goes to the log panel, never into the dialog's main text. Tests set
``interactive = False``: the dialog is then recorded in ``history`` instead of blocking.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox, QWidget


@dataclass
class Report:
    title: str
    message: str
    details: str = ""


class ErrorReporter:
    """Shows readable error dialogs over ``parent`` and remembers them."""

    def __init__(self, parent: QWidget, log=None) -> None:
        self.parent = parent
        self.log = log  # callable(text, level) or None
        self.interactive = True
        self.history: list[Report] = []

    def report(self, title: str, message: str, details: str = "") -> None:
        """Show ``message`` to the user; ``details`` (a traceback) goes to the log panel."""
        self.history.append(Report(title, message, details))
        if self.log is not None:
            self.log(f"{title}: {message}", "error")
            if details:
                self.log(details, "debug")
        if not self.interactive:
            return
        box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, self.parent)
        if details:
            box.setInformativeText("The technical details are in the log panel (View > Log).")
        box.exec()

    @property
    def last(self) -> Report | None:
        return self.history[-1] if self.history else None
