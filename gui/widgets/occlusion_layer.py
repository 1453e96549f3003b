"""Occlusion sensitivity in the window: Body ▸ Occlusion sensitivity… runs it on the current
frame (progress and Cancel in the status bar), the heat map becomes the frame view's
"occlusion" layer, a dock chooses the joint (or the whole body), shows the colour scale in mm
and the joints most sensitive to each image region, and a click on a cell shows that patch's
fit in the 3D viewer (a second click, or a click outside the map, goes back to the frame's fit).

``OcclusionLayer(window)`` wires itself to the window, its controller, frame view and viewer;
the window only creates it. Drawing uses core.analysis.heatmap (numpy) on the GUI thread.
"""
from __future__ import annotations

import math

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QFormLayout, QLabel,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from core.analysis.config import SENSITIVITY_JOINTS
from core.analysis.heatmap import colour_bar, heatmap_layer, scale_max
from gui.occlusion_job import NAME
from gui.widgets.frame_view import to_qimage

LAYER = "occlusion"
#: A press and release closer than this (screen pixels) is a click, not a pan.
CLICK_PX = 5


class OcclusionPanel(QWidget):
    """The dock's contents: joint selector, show toggle, patch settings, scale, table, cell info."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.joint = QComboBox()
        self.joint.addItem("Whole body (mean)", None)
        for name in SENSITIVITY_JOINTS:
            self.joint.addItem(name.replace("_", " "), name)
        self.joint.setToolTip("Which joint's movement the heat map shows")
        self.show_map = QCheckBox("Show heat map")
        self.show_map.setChecked(True)
        self.patch = QSpinBox()
        self.patch.setRange(0, 2000)
        self.patch.setSpecialValueText("auto")
        self.patch.setSuffix(" px")
        self.patch.setToolTip("Side of the grey patch (auto: the person's box / 6)")
        self.stride = QSpinBox()
        self.stride.setRange(0, 2000)
        self.stride.setSpecialValueText("auto")
        self.stride.setSuffix(" px")
        self.stride.setToolTip("Pixels between patch centres (auto: the patch side)")
        self.status = QLabel("No analysis of this frame yet: Body ▸ Occlusion sensitivity…")
        self.scale = QLabel()
        self.table = QLabel()
        self.cell = QLabel("Click a cell to see that patch's fit in the 3D viewer.")
        for label in (self.status, self.table, self.cell):
            label.setWordWrap(True)
            label.setTextFormat(Qt.RichText)
        form = QFormLayout()
        form.addRow("Joint", self.joint)
        form.addRow("", self.show_map)
        form.addRow("Patch", self.patch)
        form.addRow("Stride", self.stride)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addLayout(form)
        lay.addWidget(self.scale)
        lay.addWidget(self.table)
        lay.addWidget(self.cell)
        lay.addStretch(1)

    def config(self):
        """core.analysis.OcclusionConfig of the patch settings (0: automatic)."""
        from core.analysis import OcclusionConfig

        return OcclusionConfig(patch=self.patch.value() or None, stride=self.stride.value() or None)


def table_html(result) -> str:
    rows = "".join(
        f"<tr><td>{r['region']}</td><td align='right'>{r['cells']}</td><td>"
        + (", ".join(f"{j['joint'].replace('_', ' ')} {j['mm']:.0f}" for j in r["joints"]) or "—")
        + (f" (lost {r['lost']})" if r["lost"] else "") + "</td></tr>"
        for r in result.table())
    floor = result.noise_floor
    note = (f"<br>A patch over background moves the body {floor:.0f} mm (median): differences "
            "below that are noise." if math.isfinite(floor) else "")
    return ("<b>Most sensitive joints</b> (mm)<table cellspacing='3'><tr><th align='left'>region"
            f"</th><th>cells</th><th align='left'>joints</th></tr>{rows}</table>{note}")


class OcclusionLayer(QObject):
    """The occlusion feature of a MainWindow (see the module docstring)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.view = window.frame_view
        self.selected: tuple[int, int] | None = None
        self._press: QPointF | None = None
        self._shown: tuple | None = None  # what the layer holds: (result id, joint, selection)
        self._index = -1
        self._offer_dock = False  # show the dock when the media opened has an analysis
        self.panel = OcclusionPanel()
        self.dock = QDockWidget("Occlusion sensitivity", window)
        self.dock.setObjectName("dock_occlusion")
        scroll = QScrollArea()  # the scale keeps its size; a short dock scrolls instead
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self.panel)
        self.dock.setWidget(scroll)
        window.addDockWidget(Qt.LeftDockWidgetArea, self.dock)
        side = getattr(window, "side_dock", None)
        if side is not None:  # a tab beside the settings: the scale and the table need height
            window.tabifyDockWidget(side, self.dock)
        self.dock.hide()
        self.action = QAction(qta.icon("mdi.grid", color="#dfe1e5", color_disabled="#6b6e75"),
                              "Occlusion &sensitivity…", window)
        self.action.setStatusTip("Slide a grey patch over the person and see, per joint, how "
                                 "much the fitted body moves (current frame)")
        self.action.setToolTip(self.action.statusTip())
        self.action.triggered.connect(self.run)
        window.addAction(self.action)
        window.actions_by_key["occlusion"] = self.action
        self._add_to_menus()

        c = self.controller
        c.media_opened.connect(lambda _src: self._clear())
        c.frame_ready.connect(self._on_frame)
        c.results_changed.connect(lambda _i: self.refresh())
        c.busy_changed.connect(lambda *_: self._update_action())
        c.job_done.connect(self._on_job_done)
        self.panel.joint.currentIndexChanged.connect(lambda _i: self.draw())
        self.panel.show_map.toggled.connect(lambda on: self.view.set_layer_visible(LAYER, on))
        self.view.viewport().installEventFilter(self)
        self._update_action()

    def _add_to_menus(self) -> None:
        """The action into Body (after Reconstruct surface), the dock's toggle into View."""
        menus = {a.menu().title().replace("&", ""): a.menu()
                 for a in self.window.menuBar().actions() if a.menu() is not None}
        body = menus.get("Body")
        if body is None:
            self.window.menuBar().addAction(self.action)
        else:
            after = self.window.actions_by_key.get("reconstruct")
            actions = body.actions()
            if after in actions and actions.index(after) + 1 < len(actions):
                body.insertAction(actions[actions.index(after) + 1], self.action)
            else:
                body.addAction(self.action)
        if "View" in menus:
            menus["View"].addAction(self.dock.toggleViewAction())

    # ---- running ----------------------------------------------------------------------------
    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def run(self) -> bool:
        """Start the analysis of the current frame."""
        self.show_dock()
        return self.controller.occlusion_sensitivity(self.panel.config())

    def _update_action(self) -> None:
        c = self.controller
        self.action.setEnabled(c.source is not None and not c.busy)

    def _on_job_done(self, name: str, cancelled: bool) -> None:
        if name == NAME and self.result() is not None:
            self.show_dock()
            self.view.set_layer_visible(LAYER, self.panel.show_map.isChecked())

    # ---- drawing ----------------------------------------------------------------------------
    def result(self):
        s = self.controller.session
        return None if s is None else s.occlusion.get(self.controller.index)

    def _clear(self) -> None:
        self.selected, self._shown, self._index = None, None, -1
        self._offer_dock = True
        self.view.set_layer_array(LAYER, None)
        self._update_action()

    def _on_frame(self, frame) -> None:
        if frame.index != self._index:  # a proxy replaced by the exact frame keeps the choice
            self._index = frame.index
            self.refresh()

    def refresh(self) -> None:
        """The current frame's map (another frame, or its results changed): selection cleared."""
        self.selected = None
        self.draw()

    def draw(self) -> None:
        res, p = self.result(), self.panel
        if res is None or (res.width, res.height) != self._frame_size():
            self._shown = None
            self.view.set_layer_array(LAYER, None)
            p.status.setText("No analysis of this frame yet: Body ▸ Occlusion sensitivity…")
            p.scale.clear()
            p.table.clear()
            return
        if self._offer_dock:
            self._offer_dock = False
            self.show_dock()
        joint = p.joint.currentData()
        vmax = scale_max(res.values(joint))
        key = (id(res), joint, self.selected)
        if key != self._shown or self.view.layer_array(LAYER) is None:
            self.view.set_layer_array(LAYER, heatmap_layer(res, joint, vmax, self.selected))
            self._shown = key
        rows, cols = res.shape
        part = "" if res.complete else f", cancelled after {int(res.done.sum())}"
        p.status.setText(f"<b>Frame {res.index}</b>: {rows}×{cols} patches of {res.patch} px, "
                         f"stride {res.stride} px{part}; {res.seconds:.0f} s. Brighter: the "
                         f"{'body' if joint is None else joint.replace('_', ' ')} moved more "
                         "when that cell was hidden.")
        title = "mm moved" if joint is None else f"{joint.replace('_', ' ')}, mm"
        bar = QPixmap.fromImage(to_qimage(colour_bar(vmax, 180, title)))
        p.scale.setPixmap(bar)
        p.scale.setMinimumSize(bar.size())  # never squeezed: the units are its point
        p.table.setText(table_html(res))

    def _frame_size(self) -> tuple[int, int] | None:
        src = self.controller.source
        return None if src is None else (src.width, src.height)

    # ---- clicking a cell --------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        kind = event.type()
        if kind == QEvent.MouseButtonPress and event.button() == Qt.LeftButton:
            self._press = event.position()
        elif kind == QEvent.MouseButtonRelease and event.button() == Qt.LeftButton and \
                self._press is not None:
            moved = event.position() - self._press
            self._press = None
            if abs(moved.x()) + abs(moved.y()) < CLICK_PX:
                p = self.view.mapToScene(event.position().toPoint())
                self.click(p.x(), p.y())
        return False  # the view still pans and zooms as before

    def click(self, x: float, y: float) -> tuple[int, int] | None:
        """A click at frame pixel (x, y): select that cell and show its patch's fit, or (same
        cell again, outside the map) go back to the frame's own fit. returns: the selection."""
        res = self.result()
        if res is None or not self.view.layer_visible(LAYER):
            return None
        cell = res.cell_at(math.floor(x), math.floor(y))  # scene: pixel i spans [i, i + 1)
        if cell is not None and not res.done[cell]:
            cell = None
        self.selected = None if cell == self.selected else cell
        self.draw()
        self._show_fit(res)
        return self.selected

    def _show_fit(self, res) -> None:
        c, viewer, p = self.controller, self.window.viewer, self.panel
        if self.selected is None:
            fit = c.fit()
            if fit is not None and fit.vertices is not None and c.faces is not None:
                viewer.set_body(fit.vertices, c.faces, fit.joints, c.parents)
            elif viewer.mesh is not None:
                viewer.clear_body()
            p.cell.setText("Click a cell to see that patch's fit in the 3D viewer.")
            return
        r, col = self.selected
        x0, y0, x1, y1 = (int(v) for v in res.cell_box(r, col))
        where = f"Patch x {x0}–{x1}, y {y0}–{y1} px"
        fit = res.fits.get(self.selected)
        if res.lost[r, col] or fit is None or fit.vertices is None or c.faces is None:
            p.cell.setText(f"<b>{where}</b>: the person was lost; there is no fit to show.")
            if viewer.mesh is not None:
                viewer.clear_body()
            return
        viewer.set_body(fit.vertices, c.faces, fit.joints, c.parents)
        d = res.displacement[r, col]
        top = np.argsort(-d)[:3]
        moved = ", ".join(f"{res.joints[j].replace('_', ' ')} {d[j]:.0f} mm" for j in top)
        p.cell.setText(f"<b>{where}</b> hidden: the body moved {float(np.mean(d)):.0f} mm on "
                       f"average ({moved}). The 3D viewer shows this patch's fit; click the "
                       "cell again for the frame's own.")
        self.window.status_label.setText(f"Showing the fit with the patch at x {x0}–{x1}, "
                                         f"y {y0}–{y1} hidden")
