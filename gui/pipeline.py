"""The one place where the GUI meets the core pipeline's APIs.

Every core call the window makes goes through this module, so when a core stage lands or
changes its signature only this file changes. Jobs here are ``JobFunction``s for
gui.workers.JobRunner: they run on the worker thread, open their own FrameSource (a video is
never shared with the scrubbing GUI thread), take models from the worker-owned ``ModelCache``
and yield ``Progress`` and partial results in the core generator protocol.

Stages that have not landed yet are probed with ``importlib`` and reported as unavailable with a
sentence instead of failing at import time.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from core.errors import Cancelled, StudioError
from core.progress import CancelToken
from core.types import Camera, FrameFit, Observation, Progress


def _optional(module: str) -> Any | None:
    """The module when it exists and imports, else None (stages land one by one)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


# ---- media ----------------------------------------------------------------------------------
def open_media(path: str | Path):
    """A core.media FrameSource for a photo, video or frame folder (raises MediaError)."""
    from core.media import open_source

    return open_source(path)


# ---- results that are not core types -------------------------------------------------------
@dataclass
class BodyMesh:
    """Topology of the body model a fit job used, sent once to the GUI thread.

    name: body model name. faces: (F, 3) int64 triangle indices. parents: (J,) int joint parents
    (-1 for the root), for drawing joints as a skeleton in the 3D viewer.
    """

    name: str
    faces: np.ndarray
    parents: np.ndarray | None = None


def fitting_available() -> bool:
    """True when core.fitting and core.body provide what "Fit" needs."""
    fitting, body = _optional("core.fitting"), _optional("core.body")
    return (fitting is not None and hasattr(fitting, "fit_frames")
            and body is not None and hasattr(body, "load_body_model"))


# ---- models (worker thread only) -----------------------------------------------------------
def leave_a_core_for_the_window() -> int:
    """Give torch all CPU cores but one, so the GUI thread (scrubbing, VTK) stays responsive.

    Measured on the 2-core development machine while other processes kept it busy: one Anny
    forward + backward took ~1 s with 2 torch threads (threads spin-waiting on each other) and
    ~60 ms with 1. Process-wide (torch has one intra-op pool); the headless CLI does not call it.
    returns: the thread count set.
    """
    import os

    import torch

    n = max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(n)
    return n



class ModelCache:
    """Models owned by the worker thread: built on first use, kept for the window's lifetime."""

    def __init__(self) -> None:
        self._detectors: dict[str, Any] = {}
        self._bodies: dict[tuple, Any] = {}

    def detector(self, mode: str):
        if mode not in self._detectors:
            from core.perception.blazepose import PoseDetector

            self._detectors[mode] = PoseDetector(mode=mode)
        return self._detectors[mode]

    def has_body(self, name: str, model_dir: str | None, device: str | None) -> bool:
        return (name, model_dir, device) in self._bodies

    def body(self, name: str, model_dir: str | None, device: str | None):
        key = (name, model_dir, device)
        if key not in self._bodies:
            from core.body import load_body_model

            self._bodies[key] = load_body_model(name=name, model_dir=model_dir, device=device)
        return self._bodies[key]

    def close(self) -> None:
        for det in self._detectors.values():
            try:
                det.close()
            except Exception:  # noqa: BLE001 - closing must not stop shutdown
                pass
        self._detectors.clear()


# ---- jobs -----------------------------------------------------------------------------------
def detect_job(media_path: Path, indices: list[int]):
    """JobFunction: keypoints and mask for ``indices``; yields Progress and Observation."""

    def run(models: ModelCache, cancel: CancelToken) -> Iterator:
        from core.perception.detect import detect_frames

        source = open_media(media_path)
        try:
            mode = "image" if source.kind == "image" else "video"
            detector = models.detector(mode)
            detector.reset()
            observations = {}
            try:
                for progress, obs in detect_frames(source, indices, cancel=cancel, detector=detector):
                    observations[obs.index] = obs
                    yield obs
                    yield progress
            except Cancelled:
                pass
            return observations
        finally:
            source.close()

    return run


class CancellableBody:
    """A BodyModel proxy that raises ``Cancelled`` at its next evaluation once ``cancel`` is set.

    Workaround (GUI side) for ``core.fitting.fit_observation`` taking no cancel token: one frame's
    optimisation runs hundreds of body evaluations (seconds on a busy CPU), and Cancel must stop
    within a second. The optimiser calls the body every step, so checking before each forward
    pass and (through a gradient hook) before its backward pass bounds the delay to about half a
    step; the half-fitted frame is dropped, every finished frame is kept.
    """

    def __init__(self, body, cancel: CancelToken) -> None:
        self._body = body
        self._cancel = cancel

    def __getattr__(self, name: str):
        return getattr(self._body, name)

    def _check_grad(self, grad):
        self._cancel.raise_if_cancelled()
        return grad

    def _watch(self, out):
        vertices = getattr(out, "vertices", None)
        if vertices is not None and getattr(vertices, "requires_grad", False):
            vertices.register_hook(self._check_grad)
        return out

    def __call__(self, *args, **kwargs):
        self._cancel.raise_if_cancelled()
        return self._watch(self._body(*args, **kwargs))

    def forward(self, *args, **kwargs):
        self._cancel.raise_if_cancelled()
        return self._watch(self._body.forward(*args, **kwargs))

    def pose_prior(self, *args, **kwargs):
        self._cancel.raise_if_cancelled()
        return self._body.pose_prior(*args, **kwargs)


@dataclass
class FitSettings:
    """What a fit job needs from the side panel. quality: "fast", "balanced" or "best"."""

    body_model: str = "anny"
    model_dir: str | None = None
    device: str | None = None
    quality: str = "balanced"


def fit_job(media_path: Path, observations: dict[int, Observation], indices: list[int],
            settings: FitSettings):
    """JobFunction: frame by frame, detect (when there is no observation yet), then fit the body.

    yields: Progress, Observation (new detections), BodyMesh (once), FrameFit per frame.
    """

    def run(models: ModelCache, cancel: CancelToken) -> Iterator:
        if not fitting_available():
            raise StudioError("Body fitting is not available in this version yet; the keypoints "
                              "and masks can still be detected (Detect frame / Detect all).")
        from core.fitting import FitConfig, fit_frames
        from core.perception.detect import detect_frames

        if not models.has_body(settings.body_model, settings.model_dir, settings.device):
            yield Progress("fit", 0, len(indices), "Building the body model (first run only)…")
        body = models.body(settings.body_model, settings.model_dir, settings.device)
        parents = getattr(body, "parents", None)
        yield BodyMesh(settings.body_model, np.asarray(body.faces, np.int64),
                       None if parents is None else np.asarray(parents))
        config = FitConfig(quality=settings.quality)
        watched = CancellableBody(body, cancel)
        source = open_media(media_path)
        fits: list[FrameFit] = []
        try:
            detector = models.detector("image" if source.kind == "image" else "video")
            detector.reset()
            # frame by frame (detect when needed, then fit) so results stream from the start
            for done, index in enumerate(indices, start=1):
                if cancel.cancelled:
                    break
                obs = observations.get(index)
                if obs is None:
                    try:
                        for _, obs in detect_frames(source, [index], cancel=cancel, detector=detector):
                            yield obs
                    except Cancelled:
                        break
                try:
                    for out in fit_frames(source, {index: obs}, watched, [index], config,
                                          cancel=cancel):
                        if isinstance(out, FrameFit):
                            fits.append(out)
                            yield out
                except Cancelled:
                    break
                yield Progress("fit", done, len(indices), f"frame {index}")
            return fits
        finally:
            source.close()

    return run


# ---- drawing and export (GUI thread, numpy only) -------------------------------------------
BODY_RGB = (90, 170, 255)


def body_layer(vertices: np.ndarray, faces: np.ndarray, camera: Camera,
               color: tuple[int, int, int] = BODY_RGB, alpha: float = 0.6) -> np.ndarray:
    """(H, W, 4) uint8 RGBA layer of the shaded body as seen by ``camera``; transparent elsewhere.

    vertices: (V, 3) float32, camera frame, metres. faces: (F, 3) int64. Drawn by
    core.render.overlay.draw_body over black at full opacity; its coverage becomes the alpha, so
    the layer can be toggled without redrawing the frame.
    """
    from core.render.overlay import draw_body

    black = np.zeros((camera.height, camera.width, 3), np.uint8)
    drawn = draw_body(black, vertices, faces, camera, color=color, alpha=1.0)
    rgba = np.zeros(drawn.shape[:2] + (4,), np.uint8)
    rgba[..., :3] = drawn
    rgba[..., 3] = np.where(drawn.max(axis=2) > 0, int(alpha * 255), 0)
    return rgba


def upright(vertices: np.ndarray) -> np.ndarray:
    """Camera frame -> upright world frame (y up, the subject facing +z); (V, 3) float32."""
    from core.export.mesh_io import camera_to_upright

    return camera_to_upright(vertices)


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    """Write one OBJ mesh with core.export.mesh_io; returns the path."""
    from core.export.mesh_io import write_obj as _write_obj

    return Path(_write_obj(path, vertices, faces))
