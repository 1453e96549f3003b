"""Timeline: scrub, play and step through frames; see which frames are done and how well.

``TimelineStrip`` paints, for every frame, a status mark (observed, fitted, bridged, low
confidence, no person) and small per-frame plots (e.g. fit error and joint speed) above a
playhead; click or drag on it to scrub. ``Timeline`` adds the transport buttons, the frame
number and the timecode, and plays at the source frame rate with a QTimer on the GUI thread.
"""
from __future__ import annotations

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

#: Colour of each frame status mark.
STATUS_COLORS = {
    "observed": QColor(110, 130, 150),
    "fitted": QColor(70, 200, 120),
    "bridged": QColor(80, 160, 255),
    "low_confidence": QColor(240, 170, 40),
    "no_person": QColor(200, 70, 70),
}
#: Legend labels of the status marks.
STATUS_LABELS = {"observed": "detected", "fitted": "fitted", "bridged": "bridged",
                 "low_confidence": "low confidence", "no_person": "no person"}
#: Colours of the per-frame plots, by series order.
SERIES_COLORS = (QColor(255, 120, 90), QColor(190, 140, 255), QColor(120, 220, 230))


def legend_html() -> str:
    """One line of coloured squares naming each status mark (for a QLabel)."""
    return "&nbsp;&nbsp;".join(f'<span style="color:{STATUS_COLORS[k].name()}">&#9632;</span> {v}'
                               for k, v in STATUS_LABELS.items())


def timecode(seconds: float) -> str:
    """'MM:SS.mmm' (or 'H:MM:SS.mmm' past an hour)."""
    ms = int(round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m:02d}:{s:02d}.{ms:03d}"


class TimelineStrip(QWidget):
    """Painted strip: status marks, per-frame plots and the playhead. Emits ``scrubbed(index)``."""

    scrubbed = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.count = 0
        self.index = 0
        self.status: dict[int, str] = {}
        self.series: dict[str, np.ndarray] = {}
        self.setMinimumHeight(58)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMouseTracking(False)
        self.setToolTip("Click or drag to scrub. Marks: grey detected, green fitted, blue bridged, "
                        "amber low confidence, red no person.")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 58)

    def _x(self, index: float) -> float:
        w = self.width() - 12
        return 6 + (index + 0.5) * w / max(1, self.count)

    def _index_at(self, x: float) -> int:
        w = self.width() - 12
        return int(min(max(0, self.count - 1), max(0, (x - 6) * self.count / max(1, w))))

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        r = self.rect()
        p.fillRect(r, QColor(32, 33, 37))
        if self.count <= 0:
            return
        plot = QRectF(6, 4, r.width() - 12, r.height() - 20)
        marks = QRectF(6, r.height() - 14, r.width() - 12, 8)
        p.fillRect(marks, QColor(50, 52, 58))
        step = marks.width() / self.count
        for i, st in self.status.items():
            color = STATUS_COLORS.get(st)
            if color is not None and 0 <= i < self.count:
                p.fillRect(QRectF(marks.left() + i * step, marks.top(), max(step, 1.5),
                                  marks.height()), color)
        for k, (name, values) in enumerate(self.series.items()):
            v = np.asarray(values, np.float64)[: self.count]
            finite = np.isfinite(v)
            if not finite.any():
                continue
            top = np.nanpercentile(v[finite], 98) or 1.0
            path = QPainterPath()
            pen_down = False
            for i in range(len(v)):
                if not finite[i]:
                    pen_down = False
                    continue
                pt = QPointF(self._x(i), plot.bottom() - min(1.0, v[i] / top) * plot.height())
                if pen_down:
                    path.lineTo(pt)
                else:
                    path.moveTo(pt)
                    pen_down = True
            color = SERIES_COLORS[k % len(SERIES_COLORS)]
            p.setPen(QPen(color, 1.2))
            p.drawPath(path)
            if finite.sum() < 0.2 * self.width():  # sparse: show each value as a dot too
                p.setBrush(color)
                for i in np.flatnonzero(finite):
                    y = plot.bottom() - min(1.0, v[i] / top) * plot.height()
                    p.drawEllipse(QPointF(self._x(i), y), 2.0, 2.0)
                p.setBrush(Qt.NoBrush)
            p.setFont(QFont(self.font().family(), 7))
            p.drawText(QPointF(plot.left() + 2 + 70 * k, plot.top() + 8), name)
        x = self._x(self.index)
        p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawLine(QPointF(x, 2), QPointF(x, r.height() - 2))

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.scrubbed.emit(self._index_at(event.position().x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.LeftButton:
            self.scrubbed.emit(self._index_at(event.position().x()))


class Timeline(QWidget):
    """Transport controls over a TimelineStrip.

    Signals: index_changed(int) whenever the current frame changes (scrub, step, play);
    playing_changed(bool).
    """

    index_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.count = 0
        self.fps = 0.0
        self.strip = TimelineStrip()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.timeout.connect(self._tick)

        def button(icon: str, tip: str, slot) -> QToolButton:
            b = QToolButton()
            b.setIcon(qta.icon(icon, color="#dddddd"))
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.setIconSize(QSize(18, 18))
            b.clicked.connect(slot)
            return b

        self.first_btn = button("fa5s.step-backward", "First frame (Home)", self.first)
        self.prev_btn = button("fa5s.chevron-left", "Previous frame (←)", lambda: self.step(-1))
        self.play_btn = button("fa5s.play", "Play / pause (Space)", self.toggle_play)
        self.next_btn = button("fa5s.chevron-right", "Next frame (→)", lambda: self.step(1))
        self.last_btn = button("fa5s.step-forward", "Last frame (End)", self.last)
        self.spin = QSpinBox()
        self.spin.setKeyboardTracking(False)
        self.spin.setToolTip("Frame number")
        self.spin.valueChanged.connect(self.set_index)
        self.total_label = QLabel("/ 0")
        self.time_label = QLabel("00:00.000")
        self.time_label.setFont(QFont("monospace", 9))
        self.time_label.setToolTip("Timecode of the current frame")
        self.legend = QLabel(legend_html())
        self.legend.setStyleSheet("color: #9aa0a6; font-size: 8pt;")
        self.legend.setToolTip("Frame marks under the plots. Plots: keypoint error of the fit "
                               "(pixels) and joint speed between frames (m/s): peaks show where "
                               "the fit is weak.")

        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        for w in (self.first_btn, self.prev_btn, self.play_btn, self.next_btn, self.last_btn):
            row.addWidget(w)
        row.addSpacing(8)
        row.addWidget(QLabel("Frame"))
        row.addWidget(self.spin)
        row.addWidget(self.total_label)
        row.addStretch(1)
        row.addWidget(self.legend)
        row.addSpacing(12)
        row.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        layout.addWidget(self.strip)
        layout.addLayout(row)
        self.strip.scrubbed.connect(self.set_index)
        self.set_count(0, 0.0)

    # ---- model ---------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self.strip.index

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_count(self, count: int, fps: float) -> None:
        """New media: ``count`` frames at ``fps`` (0 when unknown). Resets status and series."""
        self.pause()
        self.count, self.fps = int(count), float(fps)
        self.strip.count = self.count
        self.strip.index = 0
        self.strip.status, self.strip.series = {}, {}
        self.spin.blockSignals(True)
        self.spin.setRange(0, max(0, self.count - 1))
        self.spin.setValue(0)
        self.spin.blockSignals(False)
        self.total_label.setText(f"/ {max(0, self.count - 1)}")
        many = self.count > 1
        for w in (self.first_btn, self.prev_btn, self.play_btn, self.next_btn, self.last_btn,
                  self.spin, self.strip):
            w.setEnabled(many)
        self._update_labels()
        self.strip.update()

    def set_status(self, status: dict[int, str]) -> None:
        """Per-frame status marks: frame index -> "observed", "fitted", "bridged", ..."""
        self.strip.status = dict(status)
        self.strip.update()

    def set_series(self, series: dict[str, np.ndarray]) -> None:
        """Per-frame plots: name -> (count,) float array, nan where unknown."""
        self.strip.series = dict(series)
        self.strip.update()

    # ---- navigation ----------------------------------------------------------------------------
    def set_index(self, index: int) -> None:
        if self.count <= 0:
            return
        index = int(min(max(0, index), self.count - 1))
        if index == self.strip.index:
            return
        self.strip.index = index
        self.spin.blockSignals(True)
        self.spin.setValue(index)
        self.spin.blockSignals(False)
        self._update_labels()
        self.strip.update()
        self.index_changed.emit(index)

    def step(self, delta: int) -> None:
        self.set_index(self.index + delta)

    def first(self) -> None:
        self.set_index(0)

    def last(self) -> None:
        self.set_index(self.count - 1)

    def play(self) -> None:
        if self.count <= 1 or self.playing:
            return
        if self.index >= self.count - 1:
            self.set_index(0)
        self.timer.start(max(1, int(round(1000.0 / (self.fps if self.fps > 0 else 25.0)))))
        self.play_btn.setIcon(qta.icon("fa5s.pause", color="#dddddd"))
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if not self.timer.isActive():
            return
        self.timer.stop()
        self.play_btn.setIcon(qta.icon("fa5s.play", color="#dddddd"))
        self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def _tick(self) -> None:
        if self.index >= self.count - 1:
            self.pause()
            return
        self.step(1)

    def _update_labels(self) -> None:
        t = self.index / self.fps if self.fps > 0 else 0.0
        self.time_label.setText(timecode(t) if self.fps > 0 else "--:--.---")
