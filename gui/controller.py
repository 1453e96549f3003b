"""StudioController: owns the open media, the session and the worker; starts jobs.

Lives on the GUI thread and holds no widget: the window subscribes to its signals (views get
the model, not the other way round). Jobs run on one long-lived worker thread (gui.workers)
whose ``ModelCache`` keeps the torch models; results come back as queued signals and are stored
in the ``Session`` right away, so Cancel, an error or closing the window keeps them. After every
job the session is saved (atomically) beside the media, from a snapshot on a thread of its own
(a long video's session takes seconds to compress; the window does not wait for it).

Responsiveness: frames come from ``core.media.DisplayFrames`` (recently shown frames, then a
display proxy built in the background, then the exact frame fetched on a background thread once
scrubbing pauses for ``EXACT_AFTER_MS``); bodies are drawn at display resolution and cached
(gui.overlay_cache). Results, progress and avatar previews streamed by a job are stored at once
but told to the window at most every ``RESULTS_EVERY_MS`` / ``PROGRESS_EVERY_MS`` /
``PREVIEW_EVERY_MS``: it redraws the latest state, not every result.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, QTimer, Signal, Slot

from core.errors import MediaError, StudioError
from core.media import DisplayConfig, DisplayFrames
from core.session import Session, SessionError, load_session, save_session, session_path_for
from core.threads import lower_thread_priority
from core.types import Frame, FrameFit, Observation, Progress
from gui import pipeline
from gui.dialogs.export_dialog import ExportOptions
from gui.occlusion_job import NAME as OCCLUSION, is_occlusion, occlusion_job
from gui.overlay_cache import BodyOverlays, OverlayPrefetcher, Patch
from gui.workers import Job, WorkerThread

log = logging.getLogger("studio")

#: While a job streams results the window hears of them at most this often, milliseconds.
RESULTS_EVERY_MS = 150
#: Job progress is passed on at most this often, milliseconds.
PROGRESS_EVERY_MS = 100
#: Avatar previews (a 3D mesh update each) are passed on at most this often, milliseconds.
PREVIEW_EVERY_MS = 250
#: A proxy frame is replaced by the exact one when scrubbing pauses this long, milliseconds.
EXACT_AFTER_MS = 250
#: Bodies drawn ahead of a scrub: this many steps on in its direction and a few behind (a step
#: longer than PREFETCH_MAX_STEP frames, a jump, is prefetched as if it were that long).
PREFETCH_AHEAD, PREFETCH_BEHIND, PREFETCH_MAX_STEP = 8, 2, 30


class StudioController(QObject):
    """The studio's state and actions, free of widgets.

    Signals:
        media_opened(object source)       a FrameSource is open (session reset)
        frame_ready(object frame)         the current frame is ready to show: a
                                          core.media.DisplayFrame, the exact frame or (``exact``
                                          False) its display proxy, followed by the exact one
        results_changed(int index)        an observation or fit of frame ``index`` changed (-1:
                                          many, the current frame among them); while a job
                                          streams, at most every RESULTS_EVERY_MS, with one of
                                          the changed frames (a fitted one if any) standing for
                                          several when the current frame is not among them
        busy_changed(bool busy, str name) a job started or ended
        progress(object Progress)         progress of the running job
        job_done(str name, bool cancelled)
        error(str title, str message, str traceback)
        message(str text, str level)      a line for the log panel
        avatar_preview(object snapshot)   an AvatarSnapshot while the avatar is optimized
    """

    media_opened = Signal(object)
    frame_ready = Signal(object)
    results_changed = Signal(int)
    busy_changed = Signal(bool, str)
    progress = Signal(object)
    job_done = Signal(str, bool)
    error = Signal(str, str, str)
    message = Signal(str, str)
    avatar_preview = Signal(object)
    _exact_arrived = Signal(int, object)  # (media generation, Frame) from the fetcher thread
    _saved = Signal(object, object, object)  # (Session, Path or None, error or None)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = None
        self.session: Session | None = None
        self.frame: Frame | None = None
        self.index = 0
        self.parents: np.ndarray | None = None
        self.fit_settings = pipeline.FitSettings()
        self.surface_settings = pipeline.SurfaceSettings()
        self.subject_settings = pipeline.SubjectSettings()
        #: "Fit all frames" on a video tracks at most this many frames (0: to the end)
        self.track_max_frames = 0
        #: the latest AvatarSnapshot of a running optimization (None when none runs)
        self.preview = None
        #: fits landed so far (any session): scene_up's cache key, with the session itself
        self._fits_version = 0
        self._up_cache: tuple = (None, -1, None)   # (session, fits version, up)
        self.autosave = True
        #: where sessions go when the media's folder is read-only (a DVD, a shared folder)
        self.fallback_dir = Path(QStandardPaths.writableLocation(
            QStandardPaths.AppLocalDataLocation) or Path.home() / ".human-studio") / "sessions"
        self.job_name = ""
        self.job_started_at = 0.0
        self.cancel_requested_at: float | None = None
        self.last_cancel_latency: float | None = None
        #: frames for the eye: caches and display proxy of the open media (core.media)
        self.display: DisplayFrames | None = None
        self.display_config = DisplayConfig()
        self.overlays = BodyOverlays()
        self.prefetcher = OverlayPrefetcher(self.overlays)
        self._overlay_scale: float | None = None
        self._media_generation = 0
        self._exact_arrived.connect(self._on_exact)
        self._saved.connect(self._on_saved)
        self._saver: threading.Thread | None = None
        self._save_again = False
        self._exact_timer = self._timer(EXACT_AFTER_MS, self._fetch_exact)
        self._pending: set[int] = set()
        self._results_timer = self._timer(RESULTS_EVERY_MS, self._flush_results)
        self._pending_progress: Progress | None = None
        self._progress_timer = self._timer(PROGRESS_EVERY_MS, self._flush_progress)
        self._preview_timer = self._timer(PREVIEW_EVERY_MS, self._flush_preview)
        pipeline.leave_a_core_for_the_window()
        self._models = pipeline.ModelCache()
        self.worker = WorkerThread(self._models)
        r = self.worker.runner
        r.progress.connect(self._on_progress)
        r.item.connect(self._on_item)
        r.finished.connect(self._on_finished)
        r.failed.connect(self._on_failed)

    def _timer(self, ms: int, slot) -> QTimer:
        t = QTimer(self)
        t.setSingleShot(True)
        t.setInterval(ms)
        t.timeout.connect(slot)
        return t

    # ---- media ------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self.job_name)

    def open_media(self, path: str | Path) -> bool:
        """Open a photo, video or folder; on failure the current media stays open.

        returns: True when opened. Errors are reported through ``error``.
        """
        if self.busy:
            self.error.emit("A job is running", f"'{self.job_name}' is still running; press "
                            "Cancel (Esc) and open the file again when it has stopped.", "")
            return False
        try:
            source = pipeline.open_media(path)
            if len(source) <= 0:
                raise MediaError(f"'{path}' holds no frames; open another file.")
        except StudioError as exc:
            self._report("Cannot open this file", exc)
            return False
        except Exception as exc:  # noqa: BLE001 - an unexpected failure still gets a dialog
            self._report("Cannot open this file", exc)
            return False
        self.save()  # the previous media's work, if any
        self._close_display()
        if self.source is not None:
            self.source.close()
        self.source = source
        self._media_generation += 1
        generation = self._media_generation
        self.display = DisplayFrames(source, self.display_config,
                                     on_exact=lambda f: self._exact_arrived.emit(generation, f))
        self.session = Session(media_path=Path(source.path).resolve())
        self.parents = None
        self.index = 0
        self.frame = None
        self.message.emit(f"Opened {source.path.name}: {source.width}×{source.height}, "
                          f"{len(source)} frame(s)" + (f" at {source.fps:.3g} fps" if source.fps else ""),
                          "info")
        self.media_opened.emit(source)
        self.show_frame(0)
        return True

    def default_session_path(self) -> Path:
        """``<media>.studio.npz`` beside the media, or in ``fallback_dir`` when that folder is
        read-only."""
        p = session_path_for(self.source.path)
        return p if os.access(p.parent, os.W_OK) else self.fallback_dir / p.name

    def saved_session_path(self) -> Path | None:
        """The session file of the open media (beside it or in ``fallback_dir``), if any (once
        a save in progress has landed)."""
        self.wait_saved()
        if self.source is None:
            return None
        beside = session_path_for(self.source.path)
        for p in (beside, self.fallback_dir / beside.name):
            if p.is_file():
                return p
        return None

    def restore_session(self, path: str | Path | None = None) -> bool:
        """Load the session beside the media (or ``path``) into the open media."""
        path = Path(path) if path else self.saved_session_path()
        if path is None or self.source is None:
            return False
        try:
            session = load_session(path)
        except SessionError as exc:
            self._report("Cannot restore the session", exc)
            return False
        session.media_path = Path(self.source.path).resolve()
        self.session = session
        s = session.settings
        self.message.emit(f"Restored {len(session.observations)} detected and {len(session.fits)} "
                          f"fitted frame(s) from {path.name}", "info")
        if s.get("body_model"):
            self.fit_settings.body_model = s["body_model"]
        self.results_changed.emit(-1)
        self.show_frame(self.index)
        return True

    def show_frame(self, index: int) -> None:
        """Show frame ``index``: emit ``frame_ready`` with what DisplayFrames has at once (a
        shown frame, the next frame in sequence, the proxy, else a decode here); a proxy is
        followed by the exact frame when scrubbing pauses. Errors are reported."""
        if self.source is None:
            return
        index = int(min(max(0, index), len(self.source) - 1))
        try:
            frame = self.display.frame(index) if self.display is not None \
                else self.source.read(index)
        except StudioError as exc:
            self._report("Cannot show this frame", exc)
            return
        step, self.index = index - self.index, index
        self.frame = frame
        self.frame_ready.emit(frame)
        if not getattr(frame, "exact", True):
            self._exact_timer.start()  # restarted by every step: fetch once scrubbing pauses
        self._prefetch(index, step)

    def _prefetch(self, index: int, step: int) -> None:
        """Have the bodies of the next frames of this scrub drawn in the background."""
        faces, scale = self.faces, self._overlay_scale
        if self.session is None or faces is None or scale is None or not self.session.fits:
            return
        step = max(-PREFETCH_MAX_STEP, min(PREFETCH_MAX_STEP, step)) or 1
        order = ([index + k * step for k in range(1, PREFETCH_AHEAD + 1)]
                 + [index - k * step for k in range(1, PREFETCH_BEHIND + 1)])
        fits = self.session.fits
        self.prefetcher.plan([(i, fits[i], faces, scale) for i in order
                              if i in fits and fits[i].vertices is not None])

    def _fetch_exact(self) -> None:
        if self.display is not None and self.frame is not None and \
                not getattr(self.frame, "exact", True):
            self.display.fetch_exact(self.index)

    @Slot(int, object)
    def _on_exact(self, generation: int, frame: Frame) -> None:
        """The full-resolution frame replaces the proxy shown (when it is still the one shown)."""
        if generation != self._media_generation or self.display is None or self.frame is None \
                or getattr(self.frame, "exact", True) or frame.index != self.index:
            return
        self.frame = self.display.frame(frame.index)  # cached now: exact
        self.frame_ready.emit(self.frame)

    def _close_display(self) -> None:
        self._exact_timer.stop()
        if self.display is not None:
            self.display.close()
            self.display = None
        self.prefetcher.plan([])
        self.overlays.clear()

    def body_overlay(self, scale: float = 1.0) -> Patch | None:
        """The current frame's fitted body as a gui.overlay_cache.Patch drawn at ``scale`` of
        full resolution (cached per frame), or None when the frame has no fitted body."""
        fit, faces = self.fit(), self.faces
        self._overlay_scale = scale
        if fit is None or fit.vertices is None or faces is None:
            return None
        return self.overlays.get(self.index, fit, faces, scale)

    # ---- results of the current frame ---------------------------------------------------------
    def observation(self, index: int | None = None) -> Observation | None:
        if self.session is None:
            return None
        return self.session.observations.get(self.index if index is None else index)

    def fit(self, index: int | None = None) -> FrameFit | None:
        if self.session is None:
            return None
        return self.session.fits.get(self.index if index is None else index)

    @property
    def faces(self) -> np.ndarray | None:
        return None if self.session is None else self.session.faces

    def series(self) -> dict[str, np.ndarray]:
        """Per-frame plots for the timeline: fit error (px) and joint speed (m/s)."""
        if self.session is None or self.source is None or not self.session.fits:
            return {}
        n = len(self.source)
        err = np.full(n, np.nan)
        speed = np.full(n, np.nan)
        fps = self.source.fps or 1.0
        fits = self.session.fits
        keys = sorted(i for i in fits if 0 <= i < n)
        err[keys] = [fits[i].error for i in keys]
        by_shape: dict[tuple, list[int]] = {}
        for i in keys:
            if fits[i].joints is not None:
                by_shape.setdefault(fits[i].joints.shape, []).append(i)
        for ids in by_shape.values():  # speed where the previous frame has the same joints
            ids_a = np.asarray(ids)
            joints = np.stack([fits[i].joints for i in ids])
            step = np.linalg.norm(joints[1:] - joints[:-1], axis=2).mean(1) * fps
            follows = ids_a[1:] == ids_a[:-1] + 1
            speed[ids_a[1:][follows]] = step[follows]
        return {"error px": err, "joint speed": speed}

    # ---- jobs -------------------------------------------------------------------------------------
    def _start(self, name: str, run, finish_on_cancel: bool = False) -> bool:
        if self.source is None:
            self.error.emit("Nothing to work on", "Open a photo or a video first (File > Open).", "")
            return False
        if self.busy:
            self.message.emit(f"'{self.job_name}' is still running; wait or press Cancel.", "warning")
            return False
        self.job_name = name
        self.job_started_at = time.monotonic()
        self.cancel_requested_at = None
        self.busy_changed.emit(True, name)
        self.message.emit(f"{name}…", "info")
        self.worker.runner.submit(Job(name, run, finish_on_cancel=finish_on_cancel))
        return True

    def detect(self, all_frames: bool = False) -> bool:
        """Detect keypoints and the person mask on the current frame or on every frame."""
        indices = list(range(len(self.source))) if (all_frames and self.source) else [self.index]
        return self._start("Detect all frames" if all_frames else "Detect frame",
                           pipeline.detect_job(self.source.path if self.source else Path(), indices))

    def fit_frames(self, all_frames: bool = False) -> bool:
        """Fit the body to the current frame, or to every frame not fitted yet."""
        if self.source is None or self.session is None:
            return self._start("Fit", None)
        if all_frames:
            indices = [i for i in range(len(self.source)) if i not in self.session.fits]
            if not indices:
                self.message.emit("Every frame is fitted already.", "info")
                return False
        else:
            indices = [self.index]
        s = self.fit_settings
        self.session.settings.update({"body_model": s.body_model, "quality": s.quality})
        if all_frames and self.source.kind != "image":
            # a video is fitted as a sequence, from the first frame not fitted yet to the end
            run = pipeline.track_job(self.source.path, indices[0], s,
                                     set(self.session.observations), self.track_max_frames)
            return self._start("Fit all frames", run)
        run = pipeline.fit_job(self.source.path, dict(self.session.observations), indices, s)
        return self._start("Fit all frames" if all_frames else "Fit frame", run)

    def reconstruct_surface(self) -> bool:
        """The clothed surface of the current frame (it needs a fitted body)."""
        if self.source is None or self.session is None:
            return self._start("Reconstruct surface", None)
        fit = self.fit()
        if fit is None or fit.vertices is None:
            self.error.emit("Nothing to reconstruct", "This frame has no fitted body yet; press "
                            "Fit frame (F) first, then Reconstruct surface.", "")
            return False
        ss = self.surface_settings
        self.session.settings.update({"surface_mode": ss.mode, "surface_detail": ss.detail})
        run = pipeline.surface_job(self.source.path, self.index, self.observation(), fit,
                                   self.fit_settings, ss)
        return self._start("Reconstruct surface", run)

    def optimize_subject(self) -> bool:
        """One avatar from the fitted frames (continues the session's avatar when it used the
        same frames). Cancel keeps the best avatar so far."""
        if self.source is None or self.session is None:
            return self._start("Optimize subject", None)
        if not self.fitted_indices():
            self.error.emit("Nothing to optimize", "No frame is fitted yet; press Fit all frames "
                            "(Shift+F) first, then Optimize subject.", "")
            return False
        resume = self.session.avatar.state if self.session.avatar is not None else None
        run = pipeline.avatar_job(self.source.path, dict(self.session.observations),
                                  dict(self.session.fits), self.fit_settings,
                                  self.subject_settings, resume)
        self.preview = None
        return self._start("Optimize subject", run, finish_on_cancel=True)

    def occlusion_sensitivity(self, config=None) -> bool:
        """Occlusion sensitivity of the current frame (core.analysis.OcclusionConfig ``config``);
        Cancel keeps the patches finished so far."""
        if self.source is None:
            return self._start(OCCLUSION, None)
        run = occlusion_job(self.source.path, self.index, self.fit_settings, config)
        return self._start(OCCLUSION, run, finish_on_cancel=True)

    def surface(self, index: int | None = None):
        """The clothed SurfaceMesh of frame ``index`` (default: current), or None."""
        if self.session is None:
            return None
        return self.session.surfaces.get(self.index if index is None else index)

    def avatar_frame(self, index: int | None = None) -> int | None:
        """The avatar's posed frame nearest to ``index`` (default: current), or None."""
        av = None if self.session is None else self.session.avatar
        if av is None or not av.posed:
            return None
        index = self.index if index is None else index
        keys = np.fromiter(av.posed.keys(), np.int64)
        return int(keys[np.argmin(np.abs(keys - index))])

    def cancel(self) -> None:
        """Ask the running job to stop; what it finished is kept."""
        if self.busy and self.cancel_requested_at is None:
            self.cancel_requested_at = time.monotonic()
            self.message.emit(f"Cancelling '{self.job_name}'…", "warning")
            self.worker.runner.cancel()

    @Slot(object)
    def _on_progress(self, p: Progress) -> None:
        self._pending_progress = p
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _flush_progress(self) -> None:
        p, self._pending_progress = self._pending_progress, None
        if p is not None and self.busy:
            self.progress.emit(p)

    def _changed(self, index: int) -> None:
        """Frame ``index`` has new results: tell the window with the next flush."""
        self._pending.add(int(index))
        if not self._results_timer.isActive():
            self._results_timer.start()

    def _flush_results(self) -> None:
        """One results_changed for what changed since the last one (see the class docstring)."""
        self._results_timer.stop()
        pending, self._pending = self._pending, set()
        if not pending:
            return
        if len(pending) == 1:
            self.results_changed.emit(next(iter(pending)))
        elif self.index in pending:
            self.results_changed.emit(-1)
        else:
            fitted = [i for i in pending if self.session is not None and i in self.session.fits]
            self.results_changed.emit(max(fitted or pending))

    def _flush_preview(self) -> None:
        if self.preview is not None and self.busy:
            self.avatar_preview.emit(self.preview)

    @Slot(object)
    def _on_item(self, item: object) -> None:
        if self.session is None:
            return
        if isinstance(item, Observation):
            self.session.add_observation(item)
            self._changed(item.index)
        elif isinstance(item, FrameFit):
            self.session.add_fit(item)
            self._fits_version += 1
            self._changed(item.index)
        elif pipeline.is_surface(item):
            self.session.add_surface(item)
            self.message.emit(f"Clothed surface of frame {item.index}: {item.num_vertices} "
                              f"vertices ({item.mode})", "info")
            for note in getattr(item, "notes", ()):  # a coarser budget, no face found, ...
                self.message.emit(note, "info")
            self._changed(item.index)
        elif pipeline.is_avatar_preview(item):
            self.preview = item
            if not self._preview_timer.isActive():
                self._preview_timer.start()
        elif pipeline.is_avatar(item):
            self.preview = None
            self._preview_timer.stop()
            self.session.set_avatar(item)
            self.message.emit(f"Avatar: {item.iterations} steps, mean silhouette IoU "
                              f"{item.mean_iou:.3f} over {len(item.posed)} frame(s)", "info")
            self.results_changed.emit(-1)
        elif is_occlusion(item):
            self.session.add_occlusion(item)
            self.results_changed.emit(item.index)
        elif isinstance(item, pipeline.BodyMesh):
            if self.session.faces is None or not np.array_equal(self.session.faces, item.faces):
                self.session.faces = item.faces
            self.parents = item.parents

    def _end_job(self, cancelled: bool) -> str:
        self._flush_results()
        self._progress_timer.stop()
        self._preview_timer.stop()
        self._pending_progress = None
        name = self.job_name
        self.job_name = ""
        self.preview = None
        if self.cancel_requested_at is not None:
            self.last_cancel_latency = time.monotonic() - self.cancel_requested_at
            self.message.emit(f"'{name}' stopped {self.last_cancel_latency:.2f} s after Cancel; "
                              "the finished frames were kept.", "warning")
        self.save(background=True)
        self.busy_changed.emit(False, name)
        return name

    @Slot(str, object, bool)
    def _on_finished(self, name: str, result: object, cancelled: bool) -> None:
        elapsed = time.monotonic() - self.job_started_at
        name = self._end_job(cancelled)
        if not cancelled:
            self.message.emit(f"{name} finished in {elapsed:.1f} s.", "info")
        self.results_changed.emit(-1)
        self.job_done.emit(name, cancelled)

    @Slot(str, str)
    def _on_failed(self, message: str, tb: str) -> None:
        name = self._end_job(False)
        self.results_changed.emit(-1)
        self.error.emit(f"{name} failed", message, tb)
        self.job_done.emit(name, False)

    # ---- saving and export ------------------------------------------------------------------------
    def save(self, path: str | Path | None = None, force: bool = False,
             background: bool = False) -> Path | None:
        """Save the session (atomically) when it changed; returns the path or None.

        background: write a snapshot of the session on a thread of low priority and return at
        once (the path it goes to; while an earlier one is still writing, another snapshot
        follows it); ``wait_saved()`` returns when the file is complete. Errors are reported
        either way, and a failed background save leaves the session marked as changed.
        """
        if background and self._saver is not None and self._saver.is_alive():
            self._save_again = True
            return self.session.path if self.session is not None else None
        self.wait_saved()
        if self.session is None or (not force and not (self.session.dirty and self.autosave)
                                    and path is None):
            return None
        if self.session.is_empty and not force and path is None:
            return None
        if path is None and self.session.path is None and self.source is not None:
            path = self.default_session_path()
        session = self.session
        if background:
            target = Path(path) if path is not None else (
                session.path or session_path_for(session.media_path))
            snapshot = dataclasses.replace(
                session, observations=dict(session.observations), fits=dict(session.fits),
                settings=dict(session.settings), surfaces=dict(session.surfaces),
                occlusion=dict(session.occlusion))
            session.dirty = False  # a result arriving during the write marks it again
            self._saver = threading.Thread(target=self._write, args=(session, snapshot, target),
                                           name="session-save", daemon=True)
            self._saver.start()
            return target
        try:
            written = save_session(session, path)
        except SessionError as exc:
            self._report("Cannot save the session", exc)
            return None
        session.dirty = False
        self.message.emit(f"Session saved to {written}", "info")
        return written

    def _write(self, session: Session, snapshot: Session, target: Path) -> None:
        """The background save (its own thread): results go back through ``_saved``."""
        lower_thread_priority(10)  # scrubbing right after a long job stays smooth
        try:
            self._saved.emit(session, save_session(snapshot, target), None)
        except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
            self._saved.emit(session, None, exc)

    @Slot(object, object, object)
    def _on_saved(self, session: Session, written: Path | None, exc: Exception | None) -> None:
        if exc is not None:
            session.dirty = True
            self._report("Cannot save the session", exc)
        else:
            session.path = written
            self.message.emit(f"Session saved to {written}", "info")
        if self._save_again and session is self.session:
            self._save_again = False
            self._saver = None
            self.save(background=True)

    def wait_saved(self, timeout_s: float = 120.0) -> None:
        """Wait for a background save to land (and tell its outcome)."""
        while (saver := self._saver) is not None and saver is not threading.current_thread():
            saver.join(timeout_s)
            self._saver = None
            QCoreApplication.sendPostedEvents(self, 0)  # its outcome (and a follow-up save)

    def scene_up(self):
        """The world's up (3,) in the camera frame, read off every fitted frame's legs
        (core.export.upright), or None for a level camera: the 3D view and the exports turn the
        body by it, so a camera that looked down does not make the person lean. Cached until a
        fit lands or the session changes."""
        if self.session is None:
            return None
        session, version, up = self._up_cache
        if session is not self.session or version != self._fits_version:
            from core.export.upright import fits_up

            up = fits_up(self.session.fits.values())
            self._up_cache = (self.session, self._fits_version, up)
        return up

    def fitted_indices(self) -> list[int]:
        if self.session is None:
            return []
        return sorted(i for i, f in self.session.fits.items() if f.vertices is not None)

    def export(self, options: ExportOptions) -> list[Path]:
        """Write OBJ file(s) (and parameter files) for the current frame or every fitted frame.

        returns: the files written. raises: StudioError with what to do when there is nothing
        to export or the folder cannot be written.
        """
        if options.format != "obj":
            return self._export_format(options)
        if options.what in ("surface", "avatar"):
            return self._export_clothed(options)
        faces = self.faces
        indices = self.fitted_indices() if options.all_frames else [self.index]
        fits = [self.fit(i) for i in indices]
        if faces is None or not fits or any(f is None or f.vertices is None for f in fits):
            raise StudioError("This frame has no fitted body yet; press Fit frame (F) first, "
                              "then export.")
        base = Path(options.path)
        if base.suffix.lower() != ".obj":
            base = base.with_suffix(".obj")
        written: list[Path] = []
        try:
            for f in fits:
                path = base.with_name(f"{base.stem}_{f.index:06d}.obj") if options.all_frames else base
                verts = (pipeline.upright(f.vertices, self.scene_up())
                         if options.orientation == "upright" else f.vertices)
                written.append(pipeline.write_obj(path, verts, faces))
                if options.params and f.params is not None:
                    f.params.save_npz(path.with_suffix(".npz"))
                    f.params.save_json(path.with_suffix(".json"))
                    written += [path.with_suffix(".npz"), path.with_suffix(".json")]
        except OSError as exc:
            raise StudioError(f"Cannot write '{base}' ({exc.strerror or exc}); choose a folder "
                              "you can write to.") from exc
        self.message.emit(f"Exported {len(fits)} mesh(es) to {base.parent}", "info")
        return written

    def _export_format(self, options: ExportOptions) -> list[Path]:
        """GLB, BVH or SMPL-layout export through core.export.formats.export_file (the body
        model posing the rig loads on this thread from the process-wide cache)."""
        from core.body import load_body_model
        from core.export.formats import export_file

        s = self.session
        avatar = None if s is None else s.avatar
        fits = [] if s is None else [s.fits[i] for i in sorted(s.fits)]
        if options.what == "surface" and self.surface() is None:
            raise StudioError("This frame has no clothed surface yet; press Reconstruct "
                              "surface first, then export.")
        if options.what == "avatar" and avatar is None:
            raise StudioError("There is no avatar yet; press Optimize subject first, then "
                              "export.")
        named = [f.params.model for f in fits if f.params is not None]
        name = avatar.state.model if options.what == "avatar" else (
            named[0] if named else self.fit_settings.body_model)
        fs = self.fit_settings
        try:
            body = load_body_model(name, fs.model_dir, fs.device)
            fps = self.source.fps if self.source is not None and self.source.fps > 0 else 30.0
            written = export_file(options.path, options.format, options.what, body, fits=fits,
                                  index=self.index, all_frames=options.all_frames,
                                  surface=self.surface(), avatar=avatar, fps=fps,
                                  orientation=options.orientation, up=self.scene_up())
            f = self.fit()
            if options.params and options.what == "body" and not options.all_frames \
                    and f is not None and f.params is not None:
                f.params.save_npz(written[0].with_suffix(".npz"))
                f.params.save_json(written[0].with_suffix(".json"))
                written += [written[0].with_suffix(".npz"), written[0].with_suffix(".json")]
        except OSError as exc:
            raise StudioError(f"Cannot write '{options.path}' ({exc.strerror or exc}); choose a "
                              "folder you can write to.") from exc
        self.message.emit(f"Exported the {options.what} as {options.format.upper()} to "
                          f"{written[0]}", "info")
        return written

    def _export_clothed(self, options: ExportOptions) -> list[Path]:
        """The current frame's clothed surface, or the avatar (rest pose: the canonical body
        frame turned upright, or as stored for "camera"), as OBJ with colours (+ MTL + PNG)."""
        if options.what == "surface":
            mesh = self.surface()
            if mesh is None:
                raise StudioError("This frame has no clothed surface yet; press Reconstruct "
                                  "surface first, then export.")
        else:
            mesh = None if self.session is None else self.session.avatar
            if mesh is None:
                raise StudioError("There is no avatar yet; press Optimize subject first, then "
                                  "export.")
        path = Path(options.path)
        if path.suffix.lower() != ".obj":
            path = path.with_suffix(".obj")
        try:
            up = self.scene_up() if options.what == "surface" else None   # avatar: canonical
            written = pipeline.write_textured_obj(path, mesh, options.orientation, up)
        except OSError as exc:
            raise StudioError(f"Cannot write '{path}' ({exc.strerror or exc}); choose a folder "
                              "you can write to.") from exc
        self.message.emit(f"Exported the {options.what} to {path}", "info")
        return written

    # ---- lifetime ---------------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Cancel the job, stop the worker thread (never terminate), keep and save every result."""
        self.cancel()
        stopped = self.worker.stop(timeout_s)
        # deliver results the worker emitted while we waited, so none is lost
        QCoreApplication.sendPostedEvents(self, 0)
        if self.busy:
            self._end_job(True)
        else:
            self.save()
        self.wait_saved()
        if stopped:
            self._models.close()
        else:
            log.warning("the worker thread did not stop within %.0f s", timeout_s)
        self._close_display()
        self.prefetcher.close()
        if self.source is not None:
            self.source.close()

    def _report(self, title: str, exc: BaseException) -> None:
        import traceback

        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        text = str(exc) if isinstance(exc, StudioError) else (
            f"An unexpected error happened ({type(exc).__name__}: {exc}); your work is kept. "
            "The details are in the log panel.")
        self.error.emit(title, text, tb)
