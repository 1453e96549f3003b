"""How good a fit is: silhouette overlap with the person mask and 3D errors against known bodies."""
from __future__ import annotations

import numpy as np

from core.types import FrameFit, Observation

#: The silhouette is compared at most this many pixels on the longer side (speed).
IOU_MAX_SIDE = 512


def _faces_for(model: str) -> np.ndarray:
    from core.body import _cache, load_body_model

    for (name, *_), body in list(_cache.items()):
        if name == model:
            return body.faces
    return load_body_model(model).faces


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (H, W) bool masks (nan when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else float("nan")


def silhouette_iou(fit: FrameFit, observation: Observation, faces: np.ndarray | None = None,
                   max_side: int = IOU_MAX_SIDE) -> float:
    """IoU between the fitted body rendered through ``fit.camera`` and the person mask.

    faces: (F, 3) int of the fitted body model (None: looked up by ``fit.params.model``).
    Both silhouettes are compared at a resolution whose longer side is at most ``max_side``.
    nan when the fit has no vertices or the observation no mask.
    """
    from core.render.raster import render_mask

    if fit.vertices is None or observation.mask is None:
        return float("nan")
    if faces is None:
        faces = _faces_for(fit.params.model)
    cam = fit.camera
    scale = min(1.0, max_side / max(cam.width, cam.height))
    rendered = render_mask(fit.vertices, faces, cam, scale)
    mask = observation.mask.astype(np.float32)
    if rendered.shape != mask.shape:
        import cv2

        mask = cv2.resize(mask, (rendered.shape[1], rendered.shape[0]), interpolation=cv2.INTER_AREA)
    return mask_iou(rendered, mask >= 0.5)


def similarity(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(scale, R (3, 3), t (3,)) of the similarity transform x -> scale R x + t that maps the
    points ``source`` (N, 3) onto ``target`` (N, 3) best in least squares (Umeyama)."""
    p, q = np.asarray(source, np.float64), np.asarray(target, np.float64)
    mp, mq = p.mean(0), q.mean(0)
    a, b = p - mp, q - mq
    u, s, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    D = np.diag([1.0, 1.0, d])
    R = vt.T @ D @ u.T
    scale = float((s * np.diag(D)).sum() / max((a ** 2).sum(), 1e-12))
    return scale, R, mq - scale * R @ mp


def procrustes_align(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, 3) ``pred`` after the similarity transform (rotation, scale, translation) that best
    matches ``target`` (N, 3) in the least-squares sense (Umeyama, ``similarity``)."""
    scale, R, t = similarity(pred, target)
    return scale * np.asarray(pred, np.float64) @ R.T + t


def mpjpe(pred: np.ndarray, target: np.ndarray, root: np.ndarray | None = None) -> float:
    """Mean per-joint position error in the same units as the (N, 3) inputs, after moving both
    sets so their ``root`` (default: centroid) coincides."""
    p, t = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    rp = p.mean(0) if root is None else p[root].mean(0)
    rt = t.mean(0) if root is None else t[root].mean(0)
    return float(np.linalg.norm((p - rp) - (t - rt), axis=1).mean())


def pa_mpjpe(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean per-joint error after the best similarity transform (Procrustes-aligned MPJPE)."""
    return float(np.linalg.norm(procrustes_align(pred, target) - np.asarray(target), axis=1).mean())
