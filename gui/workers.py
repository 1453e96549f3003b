"""The thin Qt adapter over the core job-generator protocol (see core/progress.py).

One ``JobRunner`` lives in one long-lived ``QThread`` for the whole session of the window, so the
torch models it loads (detector, body model) are built once and stay on that thread. The GUI
thread submits a ``Job``; the runner drives the job's generator and turns each ``yield`` into a
signal. Cancel sets a ``CancelToken`` that the core checks between steps; nothing is ever
terminated. Every exception is caught and reported through ``failed`` (the window shows it).

Room for the window (``BackgroundPolicy``): the worker thread lowers its own priority before its
first job (Linux per-thread nice, core.threads), and every thread a job starts inherits it: the
fitting thread of a track, MediaPipe's graph threads (XNNPACK runs one thread per model on
desktop Linux), FFmpeg's decode threads, torch's OpenMP pool. A soft priority: with the window
idle the job keeps every core, and a track still overlaps perception and fitting on two threads.
OpenCV runs on the calling thread (``cv2.setNumThreads(1)``): the job's two threads already fill
two cores, and a shared OpenCV pool would lend the window's work to threads of the job's
priority (or the job's to the window's). torch keeps one core for the window
(gui.pipeline.leave_a_core_for_the_window) and a track fits on one torch thread.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.errors import Cancelled, StudioError
from core.progress import CancelToken
from core.threads import lower_thread_priority, thread_nice
from core.types import Progress

#: A job body: called on the worker thread with the runner's model cache and a cancel token;
#: returns a core job generator (yields Progress / partial results, returns the final value).
JobFunction = Callable[[Any, CancelToken], Iterator]


@dataclass
class BackgroundPolicy:
    """How the worker thread's jobs leave room for the window (see the module docstring)."""

    enabled: bool = True
    """False runs jobs at the window's priority with the libraries' own pool sizes (for
    comparisons: bench/gui_latency.py measures the job's speed both ways)."""
    nice: int = 10
    """Steps added to the worker thread's nice value (Linux) before its first job: a weight of
    ~1/9 of the window's thread when both want the same core."""
    cv2_threads: int = 1
    """``cv2.setNumThreads`` for the process once a job runs (1: on the calling thread)."""

    def apply(self) -> bool:
        """Called on the worker thread before its first job. returns: True when the thread's
        priority was lowered."""
        if not self.enabled:
            return False
        import cv2

        cv2.setNumThreads(int(self.cv2_threads))
        return lower_thread_priority(self.nice)


@dataclass
class Job:
    """A unit of work for the runner. name: short label shown in the status bar.

    finish_on_cancel: False (default) closes the generator at its first yield after Cancel;
    True keeps driving it until it returns, for core jobs that answer Cancel themselves by
    finishing their best result so far (the per-subject avatar).
    """

    name: str
    run: JobFunction
    cancel: CancelToken = field(default_factory=CancelToken)
    finish_on_cancel: bool = False


class JobRunner(QObject):
    """Runs one job at a time on its own thread and reports through signals.

    Signals (emitted on the worker thread, delivered queued to GUI-thread slots):
        started(str name), progress(Progress), item(object partial result),
        finished(str name, object final value, bool cancelled), failed(str message, str traceback).
    """

    started = Signal(str)
    progress = Signal(object)
    item = Signal(object)
    finished = Signal(str, object, bool)
    failed = Signal(str, str)
    _submit = Signal(object)

    def __init__(self, models: Any, policy: BackgroundPolicy | None = None) -> None:
        super().__init__()
        self.models = models  # touched only on the worker thread once started
        #: applied on the worker thread before its first job; replace it before then to change it
        self.policy = policy or BackgroundPolicy()
        #: the worker thread's nice value once its first job started (None before, or elsewhere)
        self.nice: int | None = None
        self._prepared = False
        self._current: Job | None = None
        self._cancelled_at: float | None = None
        #: seconds from the last cancel() to the job's loop ending on the worker thread
        self.last_stop_latency: float | None = None
        self._submit.connect(self._run)

    # -- called from the GUI thread ----------------------------------------------------------
    def submit(self, job: Job) -> None:
        """Queue ``job`` to run on the worker thread."""
        self._current = job
        self._submit.emit(job)

    def cancel(self) -> None:
        """Ask the running job to stop at its next step (thread-safe)."""
        job = self._current
        if job is not None and not job.cancel.cancelled:
            self._cancelled_at = time.monotonic()
            job.cancel.cancel()

    @property
    def busy(self) -> bool:
        return self._current is not None

    # -- worker thread -----------------------------------------------------------------------
    @Slot(object)
    def _run(self, job: Job) -> None:
        if not self._prepared:
            self._prepared = True
            self.policy.apply()
            self.nice = thread_nice()
        self.started.emit(job.name)
        result = None
        self._cancelled_at = None
        try:
            gen = job.run(self.models, job.cancel)
            while True:
                try:
                    out = next(gen)
                except StopIteration as stop:
                    result = stop.value
                    break
                if isinstance(out, Progress):
                    self.progress.emit(out)
                else:
                    self.item.emit(out)
                if job.cancel.cancelled and not job.finish_on_cancel:
                    gen.close()  # stop at once; partial items were already emitted
                    break
        except Cancelled:
            job.cancel.cancel()
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the window
            self._current = None
            self._note_stop()
            if isinstance(exc, StudioError):
                message = str(exc)
            else:
                message = (f"'{job.name}' stopped because of an unexpected error "
                           f"({type(exc).__name__}: {exc}). The results finished so far were "
                           "kept; the details are in the log panel.")
            self.failed.emit(message, traceback.format_exc())
            return
        self._current = None
        self._note_stop()
        self.finished.emit(job.name, result, job.cancel.cancelled)

    def _note_stop(self) -> None:
        if self._cancelled_at is not None:
            self.last_stop_latency = time.monotonic() - self._cancelled_at


class WorkerThread(QObject):
    """Owns the long-lived QThread and its JobRunner; stops them cleanly."""

    def __init__(self, models: Any, parent: QObject | None = None,
                 policy: BackgroundPolicy | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("studio-worker")
        self.runner = JobRunner(models, policy)
        self.runner.moveToThread(self.thread)
        self.thread.start()

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Cancel the running job, end the thread's event loop and wait for it.

        returns: True when the thread ended within ``timeout_s``. Never terminates it.
        """
        self.runner.cancel()
        self.thread.quit()
        deadline = time.monotonic() + timeout_s
        while not self.thread.wait(100):
            if time.monotonic() > deadline:
                return False
        return True
