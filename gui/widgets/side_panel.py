"""SidePanel: the settings a job depends on (body model, model folder, device, fit quality,
clothed-surface mode and detail, avatar frames and iterations) and a short summary of the
current frame."""
from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QLineEdit, QSpinBox, QToolButton, QVBoxLayout, QWidget)

#: (value, label) of the body models; the SMPL family needs the user's licensed model folder.
BODY_MODELS = (("anny", "Anny (built in)"), ("smpl", "SMPL"), ("smplh", "SMPL-H"),
               ("smplx", "SMPL-X"))
DEVICES = (("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "CUDA GPU"))
QUALITIES = (("fast", "Fast"), ("balanced", "Balanced"), ("best", "Best"))
SURFACE_MODES = (("depth", "Depth maps (sharp, image-aligned)"),
                 ("implicit", "Implicit (smooth, hidden sides)"))
SURFACE_DETAILS = (("low", "Low (fast)"), ("medium", "Medium"), ("high", "High (slow)"))


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(low, high)
    s.setValue(value)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def _combo(items) -> QComboBox:
    c = QComboBox()
    for value, label in items:
        c.addItem(label, value)
    return c


class SidePanel(QWidget):
    """Settings for the next job. Emits ``changed`` when any of them changes."""

    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.body_model = _combo(BODY_MODELS)
        self.body_model.setToolTip("Body model to fit. SMPL, SMPL-H and SMPL-X need their model "
                                   "files (licensed, not shipped): set the model folder below.")
        self.model_dir = QLineEdit()
        self.model_dir.setPlaceholderText("SMPL model folder (optional)")
        self.model_dir.setReadOnly(True)
        browse = QToolButton()
        browse.setIcon(qta.icon("fa5s.folder-open", color="#dddddd"))
        browse.setToolTip("Choose the folder holding smpl/, smplh/, smplx/ model files")
        browse.clicked.connect(self._browse)
        self.device = _combo(DEVICES)
        self.quality = _combo(QUALITIES)
        self.quality.setCurrentIndex(1)
        self.quality.setToolTip("Fast: fewer optimizer steps. Best: slower, tighter fit.")

        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.model_dir, 1)
        folder_row.addWidget(browse)
        folder = QWidget()
        folder.setLayout(folder_row)

        settings = QGroupBox("Body fit")
        form = QFormLayout(settings)
        form.addRow("Body model", self.body_model)
        form.addRow("Model folder", folder)
        form.addRow("Device", self.device)
        form.addRow("Quality", self.quality)

        self.surface_mode = _combo(SURFACE_MODES)
        self.surface_mode.setToolTip("Depth: front and back depth maps over the person mask. "
                                     "Implicit: occupancy around the fitted body.")
        self.surface_detail = _combo(SURFACE_DETAILS)
        self.surface_detail.setCurrentIndex(1)
        self.surface_detail.setToolTip("Grid resolution of the clothed surface; higher is finer "
                                       "and slower.")
        surface = QGroupBox("Clothed surface")
        sform = QFormLayout(surface)
        sform.addRow("Mode", self.surface_mode)
        sform.addRow("Detail", self.surface_detail)

        self.subject_frames = _spin(1, 1000, 40, "Fitted frames (evenly spread) the avatar is "
                                    "optimized against")
        self.subject_iterations = _spin(1, 10000, 400, "Optimizer steps; a second run on the same "
                                        "frames continues from the avatar so far")
        subject = QGroupBox("Subject avatar")
        aform = QFormLayout(subject)
        aform.addRow("Frames", self.subject_frames)
        aform.addRow("Iterations", self.subject_iterations)

        info = QGroupBox("Current frame")
        self.info = QLabel("—")
        self.info.setWordWrap(False)
        self.info.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        # room for every line up front: the panel does not jump while scrubbing
        self.info.setMinimumHeight(self.info.fontMetrics().lineSpacing() * 6 + 4)
        QVBoxLayout(info).addWidget(self.info)

        media = QGroupBox("Media")
        self.media_info = QLabel("Nothing open")
        self.media_info.setWordWrap(True)
        QVBoxLayout(media).addWidget(self.media_info)

        layout = QVBoxLayout(self)
        layout.addWidget(media)
        layout.addWidget(settings)
        layout.addWidget(surface)
        layout.addWidget(subject)
        layout.addWidget(info)
        layout.addStretch(1)
        for c in (self.body_model, self.device, self.quality, self.surface_mode,
                  self.surface_detail):
            c.currentIndexChanged.connect(self.changed)
        for sp in (self.subject_frames, self.subject_iterations):
            sp.valueChanged.connect(self.changed)
        self._update_models()

    # ---- values -------------------------------------------------------------------------------
    def value(self, combo: QComboBox) -> str:
        return str(combo.currentData())

    def set_value(self, combo: QComboBox, value: str) -> None:
        i = combo.findData(value)
        if i >= 0:
            combo.setCurrentIndex(i)

    def set_model_dir(self, path: str) -> None:
        self.model_dir.setText(path or "")
        self._update_models()
        self.changed.emit()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Body model folder", self.model_dir.text())
        if path:
            self.set_model_dir(path)

    def _update_models(self) -> None:
        """SMPL-family entries are enabled only when the model folder holds them."""
        root = Path(self.model_dir.text()) if self.model_dir.text() else None
        model = self.body_model.model()
        for row, (value, _) in enumerate(BODY_MODELS):
            ok = value == "anny" or (root is not None and root.is_dir() and (
                (root / value).is_dir() or any(root.glob(f"{value.upper()}_*"))))
            model.item(row).setEnabled(ok)
        if not model.item(self.body_model.currentIndex()).isEnabled():
            self.body_model.setCurrentIndex(0)
