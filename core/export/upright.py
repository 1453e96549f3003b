"""Which way is up in the camera's frame, read off the fitted body.

A photo or a video says nothing directly about the camera's pitch and roll, and a phone held
above the chest looks down by 10-25 degrees (the calibrated studio cameras of
../shared/realdata look down by 18-25). Shown in the camera's own frame turned over (the plain
"upright" convention), a person who stands straight then leans toward the viewer in the 3D view
and in every export by the camera's pitch. A standing or walking person's legs, however, stand
on the floor: where the fitted body stands (both knees nearly straight, both shins and thighs
near the image's vertical, the two legs nearly parallel or scissored as in walking), the mean of
the two legs' directions (ankle to hip) is the world's up. ``scene_up`` reads it from one fit
(a photo) or as the robust mean over a clip's standing frames (one static camera: one up for the
whole clip, so the body does not wobble in the world), and falls back to a level camera when no
frame stands (sitting, lying, a crouch). ``upright_rotation`` turns the camera frame into the
world frame the viewer and the exports use: y up along that estimate, the camera's horizontal
viewing direction along -z, so a person who faced the camera faces +z, as glTF expects.

All points are in the OpenCV camera frame (x right, y down, z forward, metres).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: The up direction of a level camera, camera frame.
LEVEL_UP = np.array([0.0, -1.0, 0.0])
#: BlazePose indices: hips, knees, ankles (left, right).
HIPS, KNEES, ANKLES = (23, 24), (25, 26), (27, 28)


@dataclass(frozen=True)
class UpConfig:
    """When a fitted body counts as standing, and how far its legs may turn the world.

    max_knee_deg: bend at each knee (angle between thigh and shin) of a standing or walking
        leg (walking bends the knees by up to 60 degrees in swing; 35 keeps stance and most
        of the stride: on the pose2sim captures 20 -> 35 took the mean up error from 8.6 to 6.1
        degrees, a level camera being off by 18-33).
    max_leg_tilt_deg: each leg's angle to the image's vertical (a lying or sitting person's legs
        are far from it whatever the camera does).
    max_spread_deg: angle between the two legs (walking scissors them by 20-35 degrees).
    max_pitch_deg / max_roll_deg: the turn of the estimate away from a level camera is clamped
        to these (no hand-held or tripod camera looks down by more).
    """

    max_knee_deg: float = 35.0
    max_leg_tilt_deg: float = 45.0
    max_spread_deg: float = 40.0
    max_pitch_deg: float = 40.0
    max_roll_deg: float = 30.0


@dataclass(frozen=True)
class UpEstimate:
    """up: (3,) unit vector, camera frame. source: "legs" (read off standing frames) or
    "level" (no frame stood: a level camera assumed). frames: standing frames it used.
    pitch_deg: how far the camera looks down (positive) or up; roll_deg: its turn about its
    viewing axis (positive: the world's up leans toward the image's right)."""

    up: np.ndarray
    source: str
    frames: int

    @property
    def pitch_deg(self) -> float:
        return float(np.degrees(np.arcsin(np.clip(-self.up[2], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        return float(np.degrees(np.arctan2(self.up[0], -self.up[1])))


LEVEL = UpEstimate(LEVEL_UP.copy(), "level", 0)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(np.dot(_unit(a), _unit(b)), -1.0, 1.0))))


def standing_up(landmarks: np.ndarray | None, config: UpConfig = UpConfig()) -> np.ndarray | None:
    """(3,) the world's up as one fitted body's legs show it, or None when the body does not
    stand (see UpConfig). ``landmarks``: (33, 3) BlazePose points on the fitted body."""
    if landmarks is None:
        return None
    lm = np.asarray(landmarks, np.float64)
    if lm.shape != (33, 3) or not np.isfinite(lm[list(HIPS + KNEES + ANKLES)]).all():
        return None
    legs = []
    for hip, knee, ankle in zip(HIPS, KNEES, ANKLES):
        thigh, shin = lm[hip] - lm[knee], lm[knee] - lm[ankle]
        if _angle_deg(thigh, shin) > config.max_knee_deg:
            return None
        leg = _unit(lm[hip] - lm[ankle])
        if _angle_deg(leg, LEVEL_UP) > config.max_leg_tilt_deg:
            return None
        legs.append(leg)
    if _angle_deg(legs[0], legs[1]) > config.max_spread_deg:
        return None
    return _clamp(_unit(legs[0] + legs[1]), config)


def _clamp(up: np.ndarray, config: UpConfig) -> np.ndarray:
    """``up`` with its pitch and roll (see UpEstimate) clamped to the config's limits."""
    pitch = np.clip(np.arcsin(np.clip(-up[2], -1, 1)), -np.radians(config.max_pitch_deg),
                    np.radians(config.max_pitch_deg))
    roll = np.clip(np.arctan2(up[0], -up[1]), -np.radians(config.max_roll_deg),
                   np.radians(config.max_roll_deg))
    c = np.cos(pitch)
    return np.array([c * np.sin(roll), -c * np.cos(roll), -np.sin(pitch)])


def scene_up(landmarks: Iterable[np.ndarray | None], config: UpConfig = UpConfig()
             ) -> UpEstimate:
    """The world's up for one camera from the fitted bodies it saw (each (33, 3) or None): the
    robust mean of the standing frames' estimates (those within 15 degrees of their median
    direction), or a level camera when none stands."""
    ups = [u for u in (standing_up(lm, config) for lm in landmarks) if u is not None]
    if not ups:
        return LEVEL
    ups = np.stack(ups)
    mid = _unit(np.median(ups, axis=0))
    near = ups[np.degrees(np.arccos(np.clip(ups @ mid, -1, 1))) <= 15.0]
    up = _unit((near if len(near) else ups).mean(0))
    return UpEstimate(_clamp(up, config), "legs", len(ups))


def upright_rotation(up: np.ndarray | None = None) -> np.ndarray:
    """(3, 3) rotation camera frame -> upright world frame: y along ``up`` (camera frame; None
    or a level up gives diag(1, -1, -1), the plain turn about x), -z along the camera's
    horizontal viewing direction, x = y cross z."""
    y = LEVEL_UP if up is None else _unit(np.asarray(up, np.float64))
    forward = np.array([0.0, 0.0, 1.0]) - y[2] * y
    if np.linalg.norm(forward) < 1e-6:          # looking straight down: keep the image's up
        forward = np.array([0.0, -1.0, 0.0]) - y[1] * y
    z = -_unit(forward)
    x = np.cross(y, z)
    return np.stack([x, y, z])


def fits_up(fits, config: UpConfig = UpConfig()) -> np.ndarray | None:
    """The world's up (3,) for FrameFits of one camera (``scene_up`` over their fitted bodies),
    or None when no frame stands (a level camera): what the exports and the 3D view turn by."""
    est = scene_up((f.landmarks for f in fits if getattr(f, "params", None) is not None
                    and getattr(f, "landmarks", None) is not None), config)
    return None if est.source == "level" else est.up
