"""The frame view's "labels" layer: the skin / hair / garment labels the current frame's clothed
surface was made with (core/surface/labels.py), drawn over the frame.

``LabelLayer(window)`` wires itself to the window, its controller and frame view; the window
only creates it. View ▸ Skin / hair / garment labels (key 5) shows or hides the layer. A frame
without a reconstructed surface has no labels: the layer is empty and the action's tip says to
press Reconstruct surface. Drawing is numpy on the GUI thread (one colour look-up per label).
"""
from __future__ import annotations

import numpy as np
import qtawesome as qta
from PySide6.QtGui import QAction, QKeySequence

from gui.overlay_cache import Patch

LAYER = "labels"
#: RGB of skin and hair, then one colour per garment region (repeating).
SKIN_RGB, HAIR_RGB = (255, 170, 120), (150, 80, 30)
GARMENT_RGB = ((70, 140, 255), (70, 220, 100), (230, 70, 200), (240, 220, 50), (60, 220, 220),
               (255, 110, 60))
ALPHA = 0.55


def label_colors(count: int) -> np.ndarray:
    """(count, 4) uint8 RGBA of label values 0..count-1: transparent background, skin, hair,
    then the garment colours."""
    out = np.zeros((max(count, 3), 4), np.uint8)
    out[1, :3], out[2, :3] = SKIN_RGB, HAIR_RGB
    for k in range(3, len(out)):
        out[k, :3] = GARMENT_RGB[(k - 3) % len(GARMENT_RGB)]
    out[1:, 3] = int(ALPHA * 255)
    return out


def label_patch(labels) -> Patch:
    """The layer of a core.surface.labels.PersonLabels: its label grid coloured, stretched over
    the part of the frame it covers (full-frame pixels)."""
    lab = np.asarray(labels.labels)
    rgba = label_colors(int(lab.max(initial=0)) + 1)[lab]
    h, w = lab.shape
    x0, y0 = labels.x0, labels.y0
    box = (int(round(x0)), int(round(y0)), int(round(x0 + w / labels.scale)),
           int(round(y0 + h / labels.scale)))
    return Patch(rgba, box)


def legend(labels) -> str:
    """One line naming what the colours are, with each garment region's typical colour."""
    n = max(0, len(labels.colors) - 3)
    parts = ["peach: skin", "brown: hair"]
    parts += [f"garment {k + 1}: rgb{tuple(int(c) for c in labels.colors[3 + k])}"
              for k in range(n)]
    return "; ".join(parts)


class LabelLayer:
    """Keeps the frame view's labels layer in step with the current frame's surface."""

    def __init__(self, window) -> None:
        self.window = window
        self.controller = window.controller
        self.view = window.frame_view
        self._shown = None
        self.action = QAction(qta.icon("mdi.tshirt-crew", color="#dfe1e5"),
                              "Skin / hair / garment labels", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("5"))
        self.action.toggled.connect(lambda on: self.view.set_layer_visible(LAYER, on))
        window.addAction(self.action)
        window.actions_by_key[f"layer_{LAYER}"] = self.action
        menus = {a.menu().title().replace("&", ""): a.menu()
                 for a in window.menuBar().actions() if a.menu() is not None}
        if "View" in menus:
            menus["View"].addAction(self.action)
        self.view.set_layer_visible(LAYER, False)
        c = self.controller
        c.media_opened.connect(lambda _src: self.draw())
        c.frame_ready.connect(lambda _frame: self.draw())
        c.results_changed.connect(lambda _i: self.draw())
        c.job_done.connect(lambda *_: self.draw())
        self.draw()

    def labels(self):
        """The PersonLabels of the current frame's surface, or None."""
        return getattr(self.controller.surface(), "labels", None)

    def draw(self) -> None:
        lab = self.labels()
        if lab is None:
            self._shown = None
            self.view.set_layer_array(LAYER, None)
            self.action.setStatusTip("Skin, hair and garment labels of the current frame: press "
                                     "Reconstruct surface to make them")
        elif lab is not self._shown:
            self._shown = lab
            self.view.set_layer_patch(LAYER, label_patch(lab))
            self.action.setStatusTip(f"Skin, hair and garment labels ({legend(lab)})")
        self.action.setToolTip(self.action.statusTip())
