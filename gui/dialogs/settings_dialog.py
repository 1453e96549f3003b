"""SettingsDialog: the studio's defaults (body model folder, device, fit quality, clothed-surface
mode and detail), persisted with QSettings under the keys the window reads at start-up."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLineEdit, QPushButton, QWidget)

from gui.widgets.side_panel import DEVICES, QUALITIES, SURFACE_DETAILS, SURFACE_MODES

#: QSettings key -> default, for every value the dialog edits.
KEYS = {"body/model_dir": "", "body/device": "auto", "body/quality": "balanced",
        "surface/mode": "depth", "surface/detail": "medium"}


def _combo(items, value: str) -> QComboBox:
    c = QComboBox()
    for v, label in items:
        c.addItem(label, v)
    c.setCurrentIndex(max(0, c.findData(value)))
    return c


class SettingsDialog(QDialog):
    """Edits ``KEYS`` of ``settings``; ``accept()`` writes them (Cancel leaves them alone)."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        get = lambda k: str(settings.value(k, KEYS[k]) or KEYS[k])  # noqa: E731
        self.model_dir = QLineEdit(str(settings.value("body/model_dir", "") or ""))
        self.model_dir.setPlaceholderText("Folder with smpl/, smplh/, smplx/ (optional)")
        self.model_dir.setToolTip("SMPL-family model files are licensed and not shipped; point "
                                  "here to the folder you downloaded them to.")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.model_dir, 1)
        row.addWidget(browse)
        folder = QWidget()
        folder.setLayout(row)
        self.device = _combo(DEVICES, get("body/device"))
        self.quality = _combo(QUALITIES, get("body/quality"))
        self.surface_mode = _combo(SURFACE_MODES, get("surface/mode"))
        self.surface_detail = _combo(SURFACE_DETAILS, get("surface/detail"))
        form = QFormLayout(self)
        form.addRow("Body model folder", folder)
        form.addRow("Device", self.device)
        form.addRow("Default fit quality", self.quality)
        form.addRow("Surface mode", self.surface_mode)
        form.addRow("Surface detail", self.surface_detail)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(520, 0)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Body model folder", self.model_dir.text())
        if path:
            self.model_dir.setText(path)

    def values(self) -> dict[str, str]:
        """QSettings key -> the value shown."""
        return {"body/model_dir": self.model_dir.text().strip(),
                "body/device": str(self.device.currentData()),
                "body/quality": str(self.quality.currentData()),
                "surface/mode": str(self.surface_mode.currentData()),
                "surface/detail": str(self.surface_detail.currentData())}

    def accept(self) -> None:
        for key, value in self.values().items():
            self.settings.setValue(key, value)
        self.settings.sync()
        super().accept()
