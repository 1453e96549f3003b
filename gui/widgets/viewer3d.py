"""Viewer3D: the current frame's body in a pyvistaqt QtInteractor.

Receives numpy arrays on the GUI thread and updates one ``pv.PolyData`` in place (a new topology
replaces it). Vertices arrive in the camera frame (x right, y down, z forward) and are shown
upright (y up) so the default camera looks at the subject's front. Buttons: front / side / back /
reset camera, wireframe, joints.
"""
from __future__ import annotations

import numpy as np
import pyvista as pv
import qtawesome as qta
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from core.export.mesh_io import camera_to_upright

BODY_COLOR = "#9fb8d8"


def _to_view(vertices: np.ndarray) -> np.ndarray:
    """Camera frame -> viewer frame (y up, subject facing +z): a 180° turn about x, the same
    upright frame the OBJ export writes."""
    return camera_to_upright(vertices)


class Viewer3D(QWidget):
    """3D view of one body mesh with camera presets and display toggles."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plotter = QtInteractor(self, auto_update=False)
        self.plotter.set_background("#1d1f23", top="#3a3f48")
        self.mesh: pv.PolyData | None = None
        self.joints: pv.PolyData | None = None
        self._mesh_actor = None
        self._joint_actor = None
        self._faces: np.ndarray | None = None
        self._wireframe = False
        self._show_joints = False
        self.message = QLabel("No body yet — Fit frame (F) to see it here.")
        self.message.setStyleSheet("color: #9aa0a6; padding: 2px 6px;")

        bar = QHBoxLayout()
        bar.setContentsMargins(2, 2, 2, 2)

        def button(icon: str, tip: str, slot, checkable: bool = False) -> QToolButton:
            b = QToolButton()
            b.setIcon(qta.icon(icon, color="#dddddd"))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.setIconSize(QSize(16, 16))
            b.setCheckable(checkable)
            (b.toggled if checkable else b.clicked).connect(slot)
            bar.addWidget(b)
            return b

        self.front_btn = button("mdi.human-handsdown", "Front view", lambda: self.view("front"))
        self.side_btn = button("mdi.human-male-height", "Side view", lambda: self.view("side"))
        self.back_btn = button("mdi.rotate-3d-variant", "Back view", lambda: self.view("back"))
        self.reset_btn = button("mdi.backup-restore", "Reset camera", lambda: self.view("front"))
        bar.addSpacing(8)
        self.wire_btn = button("mdi.vector-triangle", "Wireframe", self.set_wireframe, True)
        self.joints_btn = button("mdi.vector-polyline", "Joints", self.set_show_joints, True)
        bar.addStretch(1)
        bar.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.plotter.interactor, 1)
        self.plotter.add_axes(interactive=False, line_width=2, labels_off=False)

    # ---- content ----------------------------------------------------------------------------------
    def set_body(self, vertices: np.ndarray | None, faces: np.ndarray | None,
                 joints: np.ndarray | None = None, parents: np.ndarray | None = None) -> None:
        """Show a body. vertices: (V, 3) float32 camera frame, metres; faces: (F, 3) int64;
        joints: (J, 3) float32 camera frame; parents: (J,) int (-1 root). None clears."""
        if vertices is None or faces is None:
            self.clear()
            return
        pts = _to_view(vertices)
        first = self.mesh is None
        if self.mesh is not None and self._faces is faces and self.mesh.n_points == len(pts):
            self.mesh.points = pts
            self.mesh.compute_normals(inplace=True, cell_normals=False, split_vertices=False)
        else:
            self.plotter.remove_actor(self._mesh_actor) if self._mesh_actor else None
            cells = np.hstack([np.full((len(faces), 1), 3, np.int64), faces]).ravel()
            self.mesh = pv.PolyData(pts, cells)
            self.mesh.compute_normals(inplace=True, cell_normals=False, split_vertices=False)
            self._faces = faces
            self._mesh_actor = self.plotter.add_mesh(
                self.mesh, color=BODY_COLOR, smooth_shading=True, specular=0.25,
                show_edges=False, name="body", reset_camera=False)
            self._apply_style()
        self._set_joints(joints, parents)
        self.message.setText("")
        if first:
            self.view("front")
        self.plotter.render()

    def _set_joints(self, joints: np.ndarray | None, parents: np.ndarray | None) -> None:
        self.plotter.remove_actor("joints")
        self.joints = None
        if joints is None:
            return
        pts = _to_view(joints)
        poly = pv.PolyData(pts)
        if parents is not None and len(parents) == len(pts):
            lines = [(2, int(p), i) for i, p in enumerate(parents) if p >= 0]
            if lines:
                poly.lines = np.asarray(lines, np.int64).ravel()
        self.joints = poly
        self._joint_actor = self.plotter.add_mesh(poly, color="#ff6a5a", point_size=7,
                                                  render_points_as_spheres=True, line_width=3,
                                                  name="joints", reset_camera=False)
        self._joint_actor.SetVisibility(self._show_joints)
        self._joint_actor.GetProperty().SetOpacity(1.0)

    def clear(self) -> None:
        self.plotter.clear_actors()
        self.mesh, self.joints, self._faces, self._mesh_actor = None, None, None, None
        self.message.setText("No body yet — Fit frame (F) to see it here.")
        self.plotter.render()

    # ---- display ----------------------------------------------------------------------------------
    def view(self, which: str) -> None:
        """Camera preset: "front", "side" (subject's left) or "back"."""
        if self.mesh is None:
            return
        c = np.asarray(self.mesh.center)
        direction = {"front": (0, 0, 1), "side": (1, 0, 0), "back": (0, 0, -1)}[which]
        cam = self.plotter.camera
        cam.focal_point = tuple(c)
        cam.position = tuple(c + np.asarray(direction, float))
        cam.up = (0.0, 1.0, 0.0)
        self.plotter.reset_camera(bounds=self.mesh.bounds)  # keeps the direction, fits the body
        self.plotter.camera.zoom(0.92)
        self.plotter.render()

    def set_wireframe(self, on: bool) -> None:
        self._wireframe = bool(on)
        self._apply_style()
        self.plotter.render()

    def set_show_joints(self, on: bool) -> None:
        self._show_joints = bool(on)
        if self._joint_actor is not None and self.joints is not None:
            self._joint_actor.SetVisibility(self._show_joints)
        self._apply_style()
        self.plotter.render()

    def _apply_style(self) -> None:
        if self._mesh_actor is None:
            return
        prop = self._mesh_actor.GetProperty()
        prop.SetRepresentationToWireframe() if self._wireframe else prop.SetRepresentationToSurface()
        # joints sit inside the body: see them through a half-transparent surface
        prop.SetOpacity(0.45 if self._show_joints and not self._wireframe else 1.0)

    def close_viewer(self) -> None:
        """Release VTK resources (call once, before the window closes)."""
        self.plotter.close()
