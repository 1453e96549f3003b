"""The one place where the GUI meets the core pipeline's APIs.

Every core call the window makes goes through this module, so when a core stage lands or
changes its signature only this file changes. Jobs here are ``JobFunction``s for
gui.workers.JobRunner: they run on the worker thread, open their own FrameSource (a video is
never shared with the scrubbing GUI thread), take models from the worker-owned ``ModelCache``
and yield ``Progress`` and partial results in the core generator protocol. Heavy core packages
are imported inside the functions, so the window opens without loading torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from core.errors import Cancelled, StudioError
from core.progress import CancelToken
from core.types import Camera, FrameFit, Observation, Progress


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

    def body_message(self, name: str, model_dir: str | None, device: str | None) -> str | None:
        """What to show while ``body`` gets the model: None when it is loaded already; the
        first-run sentence only when Anny's disk cache is missing (scripts/setup.sh builds it)."""
        if self.has_body(name, model_dir, device):
            return None
        if name == "anny":
            from core.body.anny_body import anny_cache_dir

            if not any(Path(anny_cache_dir()).glob("v*/*.safetensors")):
                return "Building the body model (first run only, about a minute)…"
        return "Loading the body model…"

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
        from core.fitting import FitConfig, fit_frames
        from core.perception.detect import detect_frames

        message = models.body_message(settings.body_model, settings.model_dir, settings.device)
        if message:
            yield Progress("fit", 0, len(indices), message)
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


def upright(vertices: np.ndarray, up: np.ndarray | None = None) -> np.ndarray:
    """Camera frame -> upright world frame (y along ``up``, the world's up in the camera frame,
    or a level camera's; the subject facing +z); (V, 3) float32."""
    from core.export.mesh_io import camera_to_upright

    return camera_to_upright(vertices, up)


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> Path:
    """Write one OBJ mesh with core.export.mesh_io; returns the path."""
    from core.export.mesh_io import write_obj as _write_obj

    return Path(_write_obj(path, vertices, faces))


# ---- video tracking (core.temporal) ---------------------------------------------------------
def track_config(quality: str, max_frames: int = 0):
    """core.temporal.TrackConfig for a fit quality ("fast" shrinks windows and iterations for
    quick previews and tests, "best" doubles the window iterations). max_frames: 0 = all."""
    from core.temporal import TrackConfig

    cfg = TrackConfig(max_frames=max(0, int(max_frames)))
    seq = cfg.sequence
    if quality == "fast":
        seq.window.size, seq.window.iterations, seq.window.iterations_analytic = 12, 12, 25
        seq.shape.frames, seq.shape.rigid_iterations, seq.shape.iterations = 2, 15, 6
    elif quality == "best":
        seq.window.iterations *= 2
        seq.window.iterations_analytic *= 2
    return cfg


class _FrameRange:
    """A FrameSource seen from frame ``start`` on (frame i of the view is frame start + i), so a
    track resumes where the session's fits stop."""

    def __init__(self, source, start: int) -> None:
        self._source, self.start = source, int(start)
        self.fps, self.camera, self.kind = source.fps, source.camera, source.kind

    def __len__(self) -> int:
        return len(self._source) - self.start

    def read(self, index: int):
        return self._source.read(self.start + index)


class _RecordingDetector:
    """A PoseDetector proxy that keeps every Observation it returns (track_video keeps them to
    itself), so the window can draw the keypoints of tracked frames."""

    def __init__(self, detector) -> None:
        self._detector = detector
        self._seen: list[Observation] = []

    def __getattr__(self, name: str):
        return getattr(self._detector, name)

    def detect(self, frame) -> Observation:
        obs = self._detector.detect(frame)
        self._seen.append(obs)
        return obs

    def take(self) -> list[Observation]:
        seen, self._seen = self._seen, []
        return seen


def track_job(media_path: Path, start: int, settings: FitSettings, known: set[int],
              max_frames: int = 0):
    """JobFunction: core.temporal.track_video from frame ``start`` to the end (or ``max_frames``
    frames): frames are detected and fitted together in windows, streaming.

    known: frames whose observation the session has already (not replaced: theirs has a mask).
    yields: Progress, BodyMesh (once), Observation (keypoints, no mask: the track drops masks to
    bound memory), FrameFit (status fitted / bridged / low_confidence / no_person) per frame.
    Cancel stops within one optimizer step: the body raises Cancelled in the fitting thread.
    """
    import copy

    def run(models: ModelCache, cancel: CancelToken) -> Iterator:
        from core.temporal import track_video

        message = models.body_message(settings.body_model, settings.model_dir, settings.device)
        if message:
            yield Progress("track", 0, 0, message)
        body = models.body(settings.body_model, settings.model_dir, settings.device)
        parents = getattr(body, "parents", None)
        yield BodyMesh(settings.body_model, np.asarray(body.faces, np.int64),
                       None if parents is None else np.asarray(parents))
        source = open_media(media_path)
        detector = _RecordingDetector(models.detector("video"))
        detector.reset()
        gen = track_video(_FrameRange(source, start), detector, CancellableBody(body, cancel),
                          track_config(settings.quality, max_frames), cancel=cancel)
        fitted = 0
        try:
            for out in gen:
                for obs in detector.take():
                    if obs.index + start not in known:
                        obs = copy.copy(obs)  # the fitting thread holds the original
                        obs.index += start
                        yield obs
                if isinstance(out, FrameFit):
                    out.index += start
                    fitted += 1
                    yield out
                elif isinstance(out, Progress):
                    yield Progress("track", out.done, out.total, out.message)
        except Cancelled:
            pass
        finally:
            gen.close()  # joins track_video's fitting thread
            source.close()
        return fitted

    return run


# ---- clothed surface (core.surface) ---------------------------------------------------------
#: Surface detail presets: cells along the person's longest side (depth mode) and along the
#: volume's (implicit mode), whatever the photo's size.
SURFACE_DETAIL = {"low": (112, 96), "medium": (192, 160), "high": (288, 224)}


@dataclass
class SurfaceSettings:
    """mode: "depth" or "implicit" (core.surface.SurfaceConfig.mode). detail: "low", "medium"
    or "high" (see SURFACE_DETAIL)."""

    mode: str = "depth"
    detail: str = "medium"

    def config(self):
        from core.surface import SurfaceConfig

        cfg = SurfaceConfig(mode=self.mode)
        cfg.depth.cells, cfg.implicit.resolution = SURFACE_DETAIL.get(self.detail,
                                                                     SURFACE_DETAIL["medium"])
        return cfg


def _mask_of(models: ModelCache, source, index: int, obs: Observation | None) -> Observation:
    """``obs`` when it has a person mask, else a fresh single-image detection of the frame (a
    tracked video keeps no masks). raises StudioError when nobody is found."""
    if obs is not None and obs.mask is not None:
        return obs
    detector = models.detector("image")
    found = detector.detect(source.read(index))
    if not found.person or found.mask is None:
        raise StudioError(f"No person was found in frame {index}; choose a frame where the "
                          "person is visible.")
    return found


def surface_job(media_path: Path, index: int, obs: Observation | None, fit: FrameFit,
                settings: FitSettings, surface: SurfaceSettings):
    """JobFunction: the clothed surface of frame ``index`` from its fit and person mask.

    yields: Progress, Observation (when the mask had to be detected), SurfaceMesh.
    """

    def run(models: ModelCache, cancel: CancelToken) -> Iterator:
        from core.surface import reconstruct_surface

        if fit is None or fit.vertices is None:
            raise StudioError(f"Frame {index} has no fitted body yet; press Fit frame (F) first.")
        yield Progress("surface", 0, 3, "Loading the body model")
        body = models.body(settings.body_model, settings.model_dir, settings.device)
        source = open_media(media_path)
        try:
            yield Progress("surface", 1, 3, "Person mask")
            seen = _mask_of(models, source, index, obs)
            if seen is not obs:
                yield seen
            if cancel.cancelled:
                return None
            yield Progress("surface", 2, 3, f"{surface.mode} surface ({surface.detail} detail)")
            mesh = reconstruct_surface(source.read(index).image, seen, fit, body, surface.config())
            yield mesh
            yield Progress("surface", 3, 3, f"{mesh.num_vertices} vertices")
            return mesh
        finally:
            source.close()

    return run


# ---- per-subject avatar (core.subject) ------------------------------------------------------
@dataclass
class SubjectSettings:
    """frames: at most this many fitted frames, evenly spread, take part. iterations: optimizer
    steps in all (a resumed avatar continues up to it). texture_size: UV texture side, pixels."""

    frames: int = 40
    iterations: int = 400
    texture_size: int = 1024

    def config(self):
        from core.subject import SubjectConfig

        cfg = SubjectConfig(frames=max(1, int(self.frames)))
        cfg.optim.iterations = max(1, int(self.iterations))
        cfg.optim.snapshot_every = max(2, cfg.optim.iterations // 25)
        cfg.optim.eval_every = min(cfg.optim.eval_every, max(2, cfg.optim.iterations // 4))
        cfg.texture.size = int(self.texture_size)
        cfg.texture.frames = min(cfg.texture.frames, cfg.frames)
        return cfg


def avatar_frames(fits: dict[int, FrameFit], count: int) -> list[int]:
    """At most ``count`` fitted frames (with parameters, a person), evenly spread."""
    from core.subject.frames import spread

    keys = sorted(i for i, f in fits.items() if f.params is not None and f.status != "no_person")
    return spread(keys, count)


def avatar_job(media_path: Path, observations: dict[int, Observation], fits: dict[int, FrameFit],
               settings: FitSettings, subject: SubjectSettings, resume=None):
    """JobFunction: one clothed, textured avatar optimized over the fitted frames.

    resume: a SubjectState to continue (used when it covers the same frames).
    yields: Progress, Observation (masks detected for used frames), AvatarSnapshot (previews),
    and the final SubjectResult (also when cancelled: the best avatar so far). Runs with
    ``Job.finish_on_cancel``: Cancel stops the optimizer, then the best state is built.
    """

    def run(models: ModelCache, cancel: CancelToken) -> Iterator:
        from core.subject import make_avatar

        config = subject.config()
        chosen = avatar_frames(fits, config.frames)
        if not chosen:
            raise StudioError("No frame has a fitted body yet; press Fit all frames first, then "
                              "Optimize subject.")
        body = models.body(settings.body_model, settings.model_dir, settings.device)
        source = open_media(media_path)
        try:
            seen: dict[int, Observation] = {}
            for n, i in enumerate(chosen, 1):
                if cancel.cancelled:
                    return None
                try:
                    obs = _mask_of(models, source, i, observations.get(i))
                except StudioError:
                    continue
                if obs is not observations.get(i):
                    yield obs
                seen[i] = obs
                yield Progress("masks", n, len(chosen), f"person mask of frame {i}")
            state = resume
            if state is not None and list(state.frame_indices) != sorted(seen):
                state = None
            masks = {i: o.binary_mask() for i, o in seen.items()}

            def read_frame(i: int):
                return source.read(i).image, masks[i]

            result = yield from make_avatar(seen, {i: fits[i] for i in seen}, body, read_frame,
                                            config, state=state, cancel=cancel)
            yield result
            return result
        finally:
            source.close()

    return run


def upright_avatar(vertices: np.ndarray) -> np.ndarray:
    """The avatar's canonical frame (y down, facing -z) -> upright (y up, facing +z), as OBJs
    and the 3D viewer show it: the same turn as ``upright``."""
    return upright(vertices)


def write_textured_obj(path: Path, mesh, orientation: str = "upright",
                       up: np.ndarray | None = None) -> list[Path]:
    """Write a coloured mesh (SurfaceMesh or SubjectResult: vertices, faces, vertex_colors,
    optional uvs / face_uvs / texture) as OBJ (+ MTL + PNG when textured).

    orientation: "upright" (y up, along ``up`` when given: see ``upright``) or "camera" (as
    stored). returns: the files written.
    """
    from core.export.mesh_io import write_obj as _write_obj

    verts = upright(mesh.vertices, up) if orientation == "upright" else mesh.vertices
    textured = mesh.texture is not None and mesh.uvs is not None
    obj = Path(_write_obj(path, verts, mesh.faces, vertex_colors=mesh.vertex_colors,
                          uvs=mesh.uvs if textured else None,
                          face_uvs=mesh.face_uvs if textured else None,
                          texture=mesh.texture if textured else None))
    extra = [obj.with_suffix(s) for s in (".mtl", ".png") if obj.with_suffix(s).exists()]
    return [obj] + extra if textured else [obj]


def is_surface(item: object) -> bool:
    from core.surface import SurfaceMesh

    return isinstance(item, SurfaceMesh)


def is_avatar(item: object) -> bool:
    from core.subject import SubjectResult

    return isinstance(item, SubjectResult)


def is_avatar_preview(item: object) -> bool:
    from core.subject import AvatarSnapshot

    return isinstance(item, AvatarSnapshot)
