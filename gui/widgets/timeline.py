"""Timeline: scrub, play and step through frames; see which frames are done and how well.

``TimelineStrip`` paints, for every frame, a status mark (observed, fitted, bridged, low
confidence, no person) and small per-frame plots (e.g. fit error and joint speed) above a
playhead; click or drag on it to scrub. Marks and plots are painted once into a pixmap when
they change (a scrub step repaints only the pixmap and the playhead, whatever the frame count).
``Timeline`` adds the transport buttons, the frame number and the timecode, and plays at the
source frame rate with a QTimer on the GUI thread: each tick shows the frame due at that moment,
so a slow frame is skipped rather than the playback slowed down.
"""
from __future__ import annotations

import time

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPixmap
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
#: Marks by how much they need a look (a bin of many frames shows its worst one).
_MARKS = ("observed", "fitted", "bridged", "low_confidence", "no_person")
_MARK_ORDER = {name: k + 1 for k, name in enumerate(_MARKS)}
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
        self._background: QPixmap | None = None  # marks and plots; None: repaint them
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

    def invalidate(self) -> None:
        """Marks, plots or frame count changed: repaint them at the next paint."""
        self._background = None
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802
        self._background = None
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        dpr = self.devicePixelRatioF()
        if self._background is None or self._background.size() != self.size() * dpr:
            self._background = QPixmap(self.size() * dpr)
            self._background.setDevicePixelRatio(dpr)
            self._paint_background(self._background)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._background)
        if self.count > 0:
            x = self._x(self.index)
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))
        p.end()

    def _bins(self, columns: int) -> np.ndarray:
        """(B + 1,) int64 frame edges of the bins painted: one frame per bin, or, for more
        frames than pixel ``columns``, about one bin per column (its worst mark and its highest
        value are drawn, so a single weak frame among thousands still shows)."""
        if self.count <= columns:
            return np.arange(self.count + 1, dtype=np.int64)
        return np.unique(np.linspace(0, self.count, columns + 1).round().astype(np.int64))

    def _paint_background(self, pixmap: QPixmap) -> None:
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.Antialiasing)
        r = self.rect()
        p.fillRect(r, QColor(32, 33, 37))
        if self.count <= 0:
            p.end()
            return
        plot = QRectF(6, 4, r.width() - 12, r.height() - 20)
        marks = QRectF(6, r.height() - 14, r.width() - 12, 8)
        p.fillRect(marks, QColor(50, 52, 58))
        edges = self._bins(max(1, int(marks.width())))
        starts, per = edges[:-1], marks.width() / self.count
        # marks: the worst status of each bin, runs of one colour drawn as one rectangle
        code = np.zeros(self.count, np.int8)
        for i, st in self.status.items():
            if 0 <= i < self.count and st in _MARK_ORDER:
                code[i] = _MARK_ORDER[st]
        worst = np.maximum.reduceat(code, starts)
        change = np.flatnonzero(np.diff(worst)) + 1
        for a, b in zip(np.r_[0, change], np.r_[change, len(worst)]):
            if worst[a]:
                x0, x1 = marks.left() + edges[a] * per, marks.left() + edges[b] * per
                p.fillRect(QRectF(x0, marks.top(), max(x1 - x0, 1.5), marks.height()),
                           STATUS_COLORS[_MARKS[worst[a] - 1]])
        xs = 6 + ((starts + edges[1:] - 1) / 2 + 0.5) * (r.width() - 12) / self.count
        for k, (name, values) in enumerate(self.series.items()):
            v = np.asarray(values, np.float64)[: self.count]
            if len(v) < self.count:
                v = np.r_[v, np.full(self.count - len(v), np.nan)]
            finite = np.isfinite(v)
            if not finite.any():
                continue
            top = np.nanpercentile(v[finite], 98) or 1.0
            peak = np.maximum.reduceat(np.where(finite, v, -np.inf), starts)
            ok = np.isfinite(peak)
            ys = plot.bottom() - np.minimum(1.0, np.where(ok, peak, 0.0) / top) * plot.height()
            path = QPainterPath()
            pen_down = False
            for x, y, good in zip(xs.tolist(), ys.tolist(), ok.tolist()):
                if not good:
                    pen_down = False
                elif pen_down:
                    path.lineTo(x, y)
                else:
                    path.moveTo(x, y)
                    pen_down = True
            color = SERIES_COLORS[k % len(SERIES_COLORS)]
            p.setPen(QPen(color, 1.2))
            p.drawPath(path)
            if ok.sum() < 0.2 * self.width():  # sparse: show each value as a dot too
                p.setBrush(color)
                for b in np.flatnonzero(ok):
                    p.drawEllipse(QPointF(xs[b], ys[b]), 2.0, 2.0)
                p.setBrush(Qt.NoBrush)
            p.setFont(QFont(self.font().family(), 7))
            p.drawText(QPointF(plot.left() + 2 + 70 * k, plot.top() + 8), name)
        p.end()

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
        #: frames playback skipped to keep the source frame rate (since the window opened)
        self.skipped = 0
        self._play_from = (0.0, 0, 25.0)
        self._ticking = False
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
        self.strip.invalidate()
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
        self.strip.invalidate()

    def set_series(self, series: dict[str, np.ndarray]) -> None:
        """Per-frame plots: name -> (count,) float array, nan where unknown."""
        self.strip.series = dict(series)
        self.strip.invalidate()

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
        if self.playing and not self._ticking:  # moved by hand while playing: play on from here
            self._play_from = (time.monotonic(), index, self._play_from[2])
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
        rate = self.fps if self.fps > 0 else 25.0
        self._play_from = (time.monotonic(), self.index, rate)
        self.timer.start(max(1, int(round(1000.0 / rate))))
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
        """Show the frame due now at the source rate (skipping any the window had no time for)."""
        if self.index >= self.count - 1:
            self.pause()
            return
        t0, start, rate = self._play_from
        due = start + int((time.monotonic() - t0) * rate + 0.5)
        if due <= self.index:
            return
        if due > self.index + 1:
            self.skipped += due - self.index - 1
        self._ticking = True
        try:
            self.set_index(min(due, self.count - 1))
        finally:
            self._ticking = False

    def _update_labels(self) -> None:
        t = self.index / self.fps if self.fps > 0 else 0.0
        self.time_label.setText(timecode(t) if self.fps > 0 else "--:--.---")
