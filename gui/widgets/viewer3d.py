"""Viewer3D: the current frame's body, clothed surface and avatar in a pyvistaqt QtInteractor.

Receives numpy arrays on the GUI thread and updates one ``pv.PolyData`` per layer in place (a new
topology replaces it). Vertices arrive in the camera frame (x right, y down, z forward) or the
canonical body frame (y down, facing -z) and are shown upright (y up) so the default camera looks
at the subject's front. Layers: "body" (the fitted body, flat colour), "surface" (the frame's
clothed surface, vertex colours), "avatar" (the subject's avatar, UV texture or vertex
colours) and "animation" (a GLB opened from a file, posed with the timeline:
gui.widgets.glb_player); each has a toggle button. Buttons: front / side / back / reset camera,
wireframe, joints.

Speed (software OpenGL on a laptop CPU): the GL widget is a native child window (see
``__init__``), no multisampling (8x MSAA made one render of the body
~4x dearer), normals from numpy, points moved in place, and meshes that stream in (a scrub step,
playback, live previews) render at most every ``min_render_interval_s`` through one
coalesced repaint; the user's own turning renders at once as before.
"""
from __future__ import annotations

import time

import numpy as np
import pyvista as pv
import qtawesome as qta
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from core.export.gltf import split_uv_seams
from core.export.mesh_io import camera_to_upright
from core.render.overlay import vertex_normals

BODY_COLOR = "#9fb8d8"
#: Layers under the body's: name -> (button icon, tooltip).
CLOTHED_LAYERS = {"surface": ("mdi.tshirt-crew", "Show the clothed surface of this frame"),
                  "avatar": ("mdi.account-star", "Show the subject's avatar"),
                  "animation": ("mdi.motion-play", "Show the GLB opened in the 3D viewer "
                                                   "(File > Open GLB in 3D viewer)")}


def _to_view(vertices: np.ndarray, up: np.ndarray | None = None) -> np.ndarray:
    """Camera frame -> viewer frame (y up along ``up``, the world's up in the camera frame, or a
    level camera's: a 180° turn about x; subject facing +z): the upright frame the exports
    write."""
    return camera_to_upright(vertices, up)


class Viewer3D(QWidget):
    """3D view of one body mesh with camera presets and display toggles."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)
        #: streamed mesh updates render at most this often (seconds); see the module docstring
        self.min_render_interval_s = 0.2
        self.renders = 0  # renders requested through render_soon (for benchmarks)
        self._last_render = 0.0
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._render_now)
        self.plotter.set_background("#1d1f23", top="#3a3f48")
        self.mesh: pv.PolyData | None = None
        self.joints: pv.PolyData | None = None
        self._mesh_actor = None
        self._joint_actor = None
        self._joint_parents = None
        self._shown_vertices = None
        #: the world's up in the camera frame (core.export.upright), None for a level camera
        self.up: np.ndarray | None = None
        self._faces: np.ndarray | None = None
        self._wireframe = False
        self._show_joints = False
        #: clothed layers: name -> pv.PolyData / actor / key of the topology shown
        self.layers: dict[str, pv.PolyData | None] = {n: None for n in CLOTHED_LAYERS}
        self._layer_actors: dict[str, object] = {}
        self._layer_keys: dict[str, object] = {}
        self.visible = {"body": True, **{n: True for n in CLOTHED_LAYERS}}
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
        bar.addSpacing(8)
        self.layer_buttons: dict[str, QToolButton] = {}
        self.layer_buttons["body"] = button("mdi.human-male", "Show the fitted body",
                                            lambda on: self.set_layer_visible("body", on), True)
        for name, (icon, tip) in CLOTHED_LAYERS.items():
            self.layer_buttons[name] = button(icon, tip, lambda on, n=name:
                                              self.set_layer_visible(n, on), True)
        for b in self.layer_buttons.values():
            b.setChecked(True)
        bar.addStretch(1)
        bar.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        # The GL widget sits in a native child window of its own: a QOpenGLWidget elsewhere
        # turns on OpenGL composition of the whole top-level window, and every repaint of any
        # widget (a scrub step repaints several) then costs a full-window composition in
        # software GL (~25 ms of CPU at 1500x920); in its own native window only the 3D view
        # is composed.
        layout.addWidget(self.plotter.interactor, 1)
        self.plotter.interactor.setAttribute(Qt.WA_NativeWindow)
        self.plotter.add_axes(interactive=False, line_width=2, labels_off=False)

    # ---- content ----------------------------------------------------------------------------------
    def set_up(self, up: np.ndarray | None) -> None:
        """Turn camera-frame meshes by the world's up ``up`` (3,) in the camera frame (None: a
        level camera) from the next mesh shown on."""
        same = (up is None) == (self.up is None) and (up is None or np.allclose(up, self.up))
        if not same:
            self.up = None if up is None else np.asarray(up, np.float64)
            self._shown_vertices = None

    def set_body(self, vertices: np.ndarray | None, faces: np.ndarray | None,
                 joints: np.ndarray | None = None, parents: np.ndarray | None = None) -> None:
        """Show a body. vertices: (V, 3) float32 camera frame, metres; faces: (F, 3) int64;
        joints: (J, 3) float32 camera frame; parents: (J,) int (-1 root). None clears."""
        if vertices is None or faces is None:
            self.clear()
            return
        pts = _to_view(vertices, self.up)
        first = self.mesh is None
        if self.mesh is not None and self._faces is faces and self.mesh.n_points == len(pts):
            if self._shown_vertices is vertices:
                return  # the same body again (the exact frame replacing a proxy)
            self.mesh.points = pts
            self.mesh.point_data.active_normals = vertex_normals(pts, faces)
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
        self._shown_vertices = vertices
        self._set_joints(joints, parents)
        self._apply_visibility()
        self.message.setText("")
        if first:
            self.view("front")
        self.render_soon()

    def render_soon(self) -> None:
        """Render once the event loop is free, and at most every ``min_render_interval_s``
        (many calls in a row give one render, of the latest state)."""
        if self._render_timer.isActive():
            return
        wait = self.min_render_interval_s - (time.monotonic() - self._last_render)
        self._render_timer.start(max(0, int(wait * 1000)))

    def _render_now(self) -> None:
        self._last_render = time.monotonic()
        self.renders += 1
        # a repaint of the GL widget renders the scene once (plotter.render() renders, and the
        # repaint it causes renders again)
        self.plotter.interactor.update()

    def _set_joints(self, joints: np.ndarray | None, parents: np.ndarray | None) -> None:
        if joints is not None and self.joints is not None and self._joint_actor is not None \
                and self.joints.n_points == len(joints) and self._joint_parents is parents:
            self.joints.points = _to_view(joints, self.up)  # same skeleton: move it
            return
        self.plotter.remove_actor("joints", render=False)
        self.joints = None
        self._joint_parents = parents
        if joints is None:
            return
        pts = _to_view(joints, self.up)
        poly = pv.PolyData(pts)
        if parents is not None and len(parents) == len(pts):
            lines = [(2, int(p), i) for i, p in enumerate(parents) if p >= 0]
            if lines:
                poly.lines = np.asarray(lines, np.int64).ravel()
        self.joints = poly
        self._joint_actor = self.plotter.add_mesh(poly, color="#ff6a5a", point_size=7,
                                                  render_points_as_spheres=True, line_width=3,
                                                  name="joints", reset_camera=False,
                                                  render=False)
        self._joint_actor.SetVisibility(self._show_joints)
        self._joint_actor.GetProperty().SetOpacity(1.0)

    def clear(self) -> None:
        self.plotter.clear_actors()
        self.mesh, self.joints, self._faces, self._mesh_actor = None, None, None, None
        self._joint_actor = self._shown_vertices = None
        self.layers = {n: None for n in CLOTHED_LAYERS}
        self._layer_actors, self._layer_keys = {}, {}
        self.message.setText("No body yet — Fit frame (F) to see it here.")
        self.plotter.render()

    def clear_body(self) -> None:
        """Remove the body (and joints) but keep the clothed layers."""
        if self._mesh_actor is not None:
            self.plotter.remove_actor(self._mesh_actor, render=False)
        self.plotter.remove_actor("joints", render=False)
        self.mesh, self.joints, self._faces, self._mesh_actor = None, None, None, None
        self._joint_actor = self._shown_vertices = None
        self.render_soon()

    # ---- clothed layers -----------------------------------------------------------------------
    def set_clothed(self, layer: str, vertices: np.ndarray | None, faces: np.ndarray | None = None,
                    colors: np.ndarray | None = None, uvs: np.ndarray | None = None,
                    face_uvs: np.ndarray | None = None, texture: np.ndarray | None = None,
                    key: object = None, frame: str = "camera") -> None:
        """Show a coloured mesh on layer "surface" or "avatar"; None clears the layer.

        vertices: (V, 3) float32, camera frame or canonical body frame (y down), metres.
        faces: (F, 3) int64. colors: (V, 3) uint8 RGB vertex colours (None: plain grey).
        uvs (T, 2) float32 (v up), face_uvs (F, 3) int64, texture (H, W, 3) uint8: drawn with
        the texture when all three are given. key: identifies the topology and colours; the same
        key only moves the points (cheap, for playback and live previews). frame: what the
        vertices are in: "camera" (turned by ``up``), "canonical" (the body's rest frame,
        turned as by a level camera) or "upright" (already y up: shown as given).
        """
        old = self._layer_actors.pop(layer, None)
        if vertices is None or faces is None:
            if old is not None:
                self.plotter.remove_actor(old)
            self.layers[layer], self._layer_keys[layer] = None, None
            self.plotter.render()
            return
        pts = (np.asarray(vertices, np.float32) if frame == "upright"
               else _to_view(vertices, None if frame == "canonical" else self.up))
        textured = texture is not None and uvs is not None and face_uvs is not None
        poly = self.layers.get(layer)
        if poly is not None and old is not None and key is not None and \
                self._layer_keys.get(layer) == key:
            order = poly.field_data["vertex_of_point"] if "vertex_of_point" in poly.field_data \
                else None
            poly.points = pts[order] if order is not None else pts
            poly.compute_normals(inplace=True, cell_normals=False, split_vertices=False)
            self._layer_actors[layer] = old
            self._apply_visibility()
            self.render_soon()
            return
        if old is not None:
            self.plotter.remove_actor(old)
        first = all(p is None for p in self.layers.values()) and self.mesh is None
        if textured:
            vrow, trow, tris = split_uv_seams(faces, face_uvs)
            poly = pv.PolyData(pts[vrow], np.hstack([np.full((len(tris), 1), 3), tris]).ravel())
            poly.field_data["vertex_of_point"] = vrow
            poly.active_texture_coordinates = np.asarray(uvs, np.float32)[trow]
            if colors is not None:
                poly.point_data["rgb"] = np.asarray(colors, np.uint8)[vrow]
        else:
            poly = pv.PolyData(pts, np.hstack([np.full((len(faces), 1), 3),
                                               np.asarray(faces, np.int64)]).ravel())
            if colors is not None:
                poly.point_data["rgb"] = np.asarray(colors, np.uint8)
        poly.compute_normals(inplace=True, cell_normals=False, split_vertices=False)
        kwargs = dict(smooth_shading=True, specular=0.1, name=layer, reset_camera=False)
        if textured:
            actor = self.plotter.add_mesh(poly, texture=pv.Texture(np.ascontiguousarray(texture)),
                                          **kwargs)
        elif colors is not None:
            actor = self.plotter.add_mesh(poly, scalars="rgb", rgb=True, **kwargs)
        else:
            actor = self.plotter.add_mesh(poly, color="#c9c3b8", **kwargs)
        self.layers[layer], self._layer_actors[layer], self._layer_keys[layer] = poly, actor, key
        self._apply_style()
        self._apply_visibility()
        self.message.setText("")
        if first:
            self.view("front")
        self.plotter.render()

    def set_layer_visible(self, layer: str, on: bool) -> None:
        """Show or hide "body", "surface" or "avatar" (the toggle button follows)."""
        self.visible[layer] = bool(on)
        b = self.layer_buttons.get(layer)
        if b is not None and b.isChecked() != bool(on):
            b.blockSignals(True)
            b.setChecked(bool(on))
            b.blockSignals(False)
        self._apply_visibility()
        self.plotter.render()

    def shown_layers(self) -> list[str]:
        """Layers that hold a mesh and are visible, for tests and the status line."""
        have = {"body": self.mesh, **self.layers}
        return [n for n, m in have.items() if m is not None and self.visible[n]]

    def _apply_visibility(self) -> None:
        if self._mesh_actor is not None:
            self._mesh_actor.SetVisibility(self.visible["body"])
        body_shown = self._mesh_actor is not None and self.visible["body"]
        for name, actor in self._layer_actors.items():
            actor.SetVisibility(self.visible.get(name, True))
            # the clothed mesh encloses the body: see the body through it when both are on
            actor.GetProperty().SetOpacity(0.5 if body_shown else 1.0)

    # ---- display ----------------------------------------------------------------------------------
    def view(self, which: str) -> None:
        """Camera preset: "front", "side" (subject's left) or "back"."""
        shown = [m for n, m in {"body": self.mesh, **self.layers}.items()
                 if m is not None and self.visible[n]]
        shown = shown or [m for m in (self.mesh, *self.layers.values()) if m is not None]
        if not shown:
            return
        b = np.array([m.bounds for m in shown], float)
        bounds = (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max(), b[:, 4].min(),
                  b[:, 5].max())
        c = np.array([(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2,
                      (bounds[4] + bounds[5]) / 2])
        direction = {"front": (0, 0, 1), "side": (1, 0, 0), "back": (0, 0, -1)}[which]
        cam = self.plotter.camera
        cam.focal_point = tuple(c)
        cam.position = tuple(c + np.asarray(direction, float))
        cam.up = (0.0, 1.0, 0.0)
        self.plotter.reset_camera(bounds=bounds)  # keeps the direction, fits the body
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
        for actor in self._layer_actors.values():
            p = actor.GetProperty()
            p.SetRepresentationToWireframe() if self._wireframe else p.SetRepresentationToSurface()
        if self._mesh_actor is None:
            return
        prop = self._mesh_actor.GetProperty()
        prop.SetRepresentationToWireframe() if self._wireframe else prop.SetRepresentationToSurface()
        # joints sit inside the body: see them through a half-transparent surface
        prop.SetOpacity(0.45 if self._show_joints and not self._wireframe else 1.0)

    def close_viewer(self) -> None:
        """Release VTK resources (call once, before the window closes)."""
        self.plotter.close()
