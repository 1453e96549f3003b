"""The surface stage's entry points: one frame (``reconstruct_surface``), the fitted body with
a baked UV texture (``textured_body``), and a job generator over several frames."""
from __future__ import annotations

import time
from dataclasses import replace
from collections.abc import Callable, Generator, Iterable

import numpy as np

from core.body.base import BodyModel
from core.errors import StudioError
from core.progress import NEVER, CancelToken
from core.types import Camera, FrameFit, Observation, Progress

from .budget import SurfacePlan, plan_surface, working_view
from .config import SurfaceConfig
from .depth import depth_surface, person_depth_maps
from .folds import add_folds
from .garment import GarmentBody
from .labels import SKIN
from .implicit import implicit_surface
from .mesh import SurfaceMesh
from .mesh_ops import largest_component, taubin_smooth
from .person import PersonContext, analyse_person


def _check_inputs(image: np.ndarray, observation: Observation, fit: FrameFit) -> np.ndarray:
    """The person mask (H, W) float32, or a StudioError saying what is missing."""
    if not observation.person or observation.mask is None:
        raise StudioError(f"Frame {observation.index} has no detected person mask; detect the "
                          "person first (or choose a frame where someone is visible).")
    if fit is None or fit.vertices is None:
        raise StudioError(f"Frame {observation.index} has no fitted body; run Fit on it first.")
    mask = np.asarray(observation.mask, np.float32)
    if image is not None and tuple(image.shape[:2]) != mask.shape:
        raise StudioError(f"The frame is {image.shape[1]}x{image.shape[0]} but its mask is "
                          f"{mask.shape[1]}x{mask.shape[0]}; detect this frame again.")
    return mask


def _camera_for(fit: FrameFit, mask: np.ndarray) -> Camera:
    cam = fit.camera
    H, W = mask.shape
    if (cam.width, cam.height) != (W, H):
        cam = cam.scaled(W / cam.width)
    return cam


def surface_geometry(mask: np.ndarray, body_vertices: np.ndarray, body_faces: np.ndarray,
                     camera: Camera, config: SurfaceConfig, *, plan: SurfacePlan | None = None,
                     prior: GarmentBody | None = None, garment: np.ndarray | None = None,
                     skin: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Closed clothed-surface geometry, before folds and colours.

    mask: (H, W) float person mask. body_vertices: (V, 3) camera frame metres; body_faces (F, 3).
    plan: the grid budget (budget.plan_surface; None: the config's as it is). prior: the
    clothed-body prior to build around (None: the naked body). garment: (H, W) bool, pixels
    the labels call a garment (None: unknown). skin: (H, W) bool, pixels the labels call skin
    (smoothed less, ``SmoothConfig.skin_weight``; None: everywhere the same).
    returns: vertices (N, 3) float32 camera frame metres, faces (M, 3) int64 outward, and
    seconds per step.
    """
    t = {}
    t0 = time.perf_counter()
    if config.mode == "depth":
        step = plan.step if plan is not None else None
        maps = person_depth_maps(mask, body_vertices, body_faces, camera, config.depth,
                                 config.mask_threshold, step=step, prior=prior, garment=garment)
        v, f = depth_surface(maps, camera)
    elif config.mode == "implicit":
        v, f = implicit_surface(mask, body_vertices, body_faces, camera, config.implicit,
                                config.mask_threshold,
                                resolution=plan.cells if plan is not None else None, prior=prior,
                                garment=garment)
    else:
        raise StudioError(f"Unknown surface mode '{config.mode}': choose "
                          f"{' or '.join(SurfaceConfig.MODES)}.")
    t["volume"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if config.smooth.largest_component:
        v, f = largest_component(v, f)
    weights = None
    if skin is not None and config.smooth.skin_weight < 1.0:
        # Where the image shows skin (face, hands) the body's detail is kept: smoothed less.
        on_skin = _pixel_values(skin, camera.project(v)) > 0.5
        weights = np.where(on_skin, config.smooth.skin_weight, 1.0)
    v = taubin_smooth(v, f, config.smooth.iterations, config.smooth.lamb, config.smooth.mu,
                      weights)
    t["smooth"] = time.perf_counter() - t0
    return v.astype(np.float32), f, t


def _pixel_values(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """(N,) values of a (H, W) array at the nearest pixels of uv (N, 2) (0 outside)."""
    h, w = image.shape
    x, y = np.rint(uv[:, 0]).astype(np.int64), np.rint(uv[:, 1]).astype(np.int64)
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    out = np.zeros(len(uv), np.float32)
    out[ok] = image[y[ok], x[ok]]
    return out


def _person(frame_image: np.ndarray | None, observation: Observation, fit: FrameFit,
            body: BodyModel, config: SurfaceConfig, plan: bool = True
            ) -> tuple[PersonContext, SurfacePlan | None, dict[str, float]]:
    """The working view of the frame, the grid plan (checked against the memory available)
    and what is known of the person in it, with seconds per step."""
    mask = _check_inputs(frame_image, observation, fit)
    camera = _camera_for(fit, mask)
    t0 = time.perf_counter()
    view = working_view(frame_image, mask, observation, camera, config.budget.work_size,
                        config.mask_threshold)
    planned = plan_surface(view, fit.vertices, config) if plan else None
    timings = {"view": time.perf_counter() - t0}
    person = analyse_person(view, fit, body, config)
    timings.update(person.timings)
    return person, planned, timings


def reconstruct_surface(frame_image: np.ndarray, observation: Observation, fit: FrameFit,
                        body: BodyModel, config: SurfaceConfig | None = None) -> SurfaceMesh:
    """The clothed surface the camera saw in one frame, coloured from the frame.

    frame_image: (H, W, 3) uint8 RGB. observation: the frame's detection (needs its mask).
    fit: the frame's fitted body (vertices in the camera frame). body: the model that was fitted
    (its faces). config: SurfaceConfig (defaults: depth mode, garment layer and folds on).
    returns: SurfaceMesh in the camera frame, metres, aligned with ``fit.vertices``, with the
    person's skin / hair / garment labels.
    raises StudioError: bad input, or a surface whose memory estimate exceeds what is available
    (``config.budget``).
    """
    from core.texture.honest_back import BackColors
    from core.texture.vertex_colors import vertex_colors

    config = config or SurfaceConfig()
    if config.mode not in SurfaceConfig.MODES:
        raise StudioError(f"Unknown surface mode '{config.mode}': choose "
                          f"{' or '.join(SurfaceConfig.MODES)}.")
    person, plan, timings = _person(frame_image, observation, fit, body, config)
    view = person.view
    v, f, t = surface_geometry(view.mask, fit.vertices, body.faces, view.camera, config,
                               plan=plan, prior=person.prior, garment=person.garment_mask(),
                               skin=person.view_labels() == SKIN)
    timings.update(t)
    notes = list(plan.notes) + list(person.labels.notes)
    if config.folds.enabled:
        t0 = time.perf_counter()
        v, _ = add_folds(v, f, person, config.folds, config.mask_threshold)
        timings["folds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = BackColors(person.labels, view.to_full)
    colors, _ = vertex_colors(view.image, view.mask >= config.color.mask_threshold, v, f,
                              view.camera, config.color.erode, back=back)
    timings["colors"] = time.perf_counter() - t0
    return SurfaceMesh(v, f, colors, index=observation.index, mode=config.mode, timings=timings,
                       labels=person.labels, grid=plan.shape, notes=notes)


def textured_body(frame_image: np.ndarray, observation: Observation, fit: FrameFit,
                  body: BodyModel, config: SurfaceConfig | None = None) -> SurfaceMesh:
    """The fitted (naked) body with vertex colours and, when the model has a UV layout, a UV
    texture baked from the frame (mode "body"); hidden parts follow the honest-back rules
    (core/texture/honest_back.py)."""
    from core.texture.honest_back import BackColors
    from core.texture.uv_bake import bake_texture
    from core.texture.vertex_colors import vertex_colors

    config = config or SurfaceConfig()
    t0 = time.perf_counter()
    no_garment = replace(config, garment=replace(config.garment, enabled=False))
    person, _, _ = _person(frame_image, observation, fit, body, no_garment, plan=False)
    view = person.view
    person_mask = view.mask >= config.color.mask_threshold
    back = BackColors(person.labels, view.to_full)
    colors, _ = vertex_colors(view.image, person_mask, fit.vertices, body.faces, view.camera,
                              config.color.erode, back=back)
    out = SurfaceMesh(fit.vertices, body.faces, colors, index=observation.index, mode="body",
                      labels=person.labels)
    if body.uvs is not None and body.face_uvs is not None and config.color.texture_size > 0:
        out.uvs, out.face_uvs = body.uvs, body.face_uvs
        out.texture = bake_texture(view.image, person_mask, fit.vertices, body.faces, body.uvs,
                                   body.face_uvs, view.camera, config.color.texture_size,
                                   config.color.erode, back=back)
    out.timings["texture"] = time.perf_counter() - t0
    return out


def reconstruct_frames(frames: Iterable[int], read_image: Callable[[int], np.ndarray],
                       observations: dict[int, Observation], fits: dict[int, FrameFit],
                       body: BodyModel, config: SurfaceConfig | None = None, *,
                       cancel: CancelToken = NEVER
                       ) -> Generator[Progress | SurfaceMesh, None, dict[int, SurfaceMesh]]:
    """Job generator (core/progress.py protocol): the clothed surface of each frame.

    frames: frame indices. read_image(i) -> (H, W, 3) uint8 RGB of frame i (e.g.
    ``lambda i: source.read(i).image``). observations, fits: per frame index.
    Yields Progress and each SurfaceMesh as it is made; frames without a person or a fit are
    skipped with a Progress message. Returns {frame index: SurfaceMesh} (what was finished when
    cancelled).
    """
    config = config or SurfaceConfig()
    todo = list(frames)
    done: dict[int, SurfaceMesh] = {}
    yield Progress("surface", 0, len(todo), f"{config.mode} surfaces of {len(todo)} frame(s)")
    for n, i in enumerate(todo):
        if cancel.cancelled:
            return done
        obs, fit = observations.get(i), fits.get(i)
        if obs is None or not obs.person or obs.mask is None or fit is None or fit.vertices is None:
            yield Progress("surface", n + 1, len(todo), f"frame {i}: no person or fit, skipped")
            continue
        mesh = reconstruct_surface(read_image(i), obs, fit, body, config)
        done[i] = mesh
        yield mesh
        yield Progress("surface", n + 1, len(todo), f"frame {i}: {mesh.num_faces} faces")
    return done
