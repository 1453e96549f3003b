"""FrameView: the current frame with its layers (image, person mask, body overlay, skeleton).

Each layer is its own QGraphicsItem so toggling one is instant and never redraws the others.
Wheel zooms about the cursor, dragging pans, ``fit()`` shows the whole frame (also on double
click). The view is a pure display: it gets numpy arrays and draws them on the GUI thread.

Scene coordinates are the frame's full-resolution pixels whatever is drawn: a display proxy
(``set_image(image, full_size)``) and reduced layers (``set_layer_patch``, the mask) are
stretched over the part of the frame they cover, so every layer stays registered. Layers are
drawn at ``overlay_scale()`` (the zoom, rounded up to eighths, at most 1): about the pixels the
screen shows, not the frame's. ``layer_array`` rebuilds full-resolution arrays for tests.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPixmap,
                           QTransform)
from PySide6.QtWidgets import (QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsScene,
                               QGraphicsView)

from core.types import BLAZEPOSE_EDGES

#: Layer names, bottom to top.
LAYERS = ("image", "mask", "body", "labels", "occlusion", "skeleton")
MASK_RGB = (255, 200, 40)
SKELETON_CONFIDENCE = 0.3


def to_qimage(array: np.ndarray) -> QImage:
    """QImage (deep copy) of an (H, W, 3) RGB or (H, W, 4) RGBA uint8 array."""
    a = np.ascontiguousarray(array)
    h, w, c = a.shape
    fmt = QImage.Format_RGB888 if c == 3 else QImage.Format_RGBA8888
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


def qimage_to_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 RGB copy of a QImage (for tests and screenshots)."""
    img = image.convertToFormat(QImage.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h)
    return buf.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def _mask_rgba(mask: np.ndarray, color, alpha: float) -> np.ndarray:
    """(h, w, 4) uint8 RGBA of ``color`` with a soft mask (h, w) in [0, 1] times ``alpha``."""
    rgba = np.empty(mask.shape + (4,), np.uint8)
    rgba[..., :3] = color
    rgba[..., 3] = np.clip(mask * (alpha * 255.0), 0, 255).astype(np.uint8)
    return rgba


class FrameView(QGraphicsView):
    """Zoomable, pannable view of one frame and its overlays.

    Signals: zoom_changed(float) with the scale factor (1.0 = one image pixel per screen pixel);
    overlay_scale_changed(float) when ``overlay_scale()`` changes (layers drawn at the old one
    look coarse or cost more than needed: redraw them).
    """

    zoom_changed = Signal(float)
    overlay_scale_changed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setBackgroundBrush(QColor(24, 25, 28))
        self.setFrameShape(QGraphicsView.NoFrame)
        self.setMinimumSize(320, 240)
        # one repaint of the whole viewport per change instead of region bookkeeping per item
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self._items: dict[str, QGraphicsPixmapItem | QGraphicsPathItem] = {}
        self._arrays: dict[str, np.ndarray | None] = {name: None for name in LAYERS}
        #: what each pixmap layer was given: (array, box) with box = None for the whole frame
        self._given: dict[str, tuple] = {}
        self._full_size: tuple[int, int] | None = None
        self._scale = 1.0
        for z, name in enumerate(LAYERS):
            item = QGraphicsPathItem() if name == "skeleton" else QGraphicsPixmapItem()
            if isinstance(item, QGraphicsPixmapItem):
                item.setTransformationMode(Qt.SmoothTransformation if name == "image"
                                           else Qt.FastTransformation)
            item.setZValue(z)
            self.scene().addItem(item)
            self._items[name] = item
        self._joints = QGraphicsPathItem()
        self._joints.setZValue(len(LAYERS))
        self.scene().addItem(self._joints)
        self._auto_fit = True
        self._placeholder = self.scene().addText("Open a photo or video (Ctrl+O), or drop it here")
        self._placeholder.setDefaultTextColor(QColor(150, 150, 155))

    # ---- content ------------------------------------------------------------------------------
    def set_image(self, image: np.ndarray | None,
                  full_size: tuple[int, int] | None = None) -> None:
        """Show frame pixels: (h, w, 3) uint8 RGB, or None to clear every layer.

        full_size: (width, height) of the frame the image shows, pixels, when the image is a
        reduced proxy of it (stretched over the whole frame); None: the image is the frame.
        """
        self._placeholder.setVisible(image is None)
        item: QGraphicsPixmapItem = self._items["image"]  # type: ignore[assignment]
        self._arrays["image"] = image
        if image is None:
            item.setPixmap(QPixmap())
            for name in ("mask", "body"):
                self.set_layer_array(name, None)
            self.set_keypoints(None)
            return
        h, w = image.shape[:2]
        full = tuple(full_size) if full_size else (w, h)
        item.setPixmap(QPixmap.fromImage(to_qimage(image)))
        item.setTransform(QTransform.fromScale(full[0] / w, full[1] / h))
        if full != self._full_size:  # a new frame size: show it whole (resizes refit too)
            self._full_size = full
            self.setSceneRect(QRectF(0, 0, full[0], full[1]))
            self.fit()

    def overlay_scale(self) -> float:
        """Resolution, as a fraction of the frame's, at which layers are worth drawing now: the
        zoom times the screen's pixel ratio, rounded up to eighths, in [0.125, 1]."""
        zoom = self.transform().m11() * self.devicePixelRatioF()
        return min(1.0, max(0.125, math.ceil(zoom * 8 - 1e-6) / 8))

    def set_mask(self, mask: np.ndarray | None, color=MASK_RGB, alpha: float = 0.45) -> None:
        """Person mask layer from an (H, W) float32 soft mask in [0, 1] (full resolution), or
        None. Drawn at ``overlay_scale()``."""
        if mask is None:
            self.set_layer_array("mask", None)
            return
        h, w = mask.shape[:2]
        s = self.overlay_scale()
        small = mask if s >= 1.0 else cv2.resize(
            np.asarray(mask, np.float32), (max(1, round(w * s)), max(1, round(h * s))),
            interpolation=cv2.INTER_AREA)
        rgba = _mask_rgba(small, color, alpha)
        self._show_layer("mask", rgba, (0, 0, w, h))
        self._given["mask"] = (mask, color, alpha)

    def set_body(self, rgba: np.ndarray | None) -> None:
        """Body overlay layer: (H, W, 4) uint8 RGBA, transparent where there is no body."""
        self.set_layer_array("body", rgba)

    def set_layer_array(self, name: str, rgba: np.ndarray | None) -> None:
        """Layer ``name`` from a full-resolution (H, W, 4) uint8 RGBA array, or None."""
        if rgba is None:
            self._show_layer(name, None, None)
        else:
            self._show_layer(name, rgba, (0, 0, rgba.shape[1], rgba.shape[0]))
        self._given[name] = (rgba,)

    def set_layer_patch(self, name: str, patch) -> None:
        """Layer ``name`` from a patch (gui.overlay_cache.Patch: ``rgba`` (h, w, 4) uint8
        stretched over ``box`` = (x0, y0, x1, y1) full-resolution pixels), or None."""
        if patch is None:
            self.set_layer_array(name, None)
            return
        self._show_layer(name, patch.rgba, patch.box)
        self._given[name] = (patch.rgba, patch.box)

    def _show_layer(self, name: str, rgba: np.ndarray | None, box) -> None:
        item: QGraphicsPixmapItem = self._items[name]  # type: ignore[assignment]
        if rgba is None:
            self._arrays[name] = None
            item.setPixmap(QPixmap())
            return
        self._arrays[name] = rgba  # what is drawn; layer_array() gives full resolution
        x0, y0, x1, y1 = box
        item.setPixmap(QPixmap.fromImage(to_qimage(rgba)))
        item.setTransform(QTransform((x1 - x0) / rgba.shape[1], 0, 0, (y1 - y0) / rgba.shape[0],
                                     x0, y0))

    def set_keypoints(self, keypoints: np.ndarray | None) -> None:
        """Skeleton layer from (33, 3) float32 [x, y, confidence] in pixels, or None."""
        bones, dots = QPainterPath(), QPainterPath()
        if keypoints is not None:
            ok = keypoints[:, 2] >= SKELETON_CONFIDENCE
            for a, b in BLAZEPOSE_EDGES:
                if ok[a] and ok[b]:
                    bones.moveTo(QPointF(*keypoints[a, :2]))
                    bones.lineTo(QPointF(*keypoints[b, :2]))
            h = self._frame_height()
            r = max(2.0, h / 250.0)
            for x, y, c in keypoints:
                if c >= SKELETON_CONFIDENCE:
                    dots.addEllipse(QPointF(x, y), r, r)
        h = self._frame_height()
        pen = QPen(QColor(80, 255, 140), max(1.5, h / 320.0))
        pen.setCapStyle(Qt.RoundCap)
        skel: QGraphicsPathItem = self._items["skeleton"]  # type: ignore[assignment]
        skel.setPen(pen)
        skel.setPath(bones)
        self._joints.setPen(QPen(QColor(20, 60, 30), 1.0))
        self._joints.setBrush(QBrush(QColor(255, 90, 90)))
        self._joints.setPath(dots)
        self._arrays["skeleton"] = keypoints

    def _frame_height(self) -> int:
        return self._full_size[1] if self._full_size else 720

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self._items[name].setVisible(visible)
        if name == "skeleton":
            self._joints.setVisible(visible)

    def layer_visible(self, name: str) -> bool:
        return self._items[name].isVisible()

    def layer_array(self, name: str) -> np.ndarray | None:
        """Layer ``name`` at full resolution: the image shown (RGB; a proxy stays at its own
        size), mask/body (H, W, 4) RGBA rebuilt from what was given, skeleton (33, 3)."""
        given = self._given.get(name)
        if name in ("image", "skeleton") or given is None or self._arrays[name] is None:
            return self._arrays[name]
        if name == "mask":
            mask, color, alpha = given
            return _mask_rgba(mask, color, alpha)
        if len(given) == 1:
            return given[0]
        rgba, (x0, y0, x1, y1) = given
        w, h = self._full_size or (x1, y1)
        full = np.zeros((h, w, 4), np.uint8)
        full[y0:y1, x0:x1] = cv2.resize(rgba, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        return full

    # ---- zoom and pan -------------------------------------------------------------------------
    def fit(self) -> None:
        """Show the whole frame, centred."""
        self._auto_fit = True
        rect = self.sceneRect()
        if rect.width() > 0 and rect.height() > 0:
            self.fitInView(rect, Qt.KeepAspectRatio)
            self._zoomed()

    def zoom(self, factor: float) -> None:
        """Multiply the zoom by ``factor`` (clamped to 2 %..4000 %)."""
        current = self.transform().m11()
        factor = max(0.02 / current, min(40.0 / current, factor))
        self._auto_fit = False
        self.scale(factor, factor)
        self._zoomed()

    def _zoomed(self) -> None:
        self.zoom_changed.emit(self.transform().m11())
        scale = self.overlay_scale()
        if scale != self._scale:
            self._scale = scale
            self.overlay_scale_changed.emit(scale)

    def zoom_actual(self) -> None:
        """One image pixel per screen pixel."""
        self.zoom(1.0 / self.transform().m11())

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt naming
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom(1.25 ** steps)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    # drops are handled by the main window
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        event.ignore()
