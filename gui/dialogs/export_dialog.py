"""ExportDialog: where and how to export the body (current frame or every frame, orientation,
parameters)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget)


@dataclass
class ExportOptions:
    """path: the OBJ file (a sequence numbers it: name_000012.obj). orientation: "camera" (the
    fit's camera frame, y down) or "upright" (y up, the subject facing +z). all_frames: every
    fitted frame as a numbered sequence. params: also write body parameters (.npz and .json).
    what: "body" (the fitted body), "surface" (the frame's clothed surface, vertex colours) or
    "avatar" (the subject's avatar in its rest pose: OBJ + MTL + PNG, vertex colours)."""

    path: Path
    orientation: str = "upright"
    all_frames: bool = False
    params: bool = True
    what: str = "body"

#: (value, label) of what can be exported.
EXPORT_KINDS = (("body", "Fitted body"), ("surface", "Clothed surface (vertex colours)"),
                ("avatar", "Subject avatar (OBJ + MTL + texture)"))


class ExportDialog(QDialog):
    def __init__(self, default_path: Path, can_sequence: bool, parent: QWidget | None = None,
                 kinds: tuple[str, ...] = ("body",), kind: str = "body") -> None:
        super().__init__(parent)
        self.setWindowTitle("Export OBJ")
        self.path = QLineEdit(str(default_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        self.scope = QComboBox()
        self.scope.addItem("Current frame", False)
        self.scope.addItem("Every fitted frame (numbered OBJ sequence)", True)
        self.scope.model().item(1).setEnabled(can_sequence)
        self.orientation = QComboBox()
        self.orientation.addItem("Upright world (y up)", "upright")
        self.orientation.addItem("Camera frame (as fitted, y down)", "camera")
        self.params = QCheckBox("Also save body parameters (.npz and .json)")
        self.params.setChecked(True)
        self.what = QComboBox()
        for value, label in EXPORT_KINDS:
            self.what.addItem(label, value)
            self.what.model().item(self.what.count() - 1).setEnabled(value in kinds)
        self.what.setCurrentIndex(max(0, self.what.findData(kind)))
        self.what.currentIndexChanged.connect(self._kind_changed)
        form = QFormLayout(self)
        form.addRow("Mesh", self.what)
        form.addRow("File", holder)
        form.addRow("Frames", self.scope)
        form.addRow("Orientation", self.orientation)
        form.addRow("", self.params)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(560, 0)
        self._kind_changed()

    def _kind_changed(self) -> None:
        body = self.what.currentData() == "body"
        self.scope.setEnabled(body)
        self.params.setEnabled(body)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export OBJ", self.path.text(), "OBJ (*.obj)")
        if path:
            self.path.setText(path if path.lower().endswith(".obj") else path + ".obj")

    def options(self) -> ExportOptions:
        body = self.what.currentData() == "body"
        return ExportOptions(Path(self.path.text()), self.orientation.currentData(),
                             body and bool(self.scope.currentData()),
                             body and self.params.isChecked(), self.what.currentData())
