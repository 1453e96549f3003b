"""ExportDialog: what to export (body, clothed surface, avatar), in which format (OBJ, glTF
binary, BVH, SMPL layout, with a note of what opens each), where, which frames and in which
orientation."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget)

from core.export.formats import ITEM_FORMATS, OPENS_IN, SUFFIX


@dataclass
class ExportOptions:
    """path: the file (an OBJ sequence numbers it: name_000012.obj; the suffix follows the
    format). orientation: "camera" (the fit's camera frame, y down) or "upright" (y up, the
    subject facing +z). all_frames: every fitted frame (OBJ: a numbered sequence; GLB: one
    animated file; BVH and SMPL always take every frame). params: also write body parameters
    (.npz and .json, OBJ and GLB of the body). what: "body" (the fitted body), "surface" (the
    frame's clothed surface, vertex colours) or "avatar" (the subject's avatar: OBJ + MTL + PNG
    in its rest pose, or a textured GLB skinned and animated over its frames).
    format: "obj", "glb" (glTF 2.0 binary), "bvh" (motion) or "smpl" (SMPL-layout parameters)."""

    path: Path
    orientation: str = "upright"
    all_frames: bool = False
    params: bool = True
    what: str = "body"
    format: str = "obj"


#: (value, label) of what can be exported.
EXPORT_KINDS = (("body", "Fitted body"), ("surface", "Clothed surface (vertex colours)"),
                ("avatar", "Subject avatar (textured)"))
#: (value, label) of the formats.
FORMAT_LABELS = (("obj", "OBJ (+ MTL + PNG)"), ("glb", "glTF binary (.glb)"),
                 ("bvh", "BVH motion (.bvh)"), ("smpl", "SMPL layout (.npz + PARE .pkl)"))


class ExportDialog(QDialog):
    """kinds: the items there are to export; kind: the one chosen first; smpl: whether the
    body is SMPL-family (the SMPL layout is offered only then)."""

    def __init__(self, default_path: Path, can_sequence: bool, parent: QWidget | None = None,
                 kinds: tuple[str, ...] = ("body",), kind: str = "body",
                 smpl: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self._can_sequence = can_sequence
        self._smpl = smpl
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
        self.scope.addItem("Every fitted frame", True)
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
        self.format = QComboBox()
        for value, label in FORMAT_LABELS:
            self.format.addItem(label, value)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9aa0a6;")
        self.what.currentIndexChanged.connect(self._update)
        self.format.currentIndexChanged.connect(self._update)
        form = QFormLayout(self)
        form.addRow("Export", self.what)
        form.addRow("Format", self.format)
        form.addRow("", self.note)
        form.addRow("File", holder)
        form.addRow("Frames", self.scope)
        form.addRow("Orientation", self.orientation)
        form.addRow("", self.params)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(600, 0)
        self._update()

    def formats_for(self, what: str) -> tuple[str, ...]:
        """The formats offered for ``what`` ("smpl" only for an SMPL-family body)."""
        return tuple(f for f in ITEM_FORMATS[what] if f != "smpl" or self._smpl)

    def _update(self) -> None:
        what = self.what.currentData()
        allowed = self.formats_for(what)
        model = self.format.model()
        for row in range(self.format.count()):
            model.item(row).setEnabled(self.format.itemData(row) in allowed)
        if self.format.currentData() not in allowed:
            self.format.setCurrentIndex(self.format.findData(allowed[0]))
        fmt = self.format.currentData()
        self.note.setText(f"Opens in {OPENS_IN[fmt]}.")
        body = what == "body"
        motion = fmt in ("bvh", "smpl") or (what == "avatar" and fmt != "obj")
        seq = {"obj": "Every fitted frame (numbered OBJ sequence)",
               "glb": "Every fitted frame (one animated, rigged GLB)"}.get(fmt,
                                                                           "Every fitted frame")
        self.scope.setItemText(1, seq)
        self.scope.model().item(1).setEnabled(self._can_sequence or motion)
        if motion:
            self.scope.setCurrentIndex(1)
        self.scope.setEnabled(body and fmt in ("obj", "glb"))
        self.params.setEnabled(body and fmt in ("obj", "glb"))
        self.orientation.setEnabled(fmt != "smpl")
        text = self.path.text()
        if text:
            self.path.setText(str(Path(text).with_suffix(SUFFIX[fmt])))

    def _browse(self) -> None:
        fmt = self.format.currentData()
        suffix = SUFFIX[fmt]
        path, _ = QFileDialog.getSaveFileName(self, "Export", self.path.text(),
                                              f"{fmt.upper()} (*{suffix})")
        if path:
            self.path.setText(path if path.lower().endswith(suffix) else path + suffix)

    def options(self) -> ExportOptions:
        what, fmt = self.what.currentData(), self.format.currentData()
        body = what == "body"
        motion = fmt in ("bvh", "smpl") or (what == "avatar" and fmt != "obj")
        return ExportOptions(Path(self.path.text()), self.orientation.currentData(),
                             motion or (body and bool(self.scope.currentData())),
                             body and fmt in ("obj", "glb") and self.params.isChecked(),
                             what, fmt)
