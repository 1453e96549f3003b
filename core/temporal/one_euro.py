"""One-Euro filter (Casiez, Roussel, Vogel, CHI 2012) for streams of 2D keypoints.

A low-pass filter whose cutoff rises with speed: still keypoints are smoothed hard (no jitter),
fast ones pass with little lag. Speeds are divided by the person's size in pixels so one setting
works at any resolution and distance.
"""
from __future__ import annotations

import math

import numpy as np

from .config import OneEuroConfig


def _alpha(cutoff_hz: float, dt: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters (K, 2) point arrays one frame at a time.

    fps: frames per second of the stream (30 when unknown).
    """

    def __init__(self, config: OneEuroConfig, fps: float = 30.0) -> None:
        self.config = config
        self.dt = 1.0 / (fps if fps > 0 else 30.0)
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def __call__(self, points: np.ndarray, scale: float = 1.0,
                 valid: np.ndarray | None = None) -> np.ndarray:
        """Filtered points.

        points: (K, 2) float pixels. scale: the person's size in pixels (speeds are divided by
        it). valid: (K,) bool; invalid points are passed through and do not update the state.
        returns: (K, 2) float64 pixels.
        """
        x = np.asarray(points, np.float64)
        ok = np.ones(len(x), bool) if valid is None else np.asarray(valid, bool)
        if self._x is None:
            self._x, self._dx = x.copy(), np.zeros_like(x)
            return x.copy()
        c = self.config
        dx = (x - self._x) / self.dt
        a_d = _alpha(c.d_cutoff, self.dt)
        dx_hat = a_d * dx + (1 - a_d) * self._dx
        speed = np.linalg.norm(dx_hat, axis=1, keepdims=True) / max(scale, 1e-6)
        cutoff = c.min_cutoff + c.beta * speed * 100.0
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / self.dt)
        x_hat = a * x + (1 - a) * self._x
        out = np.where(ok[:, None], x_hat, x)
        self._x = np.where(ok[:, None], x_hat, self._x)
        self._dx = np.where(ok[:, None], dx_hat, self._dx)
        return out
