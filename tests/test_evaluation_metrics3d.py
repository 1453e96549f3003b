"""core.evaluation.metrics3d against invariants: Procrustes alignment, root alignment, head yaw
and front/back flips, knee and trunk angles, acceleration error."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.evaluation import metrics3d as m3
from fixtures_evaluation import standing_person

UP = np.array([0.0, 0.0, 1.0])


def _turn(points: np.ndarray, degrees: float, axis=(0.0, 0.0, 1.0)) -> np.ndarray:
    R = cv2.Rodrigues(np.radians(degrees) * np.asarray(axis, float))[0]
    c = m3.root(points)
    return (points - c) @ R.T + c


def test_procrustes_invariance_and_root_alignment():
    X = standing_person()
    R = cv2.Rodrigues(np.array([0.4, -0.7, 1.1]))[0]
    moved = 1.3 * X @ R.T + np.array([2.0, -1.0, 5.0])
    assert m3.pa_mpjpe(moved, X) == pytest.approx(0.0, abs=1e-9)
    assert m3.mpjpe_root(X + np.array([3.0, 1.0, -2.0]), X) == pytest.approx(0.0, abs=1e-12)
    assert m3.mpjpe_root(moved, X) > 0.1                      # rotation and scale count
    bent = X.copy()
    bent[15] += np.array([0.0, 0.0, 0.12])                    # one wrist 12 cm off
    assert m3.mpjpe_root(bent, X) == pytest.approx(0.01)      # 12 cm over 12 joints
    assert 0.0 < m3.pa_mpjpe(bent, X) < 0.03
    missing = X.copy()
    missing[27] = np.nan
    assert np.isnan(m3.pa_mpjpe(missing, X)) and np.isnan(m3.mpjpe_root(missing, X))


def test_head_yaw_and_flip_detection():
    X = standing_person()
    np.testing.assert_allclose(m3.head_forward(X, UP), [1.0, 0.0, 0.0], atol=1e-9)
    assert m3.head_yaw_error(_turn(X, 30.0), X, UP) == pytest.approx(30.0, abs=1e-6)
    assert not m3.is_flip(_turn(X, 30.0), X, UP)
    assert m3.is_flip(_turn(X, 180.0), X, UP)
    assert m3.head_yaw_error(_turn(X, 180.0), X, UP) == pytest.approx(180.0, abs=1e-6)
    assert m3.is_flip(_turn(X, -60.0), X, UP)
    # A lean forward does not change the yaw; the reference's up is what counts.
    assert m3.head_yaw_error(_turn(X, 25.0, (0.0, 1.0, 0.0)), X, UP) < 1.0
    e = m3.pose_errors(_turn(X, 180.0), X, UP)
    assert e.flip and e.pa_mpjpe < 1e-6 and e.mpjpe > 100.0


def test_knee_stoop_and_tilt():
    X = standing_person()
    assert m3.knee_flexion(X) == pytest.approx([5.45, 5.45], abs=0.01)  # the fixture's knees
    bent = X.copy()
    thigh = np.linalg.norm(X[25] - X[23])
    bent[25] = X[23] + np.array([thigh, 0.0, 0.0])                   # left thigh horizontal
    bent[27] = bent[25] + np.array([0.0, 0.0, -0.42])                # shank down: 90 deg
    assert m3.knee_flexion(bent)[0] == pytest.approx(90.0, abs=1e-6)
    assert m3.stoop(X) == pytest.approx(0.0, abs=1e-6)
    assert m3.trunk_tilt(X, UP) == pytest.approx(0.0, abs=1e-6)
    stooped = X.copy()
    upper = np.arange(23)
    stooped[upper] = _turn(X, 30.0, (0.0, 1.0, 0.0))[upper]           # trunk leans 30 deg forward
    assert m3.stoop(stooped) == pytest.approx(30.0, abs=1e-6)
    assert m3.trunk_tilt(stooped, UP) == pytest.approx(30.0, abs=1e-6)
    leaning = _turn(X, 20.0, (1.0, 0.0, 0.0))                          # the whole body tilts
    assert m3.stoop(leaning) == pytest.approx(0.0, abs=1e-6)
    assert m3.trunk_tilt(leaning, UP) == pytest.approx(20.0, abs=1e-6)
    e = m3.pose_errors(stooped, X, UP)
    assert e.stoop == pytest.approx(30.0, abs=1e-6) and e.tilt == pytest.approx(30.0, abs=1e-6)


def test_acceleration_error():
    X = standing_person()
    T = 10
    t = np.arange(T)[:, None, None]
    walk = X[None] + t * np.array([0.05, 0.0, 0.0])                 # constant velocity
    assert m3.acceleration_error(walk, np.repeat(X[None], T, 0)) == pytest.approx(0.0, abs=1e-12)
    swing = walk.copy()
    swing[:, 15, 2] += 0.5 * 0.012 * t[:, 0, 0] ** 2                  # wrist: 12 mm/frame^2
    assert m3.acceleration_error(swing, walk) == pytest.approx(0.001)  # over 12 limb joints
    assert m3.acceleration(swing) == pytest.approx(0.001)
    gap = swing.copy()
    gap[4] = np.nan                                                  # frames 2-6 skipped
    assert m3.acceleration_error(gap, walk) == pytest.approx(0.001)
    assert np.isnan(m3.acceleration_error(walk[:2], walk[:2]))
