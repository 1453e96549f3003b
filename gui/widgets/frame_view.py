"""FrameView: the current frame with its layers (image, person mask, body overlay, skeleton).

Each layer is its own QGraphicsItem so toggling one is instant and never redraws the others.
Wheel zooms about the cursor, dragging pans, ``fit()`` shows the whole frame (also on double
click). The view is a pure display: it gets numpy arrays and draws them on the GUI thread.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (QGraphicsPathItem, QGraphicsPixmapItem, QGraphicsScene,
                               QGraphicsView)

from core.types import BLAZEPOSE_EDGES

#: Layer names, bottom to top.
LAYERS = ("image", "mask", "body", "occlusion", "skeleton")
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


class FrameView(QGraphicsView):
    """Zoomable, pannable view of one frame and its overlays.

    Signals: zoom_changed(float) with the scale factor (1.0 = one image pixel per screen pixel).
    """

    zoom_changed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setBackgroundBrush(QColor(24, 25, 28))
        self.setFrameShape(QGraphicsView.NoFrame)
        self.setMinimumSize(320, 240)
        self._items: dict[str, QGraphicsPixmapItem | QGraphicsPathItem] = {}
        self._arrays: dict[str, np.ndarray | None] = {name: None for name in LAYERS}
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
    def set_image(self, image: np.ndarray | None) -> None:
        """Show frame pixels: (H, W, 3) uint8 RGB, or None to clear every layer."""
        self._placeholder.setVisible(image is None)
        item: QGraphicsPixmapItem = self._items["image"]  # type: ignore[assignment]
        self._arrays["image"] = image
        if image is None:
            item.setPixmap(QPixmap())
            for name in ("mask", "body"):
                self.set_layer_array(name, None)
            self.set_keypoints(None)
            return
        size_changed = item.pixmap().size().toTuple() != (image.shape[1], image.shape[0])
        item.setPixmap(QPixmap.fromImage(to_qimage(image)))
        if size_changed:
            self.setSceneRect(QRectF(0, 0, image.shape[1], image.shape[0]))
            self._auto_fit = True
        if self._auto_fit:
            self.fit()

    def set_mask(self, mask: np.ndarray | None, color=MASK_RGB, alpha: float = 0.45) -> None:
        """Person mask layer from an (H, W) float32 soft mask in [0, 1], or None."""
        if mask is None:
            self.set_layer_array("mask", None)
            return
        rgba = np.empty(mask.shape + (4,), np.uint8)
        rgba[..., :3] = color
        rgba[..., 3] = np.clip(mask * (alpha * 255.0), 0, 255).astype(np.uint8)
        self.set_layer_array("mask", rgba)

    def set_body(self, rgba: np.ndarray | None) -> None:
        """Body overlay layer: (H, W, 4) uint8 RGBA, transparent where there is no body."""
        self.set_layer_array("body", rgba)

    def set_layer_array(self, name: str, rgba: np.ndarray | None) -> None:
        self._arrays[name] = rgba
        item: QGraphicsPixmapItem = self._items[name]  # type: ignore[assignment]
        item.setPixmap(QPixmap() if rgba is None else QPixmap.fromImage(to_qimage(rgba)))

    def set_keypoints(self, keypoints: np.ndarray | None) -> None:
        """Skeleton layer from (33, 3) float32 [x, y, confidence] in pixels, or None."""
        bones, dots = QPainterPath(), QPainterPath()
        if keypoints is not None:
            ok = keypoints[:, 2] >= SKELETON_CONFIDENCE
            for a, b in BLAZEPOSE_EDGES:
                if ok[a] and ok[b]:
                    bones.moveTo(QPointF(*keypoints[a, :2]))
                    bones.lineTo(QPointF(*keypoints[b, :2]))
            h = self._arrays["image"].shape[0] if self._arrays["image"] is not None else 720
            r = max(2.0, h / 250.0)
            for x, y, c in keypoints:
                if c >= SKELETON_CONFIDENCE:
                    dots.addEllipse(QPointF(x, y), r, r)
        h = self._arrays["image"].shape[0] if self._arrays["image"] is not None else 720
        pen = QPen(QColor(80, 255, 140), max(1.5, h / 320.0))
        pen.setCapStyle(Qt.RoundCap)
        skel: QGraphicsPathItem = self._items["skeleton"]  # type: ignore[assignment]
        skel.setPen(pen)
        skel.setPath(bones)
        self._joints.setPen(QPen(QColor(20, 60, 30), 1.0))
        self._joints.setBrush(QBrush(QColor(255, 90, 90)))
        self._joints.setPath(dots)
        self._arrays["skeleton"] = keypoints

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self._items[name].setVisible(visible)
        if name == "skeleton":
            self._joints.setVisible(visible)

    def layer_visible(self, name: str) -> bool:
        return self._items[name].isVisible()

    def layer_array(self, name: str) -> np.ndarray | None:
        """The array last given to layer ``name`` (image RGB, mask/body RGBA, skeleton (33,3))."""
        return self._arrays[name]

    # ---- zoom and pan -------------------------------------------------------------------------
    def fit(self) -> None:
        """Show the whole frame, centred."""
        self._auto_fit = True
        rect = self.sceneRect()
        if rect.width() > 0 and rect.height() > 0:
            self.fitInView(rect, Qt.KeepAspectRatio)
            self.zoom_changed.emit(self.transform().m11())

    def zoom(self, factor: float) -> None:
        """Multiply the zoom by ``factor`` (clamped to 2 %..4000 %)."""
        current = self.transform().m11()
        factor = max(0.02 / current, min(40.0 / current, factor))
        self._auto_fit = False
        self.scale(factor, factor)
        self.zoom_changed.emit(self.transform().m11())

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
