"""What the learned initializer and the temporal regressor train on: real and synthetic poses,
filmed as people are filmed, observed as BlazePose observes them.

- Poses: CMU motion capture retargeted onto Anny (scripts/retarget_mocap.py writes one .npz per
  clip under .cache/mocap/anny; ``load_mocap``) with their real orientation in a gravity world,
  plus the synthetic generator's variety (core.synthetic.poses), stood upright with a random yaw.
- Placement: the body stands on the ground (its lowest landmark a few centimetres above y = 0,
  the soles), and a camera is placed around it as phones and webcams are
  (core.synthetic.world_views); a share of views keeps the old free orientations
  (core.synthetic.views) so lying or upside-down bodies stay known.
- Observation: core.synthetic.observe with BlazePose's 2D habits and its 3D errors
  (``detector_noise``): flattened depth, bent knees, lean, tilt, limb depth flips, the
  mirror-image reading of people seen from behind, dropped joints, and samples without 3D.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .observe import NoiseConfig
from .views import Views, _rotvec, sample_views
from .world_views import WorldViewConfig, sample_world_cameras

#: Height of the soles below the lowest BlazePose landmark (heels, toes), metres.
SOLE_M = 0.03
#: Where retargeted clips are written by default.
MOCAP_DIR = Path(__file__).resolve().parents[2] / ".cache" / "mocap" / "anny"


@dataclass
class MocapClip:
    """One retargeted clip: body_pose (T, 22, 3) axis-angles (canonical axes), world_rot
    (T, 3, 3) canonical -> world (y down), root (T, 3) world metres (ground y = 0), fps,
    subject (CMU subject id or the clip name), source (path in ../shared/mocap)."""

    body_pose: np.ndarray
    world_rot: np.ndarray
    root: np.ndarray
    fps: float
    subject: str
    source: str


def subject_of(source: str) -> str:
    """Who performed a clip, for held-out splits: the CMU subject of a clip named by its take
    (e.g. '.../16_11.bvh' -> '16', '.../001/001_08.bvh' -> '1'), else the clip's folder (acLSTM's
    salsa, martial and indian clips come from a few performers each)."""
    m = re.search(r"(?:^|[/_\\-])(\d{1,3})_\d{1,3}", source)
    if m:
        return str(int(m.group(1)))
    parent = Path(source).parent.name
    return parent or source


def load_mocap(folder: str | Path = MOCAP_DIR, max_error_mm: float = 40.0,
               min_frames: int = 8) -> list[MocapClip]:
    """The retargeted clips in ``folder`` (core.priors.mocap_data) as runs of consecutive
    usable frames (valid and with a residual under ``max_error_mm``) at least ``min_frames``
    long; [] when there are none."""
    import roma

    from core.errors import StudioError
    from core.priors.mocap_data import load_motions

    try:
        motions = load_motions(folder, body="anny")
    except StudioError:
        return []
    clips = []
    for m in motions:
        m.valid = m.valid & (m.error_mm <= max_error_mm)
        rot = roma.rotvec_to_rotmat(torch.as_tensor(m.global_orient, dtype=torch.float64)).numpy()
        for seg in m.segments(min_frames):
            clips.append(MocapClip(m.body_pose[seg].astype(np.float32), rot[seg],
                                   m.transl[seg].astype(np.float64), m.fps,
                                   subject_of(m.source), m.source))
    return clips


def split_subjects(clips: list[MocapClip], holdout: float, rng: np.random.Generator
                   ) -> tuple[list[MocapClip], list[MocapClip]]:
    """(training clips, held-out clips), split by subject."""
    subjects = sorted({c.subject for c in clips})
    rng.shuffle(subjects)
    n = max(1, int(round(holdout * len(subjects)))) if len(subjects) > 1 else 0
    held = set(subjects[:n])
    return [c for c in clips if c.subject not in held], [c for c in clips if c.subject in held]


def upright_rotations(n: int, rng: np.random.Generator, tilt_std: float = 0.05) -> np.ndarray:
    """(n, 3, 3) canonical -> world rotations of bodies standing upright (y down) with a random
    heading and a small tilt."""
    import roma

    yaw = rng.uniform(-np.pi, np.pi, n)
    aa = np.zeros((n, 3))
    aa[:, 1] = yaw
    r = roma.rotvec_to_rotmat(torch.as_tensor(aa)).numpy()
    tilt = roma.rotvec_to_rotmat(torch.as_tensor(rng.normal(0, tilt_std, (n, 3)) *
                                                 np.array([1.0, 0.0, 1.0]))).numpy()
    return tilt @ r


def on_ground(landmarks: np.ndarray, world_rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(points (B, N, 3) world metres, roots (B, 3)) of root-relative canonical landmarks
    (B, N, 3) turned by ``world_rot`` (B, 3, 3) and lifted so the lowest point stands SOLE_M above
    the ground (y = 0, y down), root above the origin."""
    pts = np.einsum("bij,bnj->bni", world_rot, landmarks)
    root = np.zeros((len(pts), 3))
    root[:, 1] = -(pts[..., 1].max(1) + SOLE_M)
    return pts + root[:, None], root


def film_world(landmarks: np.ndarray, world_rot: np.ndarray, rng: np.random.Generator,
               free_fraction: float = 0.25, config: WorldViewConfig | None = None) -> Views:
    """Views of B bodies: most stand on the ground of their world and are seen by a realistic
    camera; ``free_fraction`` of them get the free views of core.synthetic.views instead.
    landmarks: (B, 33, 3) root-relative canonical landmarks; world_rot: (B, 3, 3)."""
    lm = np.asarray(landmarks, np.float64)
    b = len(lm)
    pts, root = on_ground(lm, world_rot)
    facing = world_rot @ np.array([0.0, 0.0, -1.0])
    rot_wc, pos, intr = sample_world_cameras(pts, facing, rng, config)
    rot = rot_wc @ world_rot
    transl = np.einsum("bij,bj->bi", rot_wc, root - pos)
    free = rng.random(b) < free_fraction
    if free.any():
        v = sample_views(lm[free], rng)
        rot[free], transl[free], intr[free] = v.rotation, v.transl, v.intrinsics
    return Views(rot, _rotvec(rot), transl, intr)


def detector_noise(rng: np.random.Generator, swap_prob: float = 0.02,
                   level: float = 1.0, confidence: str = "blazepose") -> NoiseConfig:
    """A random BlazePose-like detector for one training batch: 2D noise and dropouts, its
    confidences (NoiseConfig.confidence: the real detector's, high nearly everywhere), and its
    3D errors (depth flattened or stretched, bent knees, lean, tilt, limb depth flips, the
    mirror-image reading of people seen from behind, noisy hidden joints), each scaled by
    ``level``."""
    k = float(level)
    return NoiseConfig(noise_px=float(rng.uniform(0.5, 8.0)), dropout=float(rng.uniform(0.0, 0.12)),
                       swap_prob=swap_prob, landmark_noise_m=float(rng.uniform(0.01, 0.01 + 0.04 * k)),
                       depth_scale=(1.0 - 0.45 * k, 1.0 + 0.15 * k),
                       tilt_deg=float(rng.uniform(2.0, 2.0 + 8.0 * k)),
                       bend_m=(float(rng.uniform(0.0, 0.08 * k)), 0.04 * k),
                       lean_m=(float(rng.uniform(0.0, 0.04 * k)), 0.03 * k),
                       hidden_noise_m=float(rng.uniform(0.0, 0.08 * k)),
                       mirror_prob=float(rng.uniform(0.0, 0.08 * k)),
                       mirror_view_prob=float(rng.uniform(0.0, 0.12 * k)),
                       confidence=confidence)
