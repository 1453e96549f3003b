"""Random cameras and body placements: who stands where, turned which way, seen by what lens."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.params import BodyParams
from core.types import Camera


@dataclass
class ViewConfig:
    """Distribution of views.

    image_sizes: (width, height) pixel sizes drawn uniformly (portrait, landscape, square).
    fov_degrees: field of view along the longer image side, drawn uniformly in this range.
    distance_m: depth of the pelvis in metres, uniform; raised where needed to fit the person.
    front_fraction: share of views whose yaw is drawn around the front (N(0, front_yaw_std));
        the rest draw the yaw uniformly on the full circle (side and back views included).
    pitch_std / roll_std: radians of camera tilt (looking down/up) and roll, Gaussian.
    outside_max: largest fraction of the person's box allowed outside the image, per side.
    partial_fraction: share of views allowed to cut the person up to ``outside_max``;
        the others keep the whole person (with a 3 % margin) inside the frame.
    """

    image_sizes: tuple[tuple[int, int], ...] = ((1280, 720), (720, 1280), (1080, 1920),
                                                (1920, 1080), (512, 512), (1024, 768),
                                                (768, 1024))
    fov_degrees: tuple[float, float] = (40.0, 75.0)
    distance_m: tuple[float, float] = (2.0, 6.0)
    front_fraction: float = 0.4
    front_yaw_std: float = 0.5
    pitch_std: float = 0.12
    roll_std: float = 0.05
    outside_max: float = 0.12
    partial_fraction: float = 0.1


#: Margin in metres added around the 33 landmarks to reach the silhouette (head top, soles).
BODY_MARGIN_M = 0.12


def _rot_x(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1), np.stack([z, s, c], -1)], -2)


def _rot_y(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1), np.stack([-s, z, c], -1)], -2)


def _rot_z(a):
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


@dataclass
class Views:
    """A batch of sampled views (numpy, float64).

    rotation: (B, 3, 3) canonical -> camera rotation (R of global_orient).
    global_orient: (B, 3) the same as axis-angles, radians.
    transl: (B, 3) pelvis (root) position in the camera frame, metres.
    intrinsics: (B, 6) fx, fy, cx, cy (pixels), width, height of each camera.
    """

    rotation: np.ndarray
    global_orient: np.ndarray
    transl: np.ndarray
    intrinsics: np.ndarray

    def camera(self, i: int) -> Camera:
        fx, fy, cx, cy, w, h = self.intrinsics[i]
        return Camera(float(fx), float(fy), float(cx), float(cy), int(w), int(h))


def sample_views(landmarks_canonical: np.ndarray, rng: np.random.Generator,
                 config: ViewConfig | None = None) -> Views:
    """Random orientation, placement and camera for each body of a batch.

    landmarks_canonical: (B, 33, 3) body landmarks in the canonical frame relative to the root
        (global_orient 0, transl 0), metres; used to keep the person in the frame.
    """
    cfg = config or ViewConfig()
    lm = np.asarray(landmarks_canonical, np.float64)
    b = lm.shape[0]
    front = rng.random(b) < cfg.front_fraction
    yaw = np.where(front, rng.normal(0.0, cfg.front_yaw_std, b), rng.uniform(-np.pi, np.pi, b))
    pitch = rng.normal(0.0, cfg.pitch_std, b)
    roll = rng.normal(0.0, cfg.roll_std, b)
    R = _rot_x(pitch) @ _rot_z(roll) @ _rot_y(yaw)
    sizes = np.asarray(cfg.image_sizes, np.float64)[rng.integers(len(cfg.image_sizes), size=b)]
    w, h = sizes[:, 0], sizes[:, 1]
    fov = np.radians(rng.uniform(*cfg.fov_degrees, b))
    f = 0.5 * np.maximum(w, h) / np.tan(fov / 2)
    cx, cy = (w - 1) / 2, (h - 1) / 2

    p = np.einsum("bij,bkj->bki", R, lm)                       # rotated, root-relative
    lo = p[..., :2].min(1) - BODY_MARGIN_M
    hi = p[..., :2].max(1) + BODY_MARGIN_M
    ext = hi - lo                                              # (B, 2) metres
    partial = rng.random(b) < cfg.partial_fraction
    fill = np.where(partial, 1.0 + cfg.outside_max, 0.94)
    z_fit = np.maximum(f * ext[:, 0] / (fill * w), f * ext[:, 1] / (fill * h))
    z = np.maximum(rng.uniform(*cfg.distance_m, b), z_fit)
    # box size in pixels at that depth, then a random box centre keeping it (mostly) inside
    bw, bh = f * ext[:, 0] / z, f * ext[:, 1] / z
    slack_x = np.where(partial, cfg.outside_max * bw, 0.0)
    slack_y = np.where(partial, cfg.outside_max * bh, 0.0)
    ux = rng.uniform(np.minimum(bw / 2 - slack_x, w / 2), np.maximum(w - bw / 2 + slack_x, w / 2))
    uy = rng.uniform(np.minimum(bh / 2 - slack_y, h / 2), np.maximum(h - bh / 2 + slack_y, h / 2))
    centre = (lo + hi) / 2                                     # box centre offset from the root
    tx = (ux - cx) / f * z - centre[:, 0]
    ty = (uy - cy) / f * z - centre[:, 1]
    transl = np.stack([tx, ty, z], -1)
    # the placement above treats the body as flat; correct it with the true perspective
    limit_lo = -np.stack([slack_x, slack_y], -1)
    limit_hi = np.stack([w - 1 + slack_x, h - 1 + slack_y], -1)
    for _ in range(4):
        q = p + transl[:, None]
        px = f[:, None, None] * q[..., :2] / np.clip(q[..., 2:], 0.1, None) \
            + np.stack([cx, cy], -1)[:, None]
        margin = (f * BODY_MARGIN_M / transl[:, 2])[:, None]
        lo_px, hi_px = px.min(1) - margin, px.max(1) + margin
        grow = np.max((hi_px - lo_px) / (limit_hi - limit_lo), -1)
        transl = np.where((grow > 1)[:, None], transl * (1.02 * grow)[:, None], transl)
        shift = np.maximum(limit_lo - lo_px, 0) - np.maximum(hi_px - limit_hi, 0)
        transl[:, :2] += np.where((grow > 1)[:, None], 0.0, shift * transl[:, 2:] / f[:, None])
    go = _rotvec(R)
    intr = np.stack([f, f, cx, cy, w, h], -1)
    return Views(R, go, transl, intr)


def _rotvec(R: np.ndarray) -> np.ndarray:
    import roma

    return roma.rotmat_to_rotvec(torch.as_tensor(R)).numpy()


def sample_camera_and_pose(body, body_pose: np.ndarray, shape: np.ndarray,
                           rng: np.random.Generator,
                           config: ViewConfig | None = None) -> tuple[Camera, BodyParams]:
    """A random camera and placement for one posed body.

    body: the BodyModel; body_pose: (P, 3) axis-angles; shape: (S,) phenotypes.
    Returns the Camera and BodyParams (global_orient and transl filled in, camera frame).
    """
    with torch.no_grad():
        t = lambda a: torch.as_tensor(np.asarray(a, np.float32)[None], device=body.device)  # noqa: E731
        z = torch.zeros(1, 3, device=body.device)
        lm = body(z, t(body_pose), t(shape), z,
                  vertex_ids=torch.zeros(0, dtype=torch.long, device=body.device)).landmarks
    v = sample_views(lm.cpu().numpy(), rng, config)
    params = BodyParams(body.name, v.global_orient[0], body_pose, shape, v.transl[0])
    return v.camera(0), params

