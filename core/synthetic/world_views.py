"""Realistic cameras around a body that stands in a gravity-aligned world.

Real photos and videos are taken by phones and webcams held or set up at ordinary heights,
looking roughly level or a little down at a person who stands on the ground. ``core.synthetic
.views`` draws orientations freely around the body; this module instead places a camera in the
body's world (for motion capture retargeted onto the body: y down, ground at y = 0) and looks at
the person:
- height above the ground: hand-held phones (about eye level), webcams on a desk or a tripod,
  low and high shots; distance 1.5 to 9 m (log-uniform);
- lens: a phone's main camera (about 26 mm equivalent), its tele (about 52-77 mm), an
  ultra-wide (about 13 mm), webcams; portrait and landscape frames;
- direction around the person: any, with the front more likely (people face the camera);
- aim: a point between the knees and the head (so pitch follows the height), plus jitter, a
  small roll, and now and then a person partly out of the frame.
A camera stays put for a whole sequence (``WorldCamera`` then films every frame), so in videos
the ground stays put, as it does in real footage.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .views import BODY_MARGIN_M, Views, _rotvec

#: World "down" (gravity) of retargeted motion capture.
DOWN = np.array([0.0, 1.0, 0.0])

#: Lenses as (name, share, field of view along the longer image side in degrees (low, high)).
LENSES: tuple[tuple[str, float, tuple[float, float]], ...] = (
    ("phone_main", 0.50, (62.0, 72.0)),
    ("phone_tele", 0.12, (24.0, 42.0)),
    ("phone_ultrawide", 0.08, (95.0, 110.0)),
    ("webcam", 0.22, (55.0, 78.0)),
    ("camera_normal", 0.08, (35.0, 55.0)),
)
#: Frame sizes (width, height): phone portrait and landscape, webcams, photos.
SIZES: tuple[tuple[int, int], ...] = ((1080, 1920), (1920, 1080), (1280, 720), (720, 1280),
                                      (1440, 1080), (1080, 1440), (640, 480), (1024, 768),
                                      (768, 1024), (512, 512))


@dataclass
class WorldViewConfig:
    """Distribution of cameras around a body in the world.

    heights: (share, mean, std) mixture of camera heights above the ground, metres.
    distance_m: camera-to-person horizontal distance, log-uniform.
    front_fraction: share of cameras in front of the person (azimuth N(0, front_std) relative
        to the way the body faces); the rest anywhere around.
    aim_low, aim_high: the aim point's height as a fraction of the person's height.
    pitch_jitter_deg, yaw_jitter_deg, roll_std_deg: extra camera rotation, degrees.
    partial_fraction / outside_max: share of views that may cut the person, by up to this
        fraction of the box per side; the others keep the whole person in the frame.
    """

    heights: tuple[tuple[float, float, float], ...] = ((0.55, 1.45, 0.2), (0.25, 1.0, 0.15),
                                                       (0.12, 0.6, 0.2), (0.08, 2.4, 0.4))
    distance_m: tuple[float, float] = (1.5, 9.0)
    front_fraction: float = 0.5
    front_std: float = 0.6
    aim_low: float = 0.3
    aim_high: float = 0.75
    pitch_jitter_deg: float = 4.0
    yaw_jitter_deg: float = 6.0
    roll_std_deg: float = 3.0
    partial_fraction: float = 0.1
    outside_max: float = 0.12


@dataclass
class WorldCamera:
    """A camera in the body's world: rotation (3, 3) world -> camera (OpenCV axes), position
    (3,) world metres, intrinsics (6,) fx, fy, cx, cy, width, height."""

    rotation: np.ndarray
    position: np.ndarray
    intrinsics: np.ndarray

    def film(self, global_rotmat: np.ndarray, root: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rotation (T, 3, 3) canonical -> camera, transl (T, 3) root in the camera frame) of
        bodies with canonical -> world rotations (T, 3, 3) and world root positions (T, 3)."""
        rot = np.einsum("ij,tjk->tik", self.rotation, global_rotmat)
        transl = (np.asarray(root) - self.position) @ self.rotation.T
        return rot, transl


def _look_at(position: np.ndarray, target: np.ndarray, roll: float) -> np.ndarray:
    z = target - position
    z /= np.linalg.norm(z)
    y = DOWN - (DOWN @ z) * z
    y /= max(np.linalg.norm(y), 1e-9)
    x = np.cross(y, z)
    r = np.stack([x, y, z])                           # rows: camera axes in world coordinates
    c, s = np.cos(roll), np.sin(roll)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ r


def _rot_axis(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def sample_world_camera(points_world: np.ndarray, facing_world: np.ndarray,
                        rng: np.random.Generator, config: WorldViewConfig | None = None
                        ) -> WorldCamera:
    """One camera that sees a person.

    points_world: (T, N, 3) the person's landmarks over a sequence (or (1, N, 3) for one
        frame), world metres, y down, ground at y = 0. facing_world: (3,) the way the body faces
        in the first frame (world), for the front-biased azimuth.
    """
    cfg = config or WorldViewConfig()
    pts = np.asarray(points_world, np.float64).reshape(-1, 3)
    first = np.asarray(points_world, np.float64)[0]
    centre = first.mean(0)
    top, bottom = float(first[:, 1].min()), float(first[:, 1].max())
    tall = max(bottom - top, 0.3)
    shares = np.array([h[0] for h in cfg.heights])
    h = cfg.heights[rng.choice(len(cfg.heights), p=shares / shares.sum())]
    height = float(np.clip(rng.normal(h[1], h[2]), 0.2, 4.0))
    face = np.asarray(facing_world, np.float64) - (np.asarray(facing_world) @ DOWN) * DOWN
    base = np.arctan2(face[0], face[2]) if np.linalg.norm(face) > 1e-6 else 0.0
    az = base + (rng.normal(0.0, cfg.front_std) if rng.random() < cfg.front_fraction
                 else rng.uniform(-np.pi, np.pi))
    dist = float(np.exp(rng.uniform(*np.log(cfg.distance_m))))
    lens = LENSES[rng.choice(len(LENSES), p=np.array([ln[1] for ln in LENSES]) /
                             sum(ln[1] for ln in LENSES))]
    w, hh = SIZES[rng.integers(len(SIZES))]
    fov = np.radians(rng.uniform(*lens[2]))
    f = 0.5 * max(w, hh) / np.tan(fov / 2)
    intr = np.array([f, f, (w - 1) / 2, (hh - 1) / 2, w, hh], np.float64)
    aim_y = bottom - tall * rng.uniform(cfg.aim_low, cfg.aim_high)
    target = np.array([centre[0], aim_y, centre[2]])
    partial = rng.random() < cfg.partial_fraction
    fill = 1.0 + cfg.outside_max if partial else 0.94
    for _ in range(6):   # back off until the person (every frame) fits the frame
        offset = np.array([np.sin(az), 0.0, np.cos(az)]) * dist
        pos = np.array([centre[0], -height, centre[2]]) + offset
        rot = _look_at(pos, target, np.radians(rng.normal(0.0, cfg.roll_std_deg)))
        jitter = _rot_axis(np.array([1.0, 0.0, 0.0]), np.radians(rng.normal(0, cfg.pitch_jitter_deg)))
        jitter = jitter @ _rot_axis(np.array([0.0, 1.0, 0.0]),
                                    np.radians(rng.normal(0, cfg.yaw_jitter_deg)))
        rot = jitter @ rot
        cam = (pts - pos) @ rot.T
        if np.any(cam[:, 2] < 0.3):
            dist *= 1.4
            continue
        uv = f * cam[:, :2] / cam[:, 2:3] + intr[2:4]
        margin = f * BODY_MARGIN_M / np.median(cam[:, 2])
        lo, hi = uv.min(0) - margin, uv.max(0) + margin
        need = max((hi[0] - lo[0]) / (fill * w), (hi[1] - lo[1]) / (fill * hh))
        inside = lo[0] >= -0.06 * w and lo[1] >= -0.06 * hh and hi[0] <= 1.06 * w and \
            hi[1] <= 1.06 * hh
        if need <= 1.0 and (inside or partial):
            break
        dist *= max(need, 1.15)
    return WorldCamera(rot, pos, intr)


def views_from_world(cameras: list[WorldCamera], global_rotmat: np.ndarray,
                     root: np.ndarray) -> Views:
    """``Views`` (the training scripts' batch of views) of B bodies, each filmed by its own
    camera: global_rotmat (B, 3, 3) canonical -> world, root (B, 3) world metres."""
    rots, trs, intr = [], [], []
    for cam, r, t in zip(cameras, global_rotmat, root):
        ro, tr = cam.film(r[None], t[None])
        rots.append(ro[0])
        trs.append(tr[0])
        intr.append(cam.intrinsics)
    rot = np.stack(rots)
    return Views(rot, _rotvec(rot), np.stack(trs), np.stack(intr))
