"""MainWindow: frame view, timeline, 3D viewer, settings, log and status bar, wired to the
StudioController. Only this thread touches widgets and VTK; the controller brings numpy."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QSplitter, QToolBar, QVBoxLayout,
                               QWidget)

from core.errors import StudioError
from core.export.formats import SUFFIX
from core.types import Frame, Progress
from gui import pipeline
from gui.controller import StudioController
from gui.dialogs.errors import ErrorReporter
from gui.dialogs.export_dialog import ExportDialog, ExportOptions
from gui.widgets.frame_view import FrameView
from gui.widgets.glb_player import GlbPlayer
from gui.widgets.log_panel import LogPanel
from gui.widgets.side_panel import SidePanel
from gui.widgets.timeline import Timeline
from gui.widgets.viewer3d import Viewer3D

APP_NAME = "Human Studio"
MAX_RECENT = 8
MEDIA_FILTER = ("Photos and videos (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.webp *.mp4 *.mov "
                "*.avi *.mkv *.webm *.m4v);;All files (*)")

ICON = "#dfe1e5"


class MainWindow(QMainWindow):
    """The studio window.

    restore_policy: what to do when opened media has a saved session: "ask" (a question
    dialog), "always" or "never" (tests use "always").
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings()
        self.restore_policy = "ask"
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(qta.icon("mdi.human", color="#4c8ce6"))
        self.setAcceptDrops(True)
        self.controller = StudioController(self)
        self._stage_started: tuple[str, float] = ("", 0.0)

        # -- widgets
        self.frame_view = FrameView()
        self.frame_view.setAcceptDrops(False)
        self.frame_view.viewport().setAcceptDrops(False)
        self.viewer = Viewer3D()
        self.glb_player = GlbPlayer(self.viewer)
        self.timeline = Timeline()
        self.side_panel = SidePanel()
        self.log_panel = LogPanel()
        self.errors = ErrorReporter(self, self.log_panel.append)

        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.frame_view)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(split, 1)
        lay.addWidget(self.timeline)
        self.setCentralWidget(central)

        self.side_dock = self._dock("Settings", self.side_panel, Qt.LeftDockWidgetArea, "side")
        self.log_dock = self._dock("Log", self.log_panel, Qt.BottomDockWidgetArea, "log")
        self.log_dock.setMinimumHeight(90)

        # -- status bar
        sb = self.statusBar()
        self.status_label = QLabel("Ready")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.eta_label = QLabel("")
        self.cancel_button = QPushButton(qta.icon("fa5s.stop-circle", color="#ff6b5b"), "Cancel")
        self.cancel_button.setToolTip("Stop the running job; finished frames are kept (Esc)")
        self.cancel_button.clicked.connect(self.controller.cancel)
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.eta_label)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.cancel_button)
        self._set_busy(False, "")

        self._make_actions()
        self._connect()
        self._load_settings()
        self._update_actions()
        from gui.widgets.occlusion_layer import OcclusionLayer  # Body > Occlusion sensitivity…

        self.occlusion = OcclusionLayer(self)
        from gui.widgets.label_layer import LabelLayer  # View > Skin / hair / garment labels

        self.labels_layer = LabelLayer(self)

    # ---- construction -------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetClosable |
                         QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, key: str, text: str, icon: str | None, slot, shortcut=None,
                tip: str = "", checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if icon:
            a.setIcon(qta.icon(icon, color=ICON, color_disabled="#6b6e75"))
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        a.setToolTip(f"{tip or text} ({a.shortcut().toString()})" if shortcut else (tip or text))
        a.setStatusTip(tip or text)
        a.setCheckable(checkable)
        (a.toggled if checkable else a.triggered).connect(slot)
        self.addAction(a)
        self.actions_by_key[key] = a
        return a

    def _make_actions(self) -> None:
        self.actions_by_key: dict[str, QAction] = {}
        c = self.controller
        A = self._action
        A("open", "&Open…", "fa5s.folder-open", self.open_dialog, QKeySequence.Open,
          "Open a photo, a video or a folder of frames")
        A("open_folder", "Open &folder…", "fa5s.images", self.open_folder_dialog, None,
          "Open a folder of frames")
        A("open_glb", "Open &GLB in 3D viewer…", "mdi.motion-play", self.open_glb_dialog, None,
          "Show a .glb (an exported animated body or avatar) in the 3D viewer; it plays with "
          "the timeline")
        A("save", "&Save session", "fa5s.save", lambda: self.save_session(), QKeySequence.Save,
          "Save every detection and fit beside the media")
        A("save_as", "Save session &as…", None, self.save_session_as, QKeySequence("Ctrl+Shift+S"))
        A("export", "&Export…", "mdi.export", self.export_dialog, QKeySequence("Ctrl+E"),
          "Export the fitted body (current frame or every frame), the clothed surface or the "
          "avatar as OBJ, glTF (rigged and animated), BVH or SMPL-layout parameters")
        A("batch", "&Batch…", "mdi.folder-multiple-image", self.batch_dialog, None,
          "Fit, track, reconstruct or optimize every photo and video of a folder (resumable)")
        A("settings", "Se&ttings", "fa5s.cog", self.show_settings, QKeySequence("Ctrl+,"),
          "Body model folder, device, default fit quality, surface mode and detail")
        A("quit", "&Quit", None, self.close, QKeySequence.Quit)
        A("detect", "&Detect frame", "mdi.account-search", lambda: c.detect(False), "D",
          "Find the keypoints and person mask in the current frame")
        A("detect_all", "Detect &all frames", "mdi.account-multiple-check",
          lambda: c.detect(True), "Shift+D", "Find keypoints and masks in every frame")
        A("fit", "&Fit frame", "mdi.run", lambda: c.fit_frames(False), "F",
          "Fit the body model to the current frame")
        A("fit_all", "Fit a&ll frames", "mdi.run-fast", lambda: c.fit_frames(True), "Shift+F",
          "Fit the body model to every frame not fitted yet")
        A("optimize", "&Optimize subject", "mdi.account-cog", c.optimize_subject, "Shift+O",
          "One clothed, textured avatar optimized over the fitted frames (Cancel keeps the best "
          "so far)")
        A("reconstruct", "&Reconstruct surface", "mdi.human-handsup", c.reconstruct_surface, "R",
          "Clothed surface of the current frame, coloured from the image (needs a fitted body)")
        A("cancel", "&Cancel", "fa5s.stop-circle", c.cancel, "Esc", "Stop the running job")
        A("play", "Play / pause", "fa5s.play", self.timeline.toggle_play, "Space")
        A("prev", "Previous frame", None, lambda: self.timeline.step(-1), "Left")
        A("next", "Next frame", None, lambda: self.timeline.step(1), "Right")
        A("first", "First frame", None, self.timeline.first, "Home")
        A("last", "Last frame", None, self.timeline.last, "End")
        A("zoom_fit", "&Fit to window", "mdi.fit-to-page-outline", self.frame_view.fit, "Ctrl+0")
        A("zoom_in", "Zoom &in", "fa5s.search-plus", lambda: self.frame_view.zoom(1.25),
          QKeySequence.ZoomIn)
        A("zoom_out", "Zoom &out", "fa5s.search-minus", lambda: self.frame_view.zoom(0.8),
          QKeySequence.ZoomOut)
        A("zoom_1", "&Actual pixels", None, self.frame_view.zoom_actual, "Ctrl+1")
        layer_icons = {"image": "fa5s.image", "skeleton": "mdi.vector-polyline",
                       "mask": "mdi.account-box", "body": "mdi.human-male"}
        layer_names = {"image": "Image", "skeleton": "Keypoints", "mask": "Person mask",
                       "body": "Body overlay"}
        for n, layer in enumerate(("image", "skeleton", "mask", "body"), start=1):
            a = A(f"layer_{layer}", layer_names[layer], layer_icons[layer],
                  lambda on, name=layer: self.frame_view.set_layer_visible(name, on), str(n),
                  f"Show or hide the {layer_names[layer].lower()} layer", checkable=True)
            a.setChecked(True)
        A("about", "&About", "fa5s.info-circle", self.about)

        k = self.actions_by_key
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([k["open"], k["open_folder"], k["open_glb"]])
        self.recent_menu = m.addMenu(qta.icon("fa5s.history", color=ICON), "Open &recent")
        m.addSeparator()
        m.addActions([k["save"], k["save_as"], k["export"], k["batch"]])
        m.addSeparator()
        m.addActions([k["settings"], k["quit"]])
        m = mb.addMenu("&Body")
        m.addActions([k["detect"], k["detect_all"]])
        m.addSeparator()
        m.addActions([k["fit"], k["fit_all"], k["optimize"], k["reconstruct"]])
        m.addSeparator()
        m.addAction(k["cancel"])
        m = mb.addMenu("&View")
        m.addActions([k["layer_image"], k["layer_skeleton"], k["layer_mask"], k["layer_body"]])
        m.addSeparator()
        m.addActions([k["zoom_fit"], k["zoom_in"], k["zoom_out"], k["zoom_1"]])
        m.addSeparator()
        m.addActions([self.side_dock.toggleViewAction(), self.log_dock.toggleViewAction()])
        m = mb.addMenu("&Playback")
        m.addActions([k["play"], k["prev"], k["next"], k["first"], k["last"]])
        mb.addMenu("&Help").addAction(k["about"])

        tb = QToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
        tb.addActions([k["open"], k["save"], k["export"]])
        tb.addSeparator()
        tb.addActions([k["detect"], k["fit"], k["fit_all"], k["optimize"], k["reconstruct"]])
        tb.addSeparator()
        tb.addActions([k["layer_image"], k["layer_skeleton"], k["layer_mask"], k["layer_body"]])
        tb.addSeparator()
        tb.addActions([k["zoom_fit"], k["settings"]])
        self.addToolBar(Qt.TopToolBarArea, tb)
        self.toolbar = tb

    def _connect(self) -> None:
        c = self.controller
        c.media_opened.connect(self._on_media_opened)
        c.frame_ready.connect(self._on_frame)
        c.results_changed.connect(self._on_results)
        c.busy_changed.connect(self._set_busy)
        c.progress.connect(self._on_progress)
        c.error.connect(self.errors.report)
        c.message.connect(self.log_panel.append)
        c.avatar_preview.connect(self._on_avatar_preview)
        c.busy_changed.connect(self._show_layers_for_job)
        c.job_done.connect(self._on_job_done)
        self.timeline.index_changed.connect(c.show_frame)
        self.timeline.index_changed.connect(self._show_glb_frame)
        self.frame_view.overlay_scale_changed.connect(lambda _scale: self._draw_results())
        self.timeline.playing_changed.connect(
            lambda on: self.actions_by_key["play"].setIcon(
                qta.icon("fa5s.pause" if on else "fa5s.play", color=ICON)))
        self.side_panel.changed.connect(self._on_settings_changed)
        self.viewer.plotter.interactor.setToolTip("Drag to turn, wheel to zoom, Shift+drag to pan")

    # ---- settings -----------------------------------------------------------------------------------
    def _load_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1480, 900)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        p = self.side_panel
        p.set_model_dir(str(s.value("body/model_dir", "") or ""))
        p.set_value(p.body_model, str(s.value("body/model", "anny")))
        p.set_value(p.device, str(s.value("body/device", "auto")))
        p.set_value(p.quality, str(s.value("body/quality", "balanced")))
        p.set_value(p.surface_mode, str(s.value("surface/mode", "depth")))
        p.set_value(p.surface_detail, str(s.value("surface/detail", "medium")))
        p.subject_frames.setValue(int(s.value("subject/frames", 40)))
        p.subject_iterations.setValue(int(s.value("subject/iterations", 400)))
        self._on_settings_changed()
        self._rebuild_recent()

    def _save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        p = self.side_panel
        s.setValue("body/model_dir", p.model_dir.text())
        s.setValue("body/model", p.value(p.body_model))
        s.setValue("body/device", p.value(p.device))
        s.setValue("body/quality", p.value(p.quality))
        s.setValue("surface/mode", p.value(p.surface_mode))
        s.setValue("surface/detail", p.value(p.surface_detail))
        s.setValue("subject/frames", p.subject_frames.value())
        s.setValue("subject/iterations", p.subject_iterations.value())
        s.sync()

    def _on_settings_changed(self) -> None:
        p, fs = self.side_panel, self.controller.fit_settings
        fs.body_model = p.value(p.body_model)
        fs.model_dir = p.model_dir.text() or None
        device = p.value(p.device)
        fs.device = None if device == "auto" else device
        fs.quality = p.value(p.quality)
        ss = self.controller.surface_settings
        ss.mode, ss.detail = p.value(p.surface_mode), p.value(p.surface_detail)
        sub = self.controller.subject_settings
        sub.frames, sub.iterations = p.subject_frames.value(), p.subject_iterations.value()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: str) -> None:
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent/files", files[:MAX_RECENT])
        self._rebuild_recent()

    def _rebuild_recent(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            a = self.recent_menu.addAction(Path(f).name)
            a.setToolTip(f)
            a.triggered.connect(lambda _=False, f=f: self.open_path(f))
        self.recent_menu.setEnabled(bool(files))

    def settings_dialog(self):
        """A SettingsDialog over the current settings; accepting it applies them here."""
        from gui.dialogs.settings_dialog import SettingsDialog

        self._save_settings()  # the dialog starts from what the side panel shows now
        dlg = SettingsDialog(self.settings, self)
        dlg.accepted.connect(lambda: self.apply_settings(dlg.values()))
        return dlg

    def show_settings(self) -> None:
        self.settings_dialog().exec()

    def apply_settings(self, values: dict[str, str]) -> None:
        """Show saved defaults (SettingsDialog.values()) in the side panel and use them."""
        p = self.side_panel
        p.set_model_dir(values.get("body/model_dir", ""))
        for combo, key in ((p.device, "body/device"), (p.quality, "body/quality"),
                           (p.surface_mode, "surface/mode"), (p.surface_detail, "surface/detail")):
            if key in values:
                p.set_value(combo, values[key])
        self._on_settings_changed()

    # ---- opening ------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(Path(self.recent_files()[0]).parent) if self.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo or video", start, MEDIA_FILTER)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of frames")
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open media (and offer to restore its session). Errors show a dialog."""
        self.timeline.pause()
        if not self.controller.open_media(path):
            return False
        self._remember(str(Path(path).resolve()))
        saved = self.controller.saved_session_path()
        if saved is not None and self._should_restore(saved):
            self.controller.restore_session(saved)
        return True

    def _should_restore(self, saved: Path) -> bool:
        if self.restore_policy != "ask":
            return self.restore_policy == "always"
        answer = QMessageBox.question(
            self, "Restore session",
            f"This file has a saved session ({saved.name}) with earlier detections and fits.\n"
            "Restore it? (No starts over; the saved file is replaced at the next save.)",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        return answer == QMessageBox.Yes

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_path(files[0]))

    # ---- reacting to the controller -----------------------------------------------------------------
    def _on_media_opened(self, source) -> None:
        self._shown = None
        self.setWindowTitle(f"{Path(source.path).name} — {APP_NAME}")
        self.timeline.set_count(len(source), source.fps)
        self.viewer.clear()
        kind = {"image": "Photo", "video": "Video", "folder": "Frame folder"}.get(source.kind, "Media")
        fps = f", {source.fps:.3g} fps" if source.fps else ""
        self.side_panel.media_info.setText(
            f"<b>{Path(source.path).name}</b><br>{kind}, {source.width}×{source.height}, "
            f"{len(source)} frame(s){fps}")
        self._update_actions()

    def _on_frame(self, frame: Frame) -> None:
        # a DisplayFrame: the exact frame, or a display proxy stretched over the full frame
        self.frame_view.set_image(frame.image, getattr(frame, "full_size", None))
        if self.timeline.index != frame.index:
            self.timeline.set_index(frame.index)
        shown, self._shown = getattr(self, "_shown", None), (frame.index, frame)
        if shown is None or shown[0] != frame.index or getattr(shown[1], "exact", True):
            self._draw_results()  # (the exact frame replacing a proxy changes no layer)

    def _on_results(self, index: int) -> None:
        s = self.controller.session
        if s is not None:
            self.timeline.set_status(s.frame_status())
            if index < 0 or index in s.fits:
                self.timeline.set_series(self.controller.series())
        if index < 0 or index == self.controller.index:
            self._draw_results()
        self._update_actions()

    def _draw_results(self) -> None:
        """Layers and 3D body of the current frame from the session."""
        c = self.controller
        obs, fit, frame = c.observation(), c.fit(), c.frame
        fv = self.frame_view
        fv.set_mask(obs.mask if obs is not None and obs.person else None)
        fv.set_keypoints(obs.keypoints2d if obs is not None and obs.person else None)
        lines = [f"Frame {c.index}"]
        if obs is not None:
            lines.append("person found" if obs.person else "no person found")
        if fit is not None and fit.vertices is not None and c.faces is not None and frame is not None:
            t0 = time.perf_counter()
            try:  # the body's box only, at display resolution, cached per frame
                layer = c.body_overlay(fv.overlay_scale())
                if (fit.camera.width, fit.camera.height) != getattr(
                        frame, "full_size", frame.image.shape[1::-1]):
                    layer = None
            except Exception as exc:  # noqa: BLE001 - a drawing failure must not stop scrubbing
                self.log_panel.append(f"Body overlay could not be drawn: {exc}", "warning")
                layer = None
            fv.set_layer_patch("body", layer)
            self._overlay_ms = (time.perf_counter() - t0) * 1000
            self.viewer.set_up(c.scene_up())     # a camera that looked down: stand them up
            self.viewer.set_body(fit.vertices, c.faces, fit.joints, c.parents)
            lines.append(f"fit: {fit.status.replace('_', ' ')}")
            if np.isfinite(fit.error):
                lines.append(f"keypoint error {fit.error:.1f} px")
            if np.isfinite(fit.iou):
                lines.append(f"silhouette IoU {fit.iou:.2f}")
        else:
            fv.set_body(None)
            if fit is not None:
                lines.append(f"fit: {fit.status.replace('_', ' ')}")
            self.viewer.clear_body() if self.viewer.mesh is not None else None
        lines += self._draw_clothed()
        self.side_panel.info.setText("<br>".join(lines))
        self.info_lines = lines

    def _draw_clothed(self) -> list[str]:
        """The clothed layers of the current frame: its surface and the posed avatar (or the
        live preview while the avatar is optimized). returns: lines for the info panel."""
        c, v, lines = self.controller, self.viewer, []
        surface = c.surface()
        if surface is not None:
            v.set_clothed("surface", surface.vertices, surface.faces, surface.vertex_colors,
                          surface.uvs, surface.face_uvs, surface.texture,
                          key=("surface", id(surface)))
            lines.append(f"clothed surface: {surface.num_vertices} vertices ({surface.mode})")
        elif v.layers["surface"] is not None:
            v.set_clothed("surface", None)
        if c.preview is not None:
            return lines
        avatar, k = (c.session.avatar if c.session else None), c.avatar_frame()
        if avatar is not None and k is not None:
            v.set_clothed("avatar", avatar.posed[k], avatar.faces, avatar.vertex_colors,
                          avatar.uvs, avatar.face_uvs, avatar.texture, key=("avatar", id(avatar)))
            lines.append(f"avatar posed as in frame {k}" if k != c.index else "avatar")
        elif v.layers["avatar"] is not None:
            v.set_clothed("avatar", None)
        return lines

    def _on_avatar_preview(self, snap) -> None:
        """Live preview: the avatar in its rest pose as the optimizer improves it."""
        self.viewer.set_clothed("avatar", snap.vertices, snap.faces, frame="canonical",
                                key=("preview", snap.faces.shape))
        best = f", best {snap.best_loss:.4f}" if np.isfinite(snap.best_loss) else ""
        self.status_label.setText(f"Optimize subject: step {snap.iteration}{best}")

    def _show_layers_for_job(self, busy: bool, name: str) -> None:
        """Show what a job is about to make: the body for fits, the avatar while optimizing."""
        if not busy:
            return
        if name.startswith("Fit"):
            self.viewer.set_layer_visible("body", True)
        elif name == "Optimize subject":
            self.viewer.set_layer_visible("body", False)
            self.viewer.set_layer_visible("avatar", True)
            self.viewer.set_layer_visible("surface", False)

    def _on_job_done(self, name: str, cancelled: bool) -> None:
        c, v = self.controller, self.viewer
        if name == "Reconstruct surface" and c.surface() is not None:
            v.set_layer_visible("body", False)
            v.set_layer_visible("avatar", False)
            v.set_layer_visible("surface", True)
            v.view("front")
        elif name == "Optimize subject":
            self._draw_results()
            v.view("front")

    def _set_busy(self, busy: bool, name: str) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.eta_label.setVisible(busy)
        if busy:
            self.progress_bar.setRange(0, 0)
            self.status_label.setText(f"{name}…")
            self.eta_label.setText("")
            self._stage_started = ("", time.monotonic())
        else:
            self.status_label.setText(f"{name} done" if name else "Ready")
        if hasattr(self, "actions_by_key"):
            self._update_actions()

    def _on_progress(self, p: Progress) -> None:
        if p.stage != self._stage_started[0]:
            self._stage_started = (p.stage, time.monotonic())
        if p.total > 0:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
            self.progress_bar.setFormat(f"{p.stage} %v/%m")
        text = p.message or p.stage
        self.status_label.setText(f"{self.controller.job_name}: {text}")
        elapsed = time.monotonic() - self._stage_started[1]
        if 0 < p.done < p.total and elapsed > 0.5:
            left = elapsed / p.done * (p.total - p.done)
            self.eta_label.setText(f"{int(left // 60)}:{int(left % 60):02d} left")

    def _update_actions(self) -> None:
        c, k = self.controller, self.actions_by_key
        has_media, busy = c.source is not None, c.busy
        for key in ("detect", "detect_all", "fit", "fit_all"):
            k[key].setEnabled(has_media and not busy)
        k["detect_all"].setEnabled(has_media and not busy and len(c.source) > 1 if has_media else False)
        k["fit_all"].setEnabled(k["fit_all"].isEnabled() and has_media and len(c.source) > 1)
        k["cancel"].setEnabled(busy)
        k["open"].setEnabled(not busy)
        k["open_folder"].setEnabled(not busy)
        k["save"].setEnabled(has_media)
        k["save_as"].setEnabled(has_media)
        fit = c.fit()
        fitted_here = fit is not None and fit.vertices is not None
        k["reconstruct"].setEnabled(has_media and not busy and fitted_here)
        k["optimize"].setEnabled(has_media and not busy and len(c.source) > 1
                                 and bool(c.fitted_indices()) if has_media else False)
        k["export"].setEnabled(bool(self.export_kinds()))

    # ---- saving and export --------------------------------------------------------------------------
    def save_session(self, path: str | Path | None = None) -> Path | None:
        written = self.controller.save(path, force=True)
        if written:
            self.status_label.setText(f"Session saved: {written.name}")
        return written

    def save_session_as(self) -> None:
        if self.controller.session is None:
            return
        from core.session import session_path_for

        default = str(self.controller.session.path or session_path_for(self.controller.source.path))
        path, _ = QFileDialog.getSaveFileName(self, "Save session as", default,
                                              "Studio session (*.studio.npz)")
        if path:
            self.save_session(path)

    def export_kinds(self) -> tuple[str, ...]:
        """What can be exported now: "body", "surface" (of this frame), "avatar"."""
        c = self.controller
        kinds = []
        if c.fitted_indices() and c.faces is not None:
            kinds.append("body")
        if c.surface() is not None:
            kinds.append("surface")
        if c.session is not None and c.session.avatar is not None:
            kinds.append("avatar")
        return tuple(kinds)

    def export_dialog(self) -> None:
        c = self.controller
        kinds = self.export_kinds()
        if c.source is None or not kinds:
            return
        shown = [n for n in ("surface", "avatar") if n in kinds and self.viewer.visible[n]]
        kind = shown[0] if shown else kinds[0]
        stem = Path(c.source.path).stem
        default = Path(c.source.path).with_name(f"{stem}_body_{c.index:06d}.obj")
        dlg = ExportDialog(default, len(c.fitted_indices()) > 1, self, kinds, kind,
                           smpl=c.fit_settings.body_model in ("smpl", "smplh", "smplx"))

        def name_for(what: str) -> str:
            tail = "" if what == "avatar" else f"_{c.index:06d}"
            return str(default.with_name(f"{stem}_{what}{tail}").with_suffix(
                SUFFIX[dlg.format.currentData()]))

        dlg.what.currentIndexChanged.connect(lambda: dlg.path.setText(
            name_for(dlg.what.currentData())))
        if kind != "body":
            dlg.path.setText(name_for(kind))
        if dlg.exec():
            self.export(dlg.options())

    def open_glb_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a GLB in the 3D viewer", "",
                                              "glTF binary (*.glb)")
        if path:
            self.open_glb(path)

    def open_glb(self, path: str | Path) -> bool:
        """Show a .glb in the 3D viewer, posed with the timeline (with no media open, the
        timeline takes the file's frames). Errors show a dialog."""
        try:
            self.glb_player.open(path)
        except StudioError as exc:
            self.errors.report("Cannot open this GLB", str(exc))
            return False
        if self.controller.source is None:
            self.timeline.set_count(self.glb_player.frame_count, self.glb_player.fps)
        self._show_glb_frame(self.timeline.index)
        self.status_label.setText(f"{Path(path).name} in the 3D viewer: plays with the timeline")
        return True

    def _show_glb_frame(self, index: int) -> None:
        source = self.controller.source
        self.glb_player.show_frame(index, source.fps if source is not None else 0.0,
                                   from_media=source is not None)

    def export(self, options: ExportOptions) -> list[Path]:
        """Export with ``options``; errors show a dialog. returns the files written."""
        try:
            files = self.controller.export(options)
        except StudioError as exc:
            self.errors.report("Cannot export", str(exc))
            return []
        self.status_label.setText(f"Exported {files[0].name}" + (
            f" and {len(files) - 1} more file(s)" if len(files) > 1 else ""))
        return files

    def batch_dialog(self):
        from gui.dialogs.batch_dialog import show_batch_dialog

        return show_batch_dialog(self)

    def about(self) -> None:
        QMessageBox.about(self, APP_NAME, f"<b>{APP_NAME}</b><p>A photo or video of a person "
                          "to a 3D body and a clothed mesh.</p>")

    # ---- closing ------------------------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        """Stop the job (Cancel, never terminate), save the session and the settings."""
        self.timeline.pause()
        if self.controller.busy:
            self.status_label.setText("Stopping the running job and saving…")
        self.controller.shutdown()
        self._save_settings()
        self.viewer.close_viewer()
        event.accept()
