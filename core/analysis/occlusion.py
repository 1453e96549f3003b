"""Occlusion sensitivity (PARE's occlusion analysis): where in the image does the body come from?

A grey patch slides over the person's box enlarged by half on every side; for every position the
occluded image goes through perception (BlazePose, image mode) and the single-frame fit (the
"fast" preset, each fit from the learned initializer's guess, so a lost keypoint shows), and the
fitted joints are compared with the unoccluded fit:

    result = yield from occlusion_sensitivity(frame, camera, body, OcclusionConfig(), cancel=token)

Deterministic for a given frame and settings: perception runs in image mode (no tracking state)
and the fit draws nothing at random. Cancel stops before the next patch (or inside a fit, when
the body raises core.errors.Cancelled as the GUI's watched body does) and returns what ran.
"""
from __future__ import annotations

import math
import time
from typing import Generator

import numpy as np

from core.analysis.config import (ROOT_INDICES, SENSITIVITY_INDICES, SENSITIVITY_JOINTS,
                                  OcclusionConfig)
from core.analysis.regions import cell_regions
from core.analysis.result import OcclusionResult, PatchResult, patch_box
from core.errors import Cancelled, StudioError
from core.fitting import fit_observation
from core.progress import NEVER, CancelToken
from core.types import NUM_KEYPOINTS, Camera, Frame, FrameFit, Observation, Progress

STAGE = "occlusion"


def analysis_area(person_box: np.ndarray, width: int, height: int,
                  enlarge: float = 0.5) -> np.ndarray:
    """(4,) float32 [x0, y0, x1, y1] pixels: ``person_box`` enlarged by ``enlarge`` of its width
    and height on every side, clipped to the frame."""
    x0, y0, x1, y1 = (float(v) for v in person_box)
    dx, dy = enlarge * (x1 - x0), enlarge * (y1 - y0)
    return np.array([max(0.0, x0 - dx), max(0.0, y0 - dy), min(width - 1.0, x1 + dx),
                     min(height - 1.0, y1 + dy)], np.float32)


def patch_size(person_box: np.ndarray, config: OcclusionConfig) -> tuple[int, int]:
    """(patch, stride) in pixels: the configured ones, else from the person's box size."""
    side = float(max(person_box[2] - person_box[0], person_box[3] - person_box[1], 1.0))
    patch = int(config.patch) if config.patch else \
        max(8, int(round(side / config.cells_per_person)))
    stride = int(config.stride) if config.stride else patch
    return patch, stride


def cell_centres(lo: float, hi: float, patch: int, stride: int) -> np.ndarray:
    """(N,) float32 patch centres covering [lo, hi] pixels: the fewest stride-spaced patches that
    reach both ends, centred on the span."""
    span = hi - lo + 1.0
    n = max(1, math.ceil(max(0.0, span - patch) / stride) + 1)
    first = (lo + hi) / 2.0 - (n - 1) * stride / 2.0
    return (first + stride * np.arange(n)).astype(np.float32)


def occlude(image: np.ndarray, box: np.ndarray, grey: int = 128) -> np.ndarray:
    """A copy of ``image`` (H, W, 3) uint8 with pixels [x0, x1) x [y0, y1) of ``box`` set to
    ``grey`` in every channel."""
    out = image.copy()
    x0, y0, x1, y1 = (int(v) for v in box)
    out[y0:y1, x0:x1] = grey
    return out


def root_aligned(landmarks: np.ndarray) -> np.ndarray:
    """(J, 3) the sensitivity joints of (33, 3) body landmarks (camera frame, metres) relative
    to the hip midpoint."""
    root = landmarks[list(ROOT_INDICES)].mean(axis=0)
    return landmarks[list(SENSITIVITY_INDICES)] - root


def compare(fit: FrameFit, reference: FrameFit, reference_keypoints: np.ndarray,
            camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """(displacement (J,) mm root-aligned 3D, error2d (J,) px vs the reference keypoints) of one
    patch's fit; nan when it has no body."""
    j = len(SENSITIVITY_INDICES)
    if fit.landmarks is None or reference.landmarks is None:
        return np.full(j, np.nan, np.float32), np.full(j, np.nan, np.float32)
    moved = root_aligned(fit.landmarks.astype(np.float64)) - root_aligned(
        reference.landmarks.astype(np.float64))
    disp = 1000.0 * np.linalg.norm(moved, axis=1)
    idx = list(SENSITIVITY_INDICES)
    err = np.linalg.norm(camera.project(fit.landmarks[idx]) - reference_keypoints[idx, :2], axis=1)
    return disp.astype(np.float32), err.astype(np.float32)


def _reference(frame: Frame, camera: Camera, body, detector, config: OcclusionConfig
               ) -> tuple[Observation, FrameFit]:
    obs = detector.detect(frame)
    if not obs.person:
        raise StudioError(f"No person was found in frame {frame.index}; choose a frame where the "
                          "person is visible to see where the body comes from.")
    fit = fit_observation(obs, camera, body, config.fit)
    if fit.landmarks is None:
        raise StudioError(f"Too few keypoints were found in frame {frame.index} to fit the body; "
                          "choose a frame where more of the person is visible.")
    return obs, fit


def plain_pose_detector():
    """BlazePose in image mode with the pose alone (no face or hand cues, which the per-patch
    fit does not need and which would add their cost to every patch)."""
    from core.perception import PoseDetector

    try:
        return PoseDetector(mode="image", cues=None)
    except TypeError:  # a detector that has no face or hand cues to turn off
        return PoseDetector(mode="image")


def occlusion_sensitivity(frame: Frame, camera: Camera, body, config: OcclusionConfig | None = None,
                          detector=None, cancel: CancelToken = NEVER
                          ) -> Generator[object, None, OcclusionResult | None]:
    """Job generator: slide a grey patch over the person and fit the body for every position.

    frame: the image (H, W, 3) uint8 RGB. camera: its intrinsics (pixels). body: a
        core.body.BodyModel. detector: a core.perception.PoseDetector in image mode (None: a
        plain_pose_detector() made and closed here; a video-mode detector is refused, its
        tracking would make the patches depend on each other).
    yields: Progress ("occlusion", patches done, patches in all) and a PatchResult per patch.
    returns: the OcclusionResult (partial, ``complete`` False, when cancelled; None when
        cancelled before the unoccluded fit). raises: StudioError when nobody is found.
    """
    config = config or OcclusionConfig()
    if detector is not None and getattr(detector, "mode", "image") != "image":
        raise StudioError("Occlusion sensitivity needs a pose detector in image mode, so that "
                          "no patch depends on the previous one.")
    own = detector is None
    detector = plain_pose_detector() if own else detector
    t0 = time.perf_counter()
    try:
        yield Progress(STAGE, 0, 0, "Fitting the unoccluded frame")
        try:
            ref_obs, ref_fit = _reference(frame, camera, body, detector, config)
        except Cancelled:
            return None
        h, w = frame.image.shape[:2]
        box = ref_obs.bbox.astype(np.float32)
        area = analysis_area(box, w, h, config.enlarge)
        patch, stride = patch_size(box, config)
        xs = cell_centres(float(area[0]), float(area[2]), patch, stride)
        ys = cell_centres(float(area[1]), float(area[3]), patch, stride)
        rows, cols, nj = len(ys), len(xs), len(SENSITIVITY_JOINTS)
        result = OcclusionResult(
            index=int(frame.index), width=w, height=h, patch=patch, stride=stride,
            grey=int(config.grey), area=area, person_box=box, xs=xs, ys=ys,
            joints=SENSITIVITY_JOINTS, reference=ref_fit,
            reference_keypoints=ref_obs.keypoints2d.astype(np.float32),
            displacement=np.full((rows, cols, nj), np.nan, np.float32),
            error2d=np.full((rows, cols, nj), np.nan, np.float32),
            lost=np.zeros((rows, cols), bool), done=np.zeros((rows, cols), bool),
            keypoints=np.zeros((rows, cols, NUM_KEYPOINTS, 3), np.float32),
            region=cell_regions(ref_obs, xs, ys, patch))
        total = rows * cols
        yield Progress(STAGE, 0, total, f"{total} patches of {patch} px, stride {stride} px")
        for k in range(total):
            if cancel.cancelled:
                break
            r, c = divmod(k, cols)
            cell = patch_box(float(xs[c]), float(ys[r]), patch, w, h)
            occluded = Frame(frame.index, occlude(frame.image, cell, config.grey), frame.timestamp)
            try:
                obs = detector.detect(occluded)
                if cancel.cancelled:
                    break
                fit = fit_observation(obs, camera, body, config.fit)
            except Cancelled:
                break
            disp, err = compare(fit, ref_fit, result.reference_keypoints, camera)
            lost = fit.landmarks is None
            result.displacement[r, c], result.error2d[r, c] = disp, err
            result.lost[r, c], result.done[r, c] = lost, True
            result.keypoints[r, c] = obs.keypoints2d if obs.person else 0.0
            result.fits[(r, c)] = fit
            yield PatchResult(r, c, cell, lost, fit, result.keypoints[r, c].copy(), disp, err)
            moved = "person lost" if lost else f"body moved {float(np.mean(disp)):.0f} mm"
            yield Progress(STAGE, k + 1, total, f"patch {k + 1}/{total}: {moved}")
        result.seconds = time.perf_counter() - t0
        return result
    finally:
        if own:
            detector.close()
