"""From a SubjectState to a SubjectResult: posed meshes, per-frame figures, colours; and the
whole job (prepare, optimize, build) as one generator."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import torch

from core.body.base import BodyModel
from core.progress import NEVER, CancelToken
from core.render.raster import render_mask
from core.render.silhouette import silhouette_iou
from core.types import FrameFit, Observation, Progress

from .avatar import main_surface
from .config import SubjectConfig
from .frames import SubjectFrame, prepare_frames
from .optimize import optimize_subject
from .result import SubjectResult
from .state import SubjectState
from .texture import bake_avatar_colors, frame_trust

#: read_frame(index) -> ((H, W, 3) uint8 RGB image, (H, W) bool person mask)
FrameReader = Callable[[int], tuple[np.ndarray, np.ndarray]]


@torch.no_grad()
def pose_state(state: SubjectState, body: BodyModel) -> tuple[np.ndarray, np.ndarray]:
    """The avatar of ``state`` in the rest pose and in every used frame, all body vertices.

    returns: canonical (V, 3) float32 (canonical frame, root at the origin, metres) and posed
    (N, V, 3) float32 (each frame's camera frame, metres), N = len(state.frame_indices).
    """
    t = lambda a: torch.as_tensor(a, dtype=body.dtype, device=body.device)  # noqa: E731
    off = t(state.offsets)[None]
    shape = t(state.shape)[None]
    canonical = (body.rest_vertices(shape)[0] + off[0]).cpu().numpy()
    posed = []
    for i in range(0, len(state.frame_indices), 16):
        sl = slice(i, i + 16)
        out = body(t(state.global_orient[sl]), t(state.body_pose[sl]), shape,
                   t(state.transl[sl]), vertex_offsets=off)
        posed.append(out.vertices.cpu().numpy())
    V = body.num_vertices
    posed_all = np.concatenate(posed) if posed else np.zeros((0, V, 3), np.float32)
    return canonical.astype(np.float32), posed_all.astype(np.float32)


def frame_figures(frame: SubjectFrame, vertices: np.ndarray, faces: np.ndarray,
                  landmarks: np.ndarray | None = None) -> tuple[float, float]:
    """(silhouette IoU at the silhouette target's resolution, keypoint error in pixels) of the
    avatar posed in one frame (vertices (V, 3) camera frame, metres; landmarks (33, 3))."""
    target = frame.silhouette
    rendered = render_mask(vertices, faces, target.camera)
    iou = silhouette_iou(rendered, target.mask.numpy() >= 0.5)
    err = float("nan")
    if landmarks is not None:
        w = frame.kp_weights
        if w.sum() > 0:
            d = np.linalg.norm(frame.camera.project(landmarks) - frame.keypoints, axis=1)
            err = float((w * d).sum() / w.sum())
    return float(iou), err


def build_result(state: SubjectState, frames: list[SubjectFrame], body: BodyModel,
                 read_frame: FrameReader | None, config: SubjectConfig | None = None, *,
                 cancel: CancelToken = NEVER) -> Iterator[object]:
    """Job generator: the SubjectResult of a state (posed meshes, IoU, colours).

    read_frame: source of images and masks for the colours (None: no colours, grey).
    yields Progress("avatar"/"texture", ...); returns SubjectResult.
    """
    config = config or SubjectConfig()
    t0 = time.perf_counter()
    canonical, posed = pose_state(state, body)
    ids, faces, face_rows = main_surface(body.faces)
    with torch.no_grad():
        lm = body(**{k: torch.as_tensor(v, dtype=body.dtype, device=body.device) for k, v in
                     (("global_orient", state.global_orient), ("body_pose", state.body_pose),
                      ("shape", state.shape[None]), ("transl", state.transl))}).landmarks.numpy()
    iou, kperr, views = {}, {}, []
    for k, f in enumerate(frames):
        iou[f.index], kperr[f.index] = frame_figures(f, posed[k], body.faces, lm[k])
        yield Progress("avatar", k + 1, len(frames), f"frame {f.index}: IoU {iou[f.index]:.3f}")
        views.append((f.index, posed[k][ids], f.camera,
                      frame_trust(iou[f.index], kperr[f.index], f.person_scale * 500.0,
                                  config.texture.min_iou)))
    timings = {"pose": time.perf_counter() - t0}
    uvs = body.uvs
    face_uvs = None if body.face_uvs is None else body.face_uvs[face_rows]
    texture, colors = None, np.full((len(ids), 3), 160, np.uint8)
    if read_frame is not None:
        from .frames import spread

        t1 = time.perf_counter()
        chosen = spread(views, config.texture.frames)
        texture, colors = yield from bake_avatar_colors(faces, uvs, face_uvs, chosen, read_frame,
                                                        config.texture.size, config.texture.erode,
                                                        cancel=cancel)
        timings["texture"] = time.perf_counter() - t1
    return SubjectResult(state=state, vertices=canonical[ids], faces=faces, uvs=uvs,
                         face_uvs=face_uvs, texture=texture, vertex_colors=colors,
                         posed={f.index: posed[k][ids] for k, f in enumerate(frames)},
                         frame_params=state.params_by_frame(), iou=iou, keypoint_error=kperr,
                         body_vertex_ids=ids, iterations=state.iteration,
                         best_loss=state.best_loss, seconds=time.perf_counter() - t0,
                         timings=timings)


def make_avatar(observations: dict[int, Observation], fits: dict[int, FrameFit],
                body: BodyModel, read_frame: FrameReader | None,
                config: SubjectConfig | None = None, *, state: SubjectState | None = None,
                cancel: CancelToken = NEVER) -> Iterator[object]:
    """Job generator: the whole per-subject job, from observations and fits to a SubjectResult.

    observations / fits: frame number -> Observation (with mask) / FrameFit (with params).
    state: resume from it. yields Progress and AvatarSnapshot (see optimize_subject);
    returns SubjectResult (of the best avatar so far when cancelled).
    """
    config = config or SubjectConfig()
    t0 = time.perf_counter()
    frames = prepare_frames(observations, fits, body, config)
    best = yield from optimize_subject(frames, body, config, state=state, cancel=cancel)
    t1 = time.perf_counter()
    result = yield from build_result(best, frames, body, read_frame, config, cancel=NEVER)
    result.timings["optimize"] = t1 - t0
    result.seconds = time.perf_counter() - t0
    return result
