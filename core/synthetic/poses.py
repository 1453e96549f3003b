"""Plausible random body poses for AnnyBody, drawn from a mixture of everyday modes.

Poses are written in each joint's *limit coordinates* (core.body.anny_limits: flexion / twist /
side axes per joint, right side mirrored), where "bend the left knee by 1.2 rad" is one number.
A mode (standing, walking, arms raised, crossed arms, sitting, squatting, one leg raised, free)
draws correlated values for the whole body; Gaussian jitter whose size grows with ``difficulty``
is added; the result is clamped inside the joint limits and turned into axis-angles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from core.body.anny_body import POSE_JOINTS
from core.body.anny_limits import from_limit_coords, limit_arrays

P = len(POSE_JOINTS)
_IDX = {n: i for i, n in enumerate(POSE_JOINTS)}
SPINE = ("spine05", "spine04", "spine03", "spine02", "spine01")
NECK = ("neck01", "neck02", "head")

#: The modes of the mixture, in the order of PoseSamplerConfig.weights.
MODES: tuple[str, ...] = ("stand", "walk", "arms_raised", "crossed_arms", "sit", "squat",
                          "leg_raised", "free")


@dataclass
class PoseSamplerConfig:
    """How often each mode is drawn and how much jitter is added.

    weights_easy / weights_hard: relative frequency of each mode of MODES at difficulty 0 / 1
        (linearly blended in between).
    jitter_easy / jitter_hard: standard deviation (radians, per limit coordinate) of the
        Gaussian jitter added to every joint at difficulty 0 / 1.
    """

    weights_easy: tuple[float, ...] = (0.40, 0.35, 0.10, 0.05, 0.05, 0.0, 0.05, 0.0)
    weights_hard: tuple[float, ...] = (0.15, 0.20, 0.15, 0.10, 0.12, 0.08, 0.10, 0.10)
    jitter_easy: float = 0.04
    jitter_hard: float = 0.15


def _set(c: np.ndarray, joint: str, values, side: str | None = None) -> None:
    """Write (n, 3) or (3,) limit coordinates of a joint (both sides when side is None and the
    joint name has no suffix but exists as .L/.R)."""
    if joint in _IDX:
        c[:, _IDX[joint]] = values
        return
    for s in ((side,) if side else ("L", "R")):
        c[:, _IDX[f"{joint}.{s}"]] = values


def _col(*cols) -> np.ndarray:
    return np.stack(np.broadcast_arrays(*cols), -1)


def _arms_down(c, rng, n, side):
    """Arms hanging near the body, elbows slightly bent."""
    _set(c, "upperarm01", _col(rng.normal(0.0, 0.2, n), rng.normal(0, 0.2, n),
                                 rng.uniform(0.3, 0.75, n)), side)
    _set(c, "lowerarm01", _col(rng.uniform(-0.7, 0.3, n), rng.normal(0, 0.3, n), 0.0), side)


def _mode(name: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, P, 3) limit coordinates of ``n`` poses of one mode (before jitter)."""
    c = np.zeros((n, P, 3))
    u = lambda a, b: rng.uniform(a, b, n)  # noqa: E731
    if name == "stand":
        for s in "LR":
            _arms_down(c, rng, n, s)
        _set(c, "upperleg01", _col(u(-0.15, 0.1), u(-0.2, 0.2), u(-0.25, 0.1)))
        _set(c, "lowerleg01", _col(u(0.0, 0.2), 0.0, 0.0))
    elif name == "walk":
        phase, amp = u(0, 2 * np.pi), u(0.15, 0.6)
        for s, sgn in (("L", 1.0), ("R", -1.0)):
            swing = sgn * amp * np.sin(phase)
            knee = 0.15 + 0.9 * amp * np.clip(np.sin(phase + sgn * np.pi / 2), 0, None)
            _set(c, "upperleg01", _col(-swing, 0.0, u(-0.1, 0.05)), s)
            _set(c, "lowerleg01", _col(knee, 0.0, 0.0), s)
            _set(c, "upperarm01", _col(0.8 * swing, u(-0.1, 0.1), u(0.35, 0.7)), s)
            _set(c, "lowerarm01", _col(u(-0.5, 0.6), 0.0, 0.0), s)
        _set(c, "spine03", _col(u(0.0, 0.1), 0.1 * amp * np.sin(phase), 0.0))
    elif name == "arms_raised":
        sym = rng.random(n) < 0.6
        z_l, z_r = u(-2.4, -0.5), u(-2.4, -0.5)
        z_r = np.where(sym, z_l + rng.normal(0, 0.1, n), z_r)
        for s, z in (("L", z_l), ("R", z_r)):
            _set(c, "upperarm01", _col(u(-1.0, 0.3), u(-0.5, 0.5), z), s)
            _set(c, "lowerarm01", _col(u(-0.75, 1.4), u(-0.6, 0.6), 0.0), s)
            _set(c, "clavicle", _col(0.0, 0.0, np.clip(0.25 * (z + 0.5), -0.45, 0.0)), s)
        _set(c, "upperleg01", _col(u(-0.2, 0.1), 0.0, u(-0.3, 0.1)))
    elif name == "crossed_arms":
        for s in "LR":
            _set(c, "upperarm01", _col(u(-0.9, -0.4), u(0.4, 0.9), u(0.4, 0.8)), s)
            _set(c, "lowerarm01", _col(u(1.3, 1.8), u(-0.4, 0.4), 0.0), s)
    elif name == "sit":
        for s in "LR":
            _set(c, "upperleg01", _col(u(-1.75, -1.2), u(-0.3, 0.3), u(-0.4, 0.05)), s)
            _set(c, "lowerleg01", _col(u(1.0, 1.9), 0.0, 0.0), s)
            _set(c, "upperarm01", _col(u(-0.8, 0.1), u(-0.2, 0.4), u(0.2, 0.7)), s)
            _set(c, "lowerarm01", _col(u(0.2, 1.3), u(-0.3, 0.3), 0.0), s)
        for j in SPINE:
            _set(c, j, _col(u(0.0, 0.12), 0.0, 0.0))
    elif name == "squat":
        depth = u(0.3, 1.0)
        for s in "LR":
            _set(c, "upperleg01", _col(-0.4 - 1.5 * depth, u(-0.3, 0.3), u(-0.5, 0.0)), s)
            _set(c, "lowerleg01", _col(0.4 + 1.9 * depth, 0.0, 0.0), s)
            _set(c, "foot", _col(-0.4 * depth, 0.0, 0.0), s)
            _set(c, "upperarm01", _col(u(-1.6, 0.0), u(-0.2, 0.4), u(-0.6, 0.6)), s)
            _set(c, "lowerarm01", _col(u(-0.6, 1.2), 0.0, 0.0), s)
        for j in SPINE:
            _set(c, j, _col(0.15 * depth + u(0.0, 0.1), 0.0, 0.0))
    elif name == "leg_raised":
        lift = rng.random(n) < 0.5
        for s, up in (("L", lift), ("R", ~lift)):
            hip = np.where(up, u(-1.8, -0.3), u(-0.1, 0.15))
            knee = np.where(up, u(0.0, 2.0), u(0.0, 0.2))
            _set(c, "upperleg01", _col(hip, u(-0.3, 0.3), np.where(up, u(-0.6, 0.2), 0.0)), s)
            _set(c, "lowerleg01", _col(knee, 0.0, 0.0), s)
            _set(c, "upperarm01", _col(u(-0.8, 0.3), u(-0.3, 0.3), u(-1.2, 0.6)), s)
            _set(c, "lowerarm01", _col(u(-0.7, 1.2), 0.0, 0.0), s)
    elif name == "free":
        _, low, high = limit_arrays()
        mid, half = (low + high) / 2, (high - low) / 2
        c[:] = mid + half * rng.uniform(-0.7, 0.7, (n, P, 3))
    else:  # pragma: no cover - guarded by MODES
        raise ValueError(f"unknown pose mode {name!r}")
    if name != "free":
        for j in NECK:
            _set(c, j, _col(u(-0.15, 0.2), u(-0.3, 0.3), u(-0.1, 0.1)))
    return c


def sample_pose_coords(n: int, rng: np.random.Generator, *, difficulty: float = 0.5,
                       config: PoseSamplerConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(coords (n, P, 3) float64 limit coordinates inside the limits, modes (n,) int index
    into MODES) of ``n`` random poses."""
    cfg = config or PoseSamplerConfig()
    d = float(np.clip(difficulty, 0.0, 1.0))
    w = (1 - d) * np.asarray(cfg.weights_easy) + d * np.asarray(cfg.weights_hard)
    modes = rng.choice(len(MODES), size=n, p=w / w.sum())
    coords = np.zeros((n, P, 3))
    for m in np.unique(modes):
        sel = np.flatnonzero(modes == m)
        coords[sel] = _mode(MODES[m], rng, len(sel))
    jitter = (1 - d) * cfg.jitter_easy + d * cfg.jitter_hard
    coords += rng.normal(0.0, jitter, coords.shape)
    _, low, high = limit_arrays()
    return np.clip(coords, low, high), modes


def sample_poses(body, n: int, rng: np.random.Generator, *, difficulty: float = 0.5,
                 config: PoseSamplerConfig | None = None) -> np.ndarray:
    """(n, P, 3) float32 plausible random body poses (axis-angles, canonical axes, radians)
    for ``body`` (an AnnyBody; P = body.num_pose_joints), all within the joint limits.

    difficulty in [0, 1]: 0 mostly standing and walking with little jitter; 1 adds sitting,
    squatting, raised legs, crossed and raised arms, free poses and more jitter.
    """
    if getattr(body, "name", "anny") != "anny":
        raise ValueError("sample_poses knows AnnyBody's joints only; pass the 'anny' body model.")
    coords, _ = sample_pose_coords(n, rng, difficulty=difficulty, config=config)
    return from_limit_coords(torch.as_tensor(coords)).numpy().astype(np.float32)
