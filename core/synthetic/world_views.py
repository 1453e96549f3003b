"""Realistic cameras around a body that stands in a gravity-aligned world.

Real photos and videos are taken by phones and webcams held or set up at ordinary heights,
looking roughly level or a little down at a person who stands on the ground. ``core.synthetic
.views`` draws orientations freely around the body; this module instead places a camera in the
body's world (for motion capture retargeted onto the body: y down, ground at y = 0) and looks at
the person:
- height above the ground: hand-held phones (about eye level), webcams on a desk or a tripod,
  low shots, and high ones (a balcony, a camera on a stand or a wall, a sports hall); distance 1.5
  to 9 m (log-uniform);
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

    heights: tuple[tuple[float, float, float], ...] = ((0.5, 1.45, 0.2), (0.22, 1.0, 0.15),
                                                       (0.12, 0.6, 0.2), (0.1, 2.4, 0.4),
                                                       (0.06, 3.2, 0.5))
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


def _look_at(position: np.ndarray, target: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(B, 3, 3) world -> camera rotations (OpenCV axes) of cameras at positions (B, 3) looking
    at targets (B, 3), rolled by ``roll`` (B,) radians about their optical axis."""
    z = target - position
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    y = DOWN - (z @ DOWN)[:, None] * z
    y /= np.maximum(np.linalg.norm(y, axis=-1, keepdims=True), 1e-9)
    x = np.cross(y, z)
    r = np.stack([x, y, z], 1)                        # rows: camera axes in world coordinates
    return _rot_axis(np.array([0.0, 0.0, 1.0]), roll) @ r


def _rot_axis(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(B, 3, 3) rotations by angles (B,) about one unit axis (3,)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    a = np.asarray(angle, np.float64)[:, None, None]
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


def sample_world_cameras(points_world: np.ndarray, facing_world: np.ndarray,
                         rng: np.random.Generator, config: WorldViewConfig | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cameras that see B people (batched).

    points_world: (B, N, 3) each person's points (landmarks of one frame, or of every frame of
        a sequence), world metres, y down, ground at y = 0. facing_world: (B, 3) the way each
        body faces (world), for the front-biased azimuth.
    returns: rotation (B, 3, 3) world -> camera, position (B, 3) world metres, intrinsics (B, 6)
        fx, fy, cx, cy, width, height.
    """
    cfg = config or WorldViewConfig()
    pts = np.asarray(points_world, np.float64)
    b = pts.shape[0]
    centre = pts.mean(1)
    top, bottom = pts[..., 1].min(1), pts[..., 1].max(1)
    tall = np.maximum(bottom - top, 0.3)
    shares = np.array([h[0] for h in cfg.heights])
    pick = rng.choice(len(cfg.heights), size=b, p=shares / shares.sum())
    means = np.array([h[1] for h in cfg.heights])[pick]
    stds = np.array([h[2] for h in cfg.heights])[pick]
    height = np.clip(rng.normal(means, stds), 0.2, 4.0)
    face = np.asarray(facing_world, np.float64).reshape(b, 3).copy()
    face[:, 1] = 0.0
    base = np.arctan2(face[:, 0], face[:, 2])
    front = rng.random(b) < cfg.front_fraction
    az = base + np.where(front, rng.normal(0.0, cfg.front_std, b), rng.uniform(-np.pi, np.pi, b))
    dist = np.exp(rng.uniform(*np.log(cfg.distance_m), b))
    lens_p = np.array([ln[1] for ln in LENSES])
    lens = rng.choice(len(LENSES), size=b, p=lens_p / lens_p.sum())
    lo_fov = np.array([LENSES[i][2][0] for i in lens])
    hi_fov = np.array([LENSES[i][2][1] for i in lens])
    fov = np.radians(rng.uniform(lo_fov, hi_fov))
    size = np.asarray(SIZES, np.float64)[rng.integers(len(SIZES), size=b)]
    w, h = size[:, 0], size[:, 1]
    f = 0.5 * np.maximum(w, h) / np.tan(fov / 2)
    intr = np.stack([f, f, (w - 1) / 2, (h - 1) / 2, w, h], -1)
    aim_y = bottom - tall * rng.uniform(cfg.aim_low, cfg.aim_high, b)
    target = np.stack([centre[:, 0], aim_y, centre[:, 2]], -1)
    partial = rng.random(b) < cfg.partial_fraction
    fill = np.where(partial, 1.0 + cfg.outside_max, 0.94)
    roll = np.radians(rng.normal(0.0, cfg.roll_std_deg, b))
    jitter = _rot_axis(np.array([1.0, 0.0, 0.0]), np.radians(rng.normal(0, cfg.pitch_jitter_deg, b)))
    jitter = jitter @ _rot_axis(np.array([0.0, 1.0, 0.0]),
                                np.radians(rng.normal(0, cfg.yaw_jitter_deg, b)))
    todo = np.ones(b, bool)
    rot = np.zeros((b, 3, 3))
    pos = np.zeros((b, 3))
    for _ in range(8):   # back off until each person (every frame) fits its frame
        offset = np.stack([np.sin(az), np.zeros(b), np.cos(az)], -1) * dist[:, None]
        p = np.stack([centre[:, 0], -height, centre[:, 2]], -1) + offset
        r = jitter @ _look_at(p, target, roll)
        rot[todo], pos[todo] = r[todo], p[todo]
        cam = np.einsum("bij,bnj->bni", r, pts - p[:, None])
        z = cam[..., 2]
        near = (z < 0.3).any(1)
        uv = f[:, None, None] * cam[..., :2] / np.maximum(z, 0.3)[..., None] + intr[:, None, 2:4]
        margin = f * BODY_MARGIN_M / np.median(np.maximum(z, 0.3), 1)
        lo = uv.min(1) - margin[:, None]
        hi = uv.max(1) + margin[:, None]
        need = np.maximum((hi[:, 0] - lo[:, 0]) / (fill * w), (hi[:, 1] - lo[:, 1]) / (fill * h))
        inside = (lo[:, 0] >= -0.06 * w) & (lo[:, 1] >= -0.06 * h) & (hi[:, 0] <= 1.06 * w) & \
            (hi[:, 1] <= 1.06 * h)
        ok = ~near & (need <= 1.0) & (inside | partial)
        todo = todo & ~ok
        if not todo.any():
            break
        dist = np.where(todo, dist * np.maximum(np.where(near, 1.4, need), 1.15), dist)
    return rot, pos, intr


def sample_world_camera(points_world: np.ndarray, facing_world: np.ndarray,
                        rng: np.random.Generator, config: WorldViewConfig | None = None
                        ) -> WorldCamera:
    """One camera that sees a person (every frame of a sequence).

    points_world: (T, N, 3) the person's landmarks over a sequence (or (1, N, 3) for one
        frame), world metres, y down, ground at y = 0. facing_world: (3,) the way the body faces
        in the first frame (world), for the front-biased azimuth.
    """
    pts = np.asarray(points_world, np.float64).reshape(1, -1, 3)
    rot, pos, intr = sample_world_cameras(pts, np.asarray(facing_world)[None], rng, config)
    return WorldCamera(rot[0], pos[0], intr[0])


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
