"""Synthetic BlazePose-like observations of a posed body: what the detector would report.

Keypoints are the body's 33 landmarks projected by the camera, with pixel noise, confidences
that drop for points on the far side of the body (face in back views, the far arm and leg in
side views) and outside the image, random dropouts (confidence 0, position off), and optional
left/right swaps (the classic detector failure on back views). The 3D landmarks are given as
BlazePose gives them: origin at the hip midpoint, axes parallel to the camera, metres, noisy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.params import BodyParams
from core.types import BLAZEPOSE_FLIP, NUM_KEYPOINTS, Camera, Observation

_FLIP = np.asarray(BLAZEPOSE_FLIP)
#: Which landmarks belong to the face (0-10), the subject's left (odd >= 11) and right (even).
FACE = np.arange(11)
LEFT = np.arange(11, NUM_KEYPOINTS, 2)
RIGHT = np.arange(12, NUM_KEYPOINTS, 2)


@dataclass
class NoiseConfig:
    """Detector imperfections.

    noise_px: std of the Gaussian noise on visible keypoints, pixels (tripled on occluded ones).
    dropout: probability per keypoint of a miss (confidence 0, position 30 px off).
    swap_prob: probability per observation of swapping every left/right pair.
    landmark_noise_m: std of the noise on the 3D landmarks, metres (doubled along depth).

    BlazePose's own 3D errors (all off by default; the training scripts turn them on):
    depth_scale: (low, high) the landmarks' depth relative to the hips is scaled by a factor
        drawn in this range (the detector flattens or stretches depth).
    tilt_deg: std of a random rotation of the whole 3D skeleton, degrees.
    bend_m: (mean, std) of a shift of the knees towards the body's front (and a third of it on
        the feet), metres: the bent knees the detector reports on straight legs.
    lean_m: (mean, std) of a shift of the shoulders, arms and head towards the body's front.
    hidden_noise_m: extra noise on landmarks hidden from the camera, metres.
    mirror_prob: probability per limb (arm or leg) that its depth is reflected about its root
        joint (the limb reported in front of the body instead of behind it, or the reverse).
    mirror_view_prob: probability per observation of the detector's mirror-image reading: the
        whole 3D skeleton reflected in depth about the hips and every left/right label swapped
        (2D and 3D), as BlazePose reads people seen from behind as facing the camera.
    structured: std, as a fraction of the person's box (its longer side), of the real detector's
        correlated 2D errors (``_structured_2d_errors``): each joint's own offset carried down its
        limb (a displaced elbow takes the wrist and the hand with it), larger on the far side,
        one offset shared by the face points and one by the hips, and now and then a whole limb
        placed far off with a high confidence. Measured on pose2sim's Demo_MultiPerson against
        the triangulated other views: per-joint errors of 0.01-0.014 box in the median, 0.03-0.12
        at the 90th percentile (far wrists and hands worst), elbow and wrist errors correlated at
        0.5-0.9. 0 (the default): independent per-point noise alone (``noise_px``).
    gross_prob: probability per limb and observation of that far-off limb (with ``structured``).
    confidence: how confidences are drawn. "geometric": high for points the body's orientation
        shows, low (0.03-0.5) for hidden ones (the face in a back view, the far limbs in a side
        view). "blazepose": as the real detector reports them, which is nearly always high: on
        pose2sim's 392 real frames the face points never fell below 0.98, in back views too,
        and only 11 % of the body points below 0.8, mostly wrists, hands and feet. A network
        trained on "geometric" confidences learns to read the person's facing from them and
        turns real back views round (the lifter: 38 of 76 real frames flipped, 4 with
        "blazepose"); the training scripts use "blazepose".
    """

    noise_px: float = 3.0
    dropout: float = 0.05
    swap_prob: float = 0.0
    landmark_noise_m: float = 0.02
    depth_scale: tuple[float, float] = (1.0, 1.0)
    tilt_deg: float = 0.0
    bend_m: tuple[float, float] = (0.0, 0.0)
    lean_m: tuple[float, float] = (0.0, 0.0)
    hidden_noise_m: float = 0.0
    mirror_prob: float = 0.0
    mirror_view_prob: float = 0.0
    structured: float = 0.0
    gross_prob: float = 0.0
    confidence: str = "geometric"


def visibility(rotation: np.ndarray, transl: np.ndarray) -> np.ndarray:
    """(B, 33) float64 in [0, 1]: how visible each landmark is from the camera, from the body's
    orientation alone (1 seen, 0 hidden behind the body).

    rotation: (B, 3, 3) canonical -> camera; transl: (B, 3) root in the camera frame, metres.
    """
    view = transl / np.linalg.norm(transl, axis=-1, keepdims=True)      # camera -> body ray
    facing = np.einsum("bi,bi->b", -rotation[:, :, 2], -view)           # 1: faces the camera
    left_away = np.einsum("bi,bi->b", rotation[:, :, 0], view)          # 1: left side away
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    vis = np.ones((len(view), NUM_KEYPOINTS))
    vis[:, FACE] = sig(8.0 * (facing + 0.15))[:, None]
    vis[:, LEFT] = sig(8.0 * (0.45 - left_away))[:, None]
    vis[:, RIGHT] = sig(8.0 * (0.45 + left_away))[:, None]
    vis[:, 7] = sig(8.0 * (0.6 - left_away))   # an ear shows in profile and back views
    vis[:, 8] = sig(8.0 * (0.6 + left_away))
    return vis


def synthesize_keypoints(landmarks: np.ndarray, rotation: np.ndarray, transl: np.ndarray,
                         intrinsics: np.ndarray, rng: np.random.Generator,
                         noise: NoiseConfig | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched detector simulation.

    landmarks: (B, 33, 3) true landmarks in the camera frame, metres.
    rotation: (B, 3, 3) body orientation (canonical -> camera); transl: (B, 3) root, metres.
    intrinsics: (B, 6) fx, fy, cx, cy, width, height.
    Returns (keypoints2d (B, 33, 3) float32 px + confidence, landmarks3d (B, 33, 3) float32
    hip-centred camera-parallel metres, swapped (B,) bool).
    """
    cfg = noise or NoiseConfig()
    lm = np.asarray(landmarks, np.float64)
    b = lm.shape[0]
    fx, fy, cx, cy, w, h = (intrinsics[:, i:i + 1] for i in range(6))
    z = np.clip(lm[..., 2], 1e-3, None)
    uv = np.stack([fx * lm[..., 0] / z + cx, fy * lm[..., 1] / z + cy], -1)
    vis = visibility(rotation, transl)
    conf = _confidences(vis, rng, cfg.confidence)
    inside = (uv[..., 0] >= 0) & (uv[..., 0] <= w - 1) & (uv[..., 1] >= 0) & (uv[..., 1] <= h - 1)
    conf = np.where(inside, conf, conf * 0.15)
    sigma = cfg.noise_px * (1.0 + 2.0 * (1.0 - vis))
    uv = uv + rng.standard_normal(uv.shape) * sigma[..., None]
    if cfg.structured > 0:
        uv = uv + _structured_2d_errors(uv, vis, rng, cfg.structured, cfg.gross_prob)
    drop = rng.random((b, NUM_KEYPOINTS)) < cfg.dropout
    uv = uv + np.where(drop[..., None], rng.normal(0.0, 30.0, uv.shape), 0.0)
    conf = np.where(drop, 0.0, conf)

    hip = (lm[:, 23] + lm[:, 24]) / 2
    rel = lm - hip[:, None]
    rel = rel + rng.standard_normal(rel.shape) * cfg.landmark_noise_m * np.array([1.0, 1.0, 2.0])
    rel = _detector_3d_errors(rel, rotation, vis, rng, cfg)

    kp = np.concatenate([uv, conf[..., None]], -1)
    if cfg.mirror_view_prob > 0:
        mirror = rng.random(b) < cfg.mirror_view_prob
        rel[mirror, :, 2] *= -1.0
        kp[mirror] = kp[mirror][:, _FLIP]
        rel[mirror] = rel[mirror][:, _FLIP]
    swapped = rng.random(b) < cfg.swap_prob
    kp[swapped] = kp[swapped][:, _FLIP]
    rel[swapped] = rel[swapped][:, _FLIP]
    return kp.astype(np.float32), rel.astype(np.float32), swapped


#: The limbs' chains for the correlated 2D errors: (root, middle, end, the end's points).
_CHAINS = ((11, 13, 15, (17, 19, 21)), (12, 14, 16, (18, 20, 22)),
           (23, 25, 27, (29, 31)), (24, 26, 28, (30, 32)))


def _structured_2d_errors(uv: np.ndarray, vis: np.ndarray, rng: np.random.Generator,
                          level: float, gross_prob: float) -> np.ndarray:
    """(B, 33, 2) pixel offsets of a real detector's correlated errors (NoiseConfig.structured)
    for keypoints ``uv`` (B, 33, 2) px of visibility ``vis`` (B, 33)."""
    b = uv.shape[0]
    box = np.ptp(uv, axis=1).max(-1)                                       # (B,) px
    sigma = level * box[:, None] * rng.uniform(0.4, 1.6, (b, 1)) * (1.0 + 1.5 * (1.0 - vis))
    own = rng.standard_normal(uv.shape) * sigma[..., None]
    out = np.zeros_like(uv)
    out[:, FACE] = own[:, :1] + 0.3 * own[:, FACE]                          # the head as one
    pelvis = 0.8 * own[:, 23]
    for root, mid, end, tips in _CHAINS:
        base = pelvis + 0.5 * own[:, root] if root >= 23 else own[:, root]
        out[:, root] = base
        out[:, mid] = 0.5 * base + own[:, mid]
        out[:, end] = 0.8 * out[:, mid] + own[:, end]
        out[:, list(tips)] = out[:, end, None] + 0.5 * own[:, list(tips)]
        if gross_prob > 0:
            far = rng.random(b) < gross_prob
            ang = rng.uniform(0, 2 * np.pi, b)
            g = (rng.uniform(0.05, 0.25, b) * box * far)[:, None] * \
                np.stack([np.cos(ang), np.sin(ang)], -1)
            out[:, mid] += 0.5 * g
            out[:, [end, *tips]] += g[:, None]
    return out


def _confidences(vis: np.ndarray, rng: np.random.Generator, mode: str) -> np.ndarray:
    """(B, 33) detector confidences of landmarks with visibility ``vis`` (B, 33) in [0, 1]
    (NoiseConfig.confidence)."""
    shape = vis.shape
    if mode == "geometric":
        return vis * rng.uniform(0.8, 1.0, shape) + (1 - vis) * rng.uniform(0.03, 0.5, shape)
    if mode != "blazepose":
        raise ValueError(f"unknown confidence mode {mode!r}")
    conf = rng.uniform(0.85, 1.0, shape)
    doubt = rng.random(shape) < 0.35 * (1.0 - vis) + 0.03
    conf = np.where(doubt, rng.uniform(0.1, 0.85, shape), conf)
    conf[:, FACE] = rng.uniform(0.98, 1.0, (shape[0], len(FACE)))
    return conf


#: Landmarks moved by the knee-bend error (knees; feet by a third) and by the lean (upper body).
_KNEES = np.array([25, 26])
_FEET = np.arange(27, 33)
_UPPER = np.arange(23)
#: Left and right limb landmarks, root joint first (arm: shoulder .. thumb; leg: hip .. foot).
_ARM_L, _ARM_R = np.arange(11, 23, 2), np.arange(12, 23, 2)
_LEG_L, _LEG_R = np.arange(23, 33, 2), np.arange(24, 33, 2)


def _detector_3d_errors(rel: np.ndarray, rotation: np.ndarray, vis: np.ndarray,
                        rng: np.random.Generator, cfg: NoiseConfig) -> np.ndarray:
    """BlazePose-like systematic errors of hip-centred 3D landmarks (B, 33, 3) (camera axes)."""
    b = rel.shape[0]
    rel = rel.copy()
    fwd = -rotation[:, :, 2]                                     # the body's front, camera axes
    if cfg.bend_m != (0.0, 0.0):
        bend = rng.normal(*cfg.bend_m, b)[:, None, None] * fwd[:, None]
        rel[:, _KNEES] += bend
        rel[:, _FEET] += bend / 3.0
    if cfg.lean_m != (0.0, 0.0):
        rel[:, _UPPER] += rng.normal(*cfg.lean_m, b)[:, None, None] * fwd[:, None]
    if cfg.mirror_prob > 0:
        for limb in (_ARM_L, _ARM_R, _LEG_L, _LEG_R):
            pick = np.flatnonzero(rng.random(b) < cfg.mirror_prob)
            root = rel[pick, limb[0], 2][:, None]
            rel[pick[:, None], limb[None, 1:], 2] = 2 * root - rel[pick[:, None], limb[None, 1:], 2]
    if cfg.hidden_noise_m > 0:
        rel += rng.standard_normal(rel.shape) * cfg.hidden_noise_m * (1.0 - vis)[..., None]
    if cfg.depth_scale != (1.0, 1.0):
        rel[..., 2] *= rng.uniform(*cfg.depth_scale, b)[:, None]
    if cfg.tilt_deg > 0:
        import roma

        aa = np.radians(cfg.tilt_deg) * rng.standard_normal((b, 3))
        r = roma.rotvec_to_rotmat(torch.as_tensor(aa)).numpy()
        rel = np.einsum("bij,bkj->bki", r, rel)
    return rel


@dataclass
class SyntheticTruth:
    """What a synthetic observation was made from.

    params: the body's BodyParams (camera frame). camera: the Camera.
    vertices: (V, 3) float32 mesh, camera frame, metres. joints: (J, 3) float32 model joints.
    landmarks: (33, 3) float32 exact BlazePose points on the body, camera frame, metres.
    swapped: True when the keypoints' left and right were swapped on purpose.
    """

    params: BodyParams
    camera: Camera
    vertices: np.ndarray
    joints: np.ndarray
    landmarks: np.ndarray
    swapped: bool = False


def render_silhouette(vertices: np.ndarray, faces: np.ndarray, camera: Camera) -> np.ndarray:
    """(H, W) float32 {0, 1} silhouette of a mesh (vertices (V, 3) camera frame, metres)."""
    try:
        from core.render.raster import render_mask
    except ImportError:  # the renderer is optional here: splat the faces' centres instead
        return _splat_silhouette(vertices, faces, camera)
    return render_mask(vertices, faces, camera).astype(np.float32)


def _splat_silhouette(vertices: np.ndarray, faces: np.ndarray, camera: Camera) -> np.ndarray:
    import cv2

    pts = camera.project(np.concatenate([vertices, vertices[faces].mean(1)]))
    m = np.zeros((camera.height, camera.width), np.uint8)
    ij = np.round(pts).astype(np.int64)
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < camera.width) & (ij[:, 1] >= 0) & (ij[:, 1] < camera.height)
    m[ij[ok, 1], ij[ok, 0]] = 1
    k = max(3, int(round(camera.width / 150)) | 1)
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return m.astype(np.float32)


def synthesize_observation(body, params: BodyParams, camera: Camera, rng: np.random.Generator,
                           noise_px: float = 3.0, dropout: float = 0.05, swap_prob: float = 0.0,
                           landmark_noise_m: float = 0.02, *, index: int = 0,
                           with_mask: bool = True) -> tuple[Observation, SyntheticTruth]:
    """What BlazePose would report for ``body`` posed by ``params`` and seen by ``camera``.

    Returns an Observation (keypoints2d in pixels with BlazePose-like confidences,
    landmarks3d hip-centred in metres, the rendered silhouette as mask unless ``with_mask`` is
    False, bbox around both) and the SyntheticTruth it came from.
    """
    import roma

    from core.perception.blazepose import person_bbox

    with torch.no_grad():
        out = body(**body.tensors(params))
    verts = out.vertices[0].cpu().numpy()
    lm = out.landmarks[0].cpu().numpy()
    R = roma.rotvec_to_rotmat(torch.as_tensor(params.global_orient[None], dtype=torch.float64)).numpy()
    intr = np.array([[camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height]])
    kp, lm3d, swapped = synthesize_keypoints(
        lm[None], R, params.transl[None].astype(np.float64), intr, rng,
        NoiseConfig(noise_px, dropout, swap_prob, landmark_noise_m))
    mask = render_silhouette(verts, body.faces, camera) if with_mask else None
    obs = Observation(index=index, width=camera.width, height=camera.height, person=True,
                      keypoints2d=kp[0], landmarks3d=lm3d[0], mask=mask,
                      bbox=person_bbox(kp[0], mask, camera.width, camera.height))
    truth = SyntheticTruth(params.copy(), camera, verts, out.joints[0].cpu().numpy(), lm,
                           bool(swapped[0]))
    return obs, truth
