"""The ground a video's person stands on, and what it asks of the body: feet on it, upright.

A camera that films a video stays where it is (or moves slowly), so the floor is one plane in
the camera frame for the whole clip. It is estimated from the fitted frames themselves: the
trunk of a standing or walking person points up, which gives the plane's normal to within a few
degrees (the median over frames), and the lowest foot points of the frames whose lowest foot
is still (a foot in stance) lie on it, which fixes its height and refines its tilt. Once known,
``ground_loss`` holds every later frame's lowest foot point on the plane (a person walks on the
floor, not above or through it) and its trunk near the plane's normal (a hinge beyond a free
lean), so the depth of the feet and the camera's pitch stop wandering from frame to frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

#: BlazePose foot points (heels and foot indices) and the trunk's ends.
FEET = (29, 30, 31, 32)
HIPS = (23, 24)
SHOULDERS = (11, 12)


@dataclass
class Ground:
    """A floor plane in the camera frame: height(x) = normal . x - offset (metres, > 0 above).

    normal: (3,) unit vector pointing up (against gravity), camera frame. offset: metres.
    frames: how many frames it was estimated from. spread: RMS height of the contact points
    about the plane, metres (how flat the evidence was).
    """

    normal: np.ndarray
    offset: float
    frames: int
    spread: float

    def height(self, points: np.ndarray) -> np.ndarray:
        return np.asarray(points, np.float64) @ self.normal - self.offset


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def estimate_ground(landmarks: np.ndarray, min_frames: int = 12, max_tilt_deg: float = 20.0,
                    still_m: float = 0.01) -> Ground | None:
    """The floor under a fitted sequence, or None when the frames cannot tell (too few, or a
    person who is not upright: lying, doing a handstand).

    landmarks: (T, 33, 3) fitted BlazePose points, camera frame, metres (frames in order; nan
    rows are skipped). min_frames: fewest usable frames. max_tilt_deg: the plane's normal may
    turn from the trunks' median up direction by at most this. still_m: a lowest foot point
    that moves less than this between frames is in stance.
    """
    lm = np.asarray(landmarks, np.float64)
    ok = np.isfinite(lm[:, list(FEET + HIPS + SHOULDERS)]).all((1, 2))
    lm = lm[ok]
    if len(lm) < min_frames:
        return None
    trunk = lm[:, list(SHOULDERS)].mean(1) - lm[:, list(HIPS)].mean(1)
    trunk /= np.linalg.norm(trunk, axis=1, keepdims=True)
    up = _unit(np.median(trunk, 0))
    if np.median(trunk @ up) < np.cos(np.radians(30.0)):      # trunks disagree: not upright
        return None
    feet = lm[:, list(FEET)]                                  # (T, 4, 3)
    low = feet[np.arange(len(feet)), np.argmin(feet @ up, 1)]    # lowest foot point per frame
    speed = np.r_[np.inf, np.linalg.norm(np.diff(low, axis=0), axis=1)]
    still = np.minimum(speed, np.r_[speed[1:], np.inf]) < still_m
    pts = low[still] if still.sum() >= max(6, min_frames // 2) else low
    normal = up
    if len(pts) >= 6:
        centred = pts - pts.mean(0)
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)
        cand = vt[-1] * np.sign(vt[-1] @ up)
        flat = sv[-1] < 0.35 * sv[1]                          # the points span a floor patch
        if flat and np.degrees(np.arccos(np.clip(cand @ up, -1, 1))) <= max_tilt_deg:
            normal = _unit(cand)
    h = pts @ normal
    offset = float(np.median(h))
    spread = float(np.sqrt(np.mean((h - offset) ** 2)))
    return Ground(normal, offset, int(len(lm)), spread)


def ground_loss(landmarks: torch.Tensor, ground: Ground, contact: float, upright: float,
                free_lean_deg: float = 15.0, softness_m: float = 0.02) -> torch.Tensor:
    """(B,) the floor's terms for bodies (B, 33, 3) (camera frame, metres).

    contact: weight of the lowest foot point's height above (or below) the floor, in units of
    5 cm, squared; going through the floor costs four times as much. upright: weight of the
    trunk's angle to the floor's normal beyond ``free_lean_deg`` (radians, squared).
    softness_m: the lowest point is a softmax-weighted mean of the four foot points' heights at
        this scale (the lowest one when it is clear, their mean when they tie).
    """
    n = torch.as_tensor(ground.normal, dtype=landmarks.dtype, device=landmarks.device)
    h = landmarks[:, list(FEET)] @ n - ground.offset                  # (B, 4)
    low = (torch.softmax(-h / softness_m, -1) * h).sum(-1)       # ~ the lowest, unbiased at ties
    e = contact * ((low / 0.05) ** 2 + 3.0 * (torch.relu(-low) / 0.05) ** 2)
    trunk = landmarks[:, list(SHOULDERS)].mean(1) - landmarks[:, list(HIPS)].mean(1)
    cos = (trunk * n).sum(-1) / trunk.norm(dim=-1).clamp_min(1e-6)
    ang = torch.arccos(cos.clamp(-1 + 1e-6, 1 - 1e-6))
    return e + upright * torch.relu(ang - np.radians(free_lean_deg)) ** 2
