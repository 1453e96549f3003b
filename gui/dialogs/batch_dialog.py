"""BatchDialog (File ▸ Batch…): one job over every photo, video and frame folder of a folder,
the same ``batch`` the command line runs (core.batch), with progress, time left, Cancel and
every item listed as it finishes; failures stand out with their sentence. A double click on a
finished item opens its input in the window.

The batch runs on the dialog's own worker thread (gui.workers), so the window stays usable;
closing the dialog cancels a running batch (what finished is recorded in DIR/batch.jsonl and a
later run resumes there).
"""
from __future__ import annotations

import shlex
import time
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from core.batch import JOBS, BatchConfig, job_options, plan_batch, run_batch
from core.errors import StudioError
from core.export.batch_record import BatchRecord
from core.types import Progress
from gui.workers import Job, WorkerThread

#: job -> the options filled in when it is chosen (the fast presets, as the command spells them)
DEFAULT_OPTIONS = {"fit": "--quality fast", "track": "", "reconstruct": "--fit-quality fast",
                   "optimize": "--frames 30"}
COLUMNS = ("Item", "Status", "Seconds", "Error")
FAILED = QColor("#ff6b5b")


def _path_row(edit: QLineEdit, browse) -> QWidget:
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(button)
    holder = QWidget()
    holder.setLayout(row)
    return holder


class BatchDialog(QDialog):
    """Signals: open_requested(BatchRecord) on a double click on a done or skipped item;
    finished(object BatchSummary or None) when a run ends."""

    open_requested = Signal(object)
    finished = Signal(object)

    def __init__(self, parent: QWidget | None = None, folder: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch")
        self.setWindowIcon(qta.icon("mdi.folder-multiple-image", color="#4c8ce6"))
        self.records: list[BatchRecord] = []
        self.summary = None
        self.out_dir: Path | None = None            # DIR of the run listed
        self._worker: WorkerThread | None = None
        self._job: Job | None = None
        self._started = 0.0

        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("a folder of photos, videos or folders of frames")
        self.folder.textChanged.connect(self._suggest_out)
        self.out = QLineEdit()
        self.out.setPlaceholderText("where each item's outputs and batch.jsonl go")
        self.job = QComboBox()
        self.job.addItems(JOBS)
        self.options = QLineEdit(DEFAULT_OPTIONS["fit"])
        self.options.setToolTip("The job's own options, as its command spells them "
                                "(e.g. --quality fast for fit, --mode implicit for reconstruct)")
        self.job.currentTextChanged.connect(lambda j: self.options.setText(DEFAULT_OPTIONS[j]))
        self.workers = QSpinBox()
        self.workers.setRange(0, 256)
        self.workers.setSpecialValueText("all cores")
        self.force = QCheckBox("Run items already done with the same options again")
        form = QFormLayout()
        form.addRow("Folder", _path_row(self.folder, self._browse_folder))
        form.addRow("Job", self.job)
        form.addRow("Options", self.options)
        form.addRow("Output folder", _path_row(self.out, self._browse_out))
        form.addRow("Workers", self.workers)
        form.addRow("", self.force)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m items")
        self.status = QLabel("Choose a folder and a job, then Start.")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(3 * self.status.fontMetrics().lineSpacing())
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.table.setToolTip("Double click a finished item to open it in the window")
        self.failures = QLabel("")
        self.failures.setStyleSheet(f"color: {FAILED.name()}")

        self.start_button = QPushButton(qta.icon("fa5s.play", color="#dfe1e5"), "Start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(qta.icon("fa5s.stop-circle", color="#ff6b5b"), "Cancel")
        self.cancel_button.setToolTip("Stop the batch; finished items stay recorded")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.start_button, self.cancel_button, close):
            buttons.addWidget(b)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.failures)
        lay.addLayout(buttons)
        self.resize(820, 560)
        self._suggest_out(folder)

    # ---- choosing -----------------------------------------------------------------------------------
    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of photos and videos",
                                                self.folder.text())
        if path:
            self.folder.setText(path)

    def _browse_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.out.text())
        if path:
            self.out.setText(path)

    def _suggest_out(self, folder: str) -> None:
        if folder and (not self.out.text() or self.out.property("suggested")):
            p = Path(folder)
            self.out.setText(str(p.parent / f"{p.name}_batch"))
            self.out.setProperty("suggested", True)

    @property
    def running(self) -> bool:
        return self._job is not None

    # ---- running ------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Plan and start the batch; a problem with the choices is shown in the dialog."""
        if self.running:
            return False
        try:
            if not self.folder.text().strip() or not self.out.text().strip():
                raise StudioError("Choose a folder to run over and an output folder.")
            options = job_options(self.job.currentText(), shlex.split(self.options.text()))
            plan = plan_batch([self.folder.text().strip()], self.out.text().strip(), options,
                              force=self.force.isChecked())
        except (StudioError, ValueError) as exc:
            self.status.setText(str(exc))
            return False
        self.records.clear()
        self.summary = None
        self.out_dir = plan.out_dir
        self.table.setRowCount(0)
        self.failures.setText("")
        self.progress.setRange(0, max(1, len(plan.to_run)))
        self.progress.setValue(0)
        self.status.setText(f"{len(plan.items)} item(s): {len(plan.skipped)} already done, "
                            f"{len(plan.to_run)} to run. Starting the workers…")
        config = BatchConfig(workers=self.workers.value())
        self._job = Job("batch", lambda _models, cancel: run_batch(plan, config, cancel))
        if self._worker is None:
            self._worker = WorkerThread(None, self)
            r = self._worker.runner
            r.progress.connect(self._on_progress)
            r.item.connect(self._on_record)
            r.finished.connect(self._on_finished)
            r.failed.connect(self._on_failed)
        self._started = time.monotonic()
        self._set_running(True)
        self._worker.runner.submit(self._job)
        return True

    def cancel(self) -> None:
        if self.running and self._worker is not None:
            self.status.setText("Cancelling: stopping the workers…")
            self._worker.runner.cancel()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.folder, self.out, self.job, self.options, self.workers, self.force):
            w.setEnabled(not running)

    def _on_progress(self, p: Progress) -> None:
        self.progress.setMaximum(max(1, p.total))
        self.progress.setValue(p.done)
        left = ""
        if p.done:
            seconds = (time.monotonic() - self._started) / p.done * (p.total - p.done)
            left = f" · about {seconds / 60:.0f} min left" if seconds >= 90 else \
                f" · about {seconds:.0f} s left"
        self.status.setText(f"{p.message}{left}")

    def _on_record(self, record: object) -> None:
        if not isinstance(record, BatchRecord):
            return
        self.records.append(record)
        row = self.table.rowCount()
        self.table.insertRow(row)
        cells = (record.item, record.status, f"{record.seconds:.1f}" if record.seconds else "",
                 record.error or "")
        for col, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(record.error or record.input)
            if record.status == "failed":
                cell.setForeground(QBrush(FAILED))
            self.table.setItem(row, col, cell)
        failed = sum(r.status == "failed" for r in self.records)
        self.failures.setText(f"{failed} item(s) failed; their reasons are in the table and in "
                              "batch.jsonl." if failed else "")

    def _on_finished(self, _name: str, summary: object, _cancelled: bool) -> None:
        self._job = None
        self._set_running(False)
        self.summary = summary
        if summary is not None:
            self.status.setText(summary.line())
        self.finished.emit(summary)

    def _on_failed(self, message: str, _traceback: str) -> None:
        self._job = None
        self._set_running(False)
        self.status.setText(message)
        self.finished.emit(None)

    def _double_clicked(self, row: int, _col: int) -> None:
        record = self.records[row] if row < len(self.records) else None
        if record is not None and record.status in ("done", "skipped"):
            self.open_requested.emit(record)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """The window closing closes this dialog first, so its worker thread ends cleanly."""
        if watched is self.parent() and event.type() == QEvent.Close:
            self.close()
        return False

    def closeEvent(self, event) -> None:  # noqa: N802
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
            self._job = None
            self._set_running(False)
        super().closeEvent(event)


def open_item(window, record: BatchRecord, out_dir: Path) -> bool:
    """Open a finished item's input in ``window`` and say in its log where the item's outputs
    are."""
    if not window.open_path(record.input):
        return False
    files = ", ".join(Path(p).relative_to(record.item).as_posix() for p in record.outputs[:4])
    more = f" and {len(record.outputs) - 4} more" if len(record.outputs) > 4 else ""
    window.log_panel.append(f"Batch item {record.item}: its outputs are in {out_dir / record.item} "
                            f"({files}{more}).", "info")
    return True


def show_batch_dialog(window) -> BatchDialog:
    """The window's batch dialog (made once, kept as its child), shown and raised; a double
    click on an item opens it in the window (``open_item``)."""
    dialog = window.findChild(BatchDialog)
    if dialog is None:
        dialog = BatchDialog(window)
        dialog.open_requested.connect(
            lambda record: open_item(window, record, dialog.out_dir))
        window.installEventFilter(dialog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
