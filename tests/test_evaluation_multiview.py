"""core.evaluation.multiview on a synthetic person seen by a synthetic calibrated rig: calibration
readers, projection / triangulation round trip, robustness to a view that sees someone else or
swaps left and right, and the foreground part of a mask with two people."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from core.evaluation.multiview import (foreground_mask, normalize, project, read_panoptic,
                                       read_qualisys, smooth_in_time, triangulate,
                                       triangulate_sequence)
from core.types import BLAZEPOSE_FLIP
from fixtures_evaluation import keypoints_in, look_at, ring_of_views, standing_person

UP = np.array([0.0, 0.0, 1.0])


def test_project_normalize_round_trip():
    view = ring_of_views(1)[0]
    X = standing_person()
    px = project(view, X)
    xy = normalize(view, px)
    pc = view.to_camera(X)
    np.testing.assert_allclose(xy, pc[:, :2] / pc[:, 2:], atol=1e-6)
    assert not np.allclose(px, project(view, X, distort=False))  # distortion does something


def test_triangulation_round_trip_with_noise():
    views = ring_of_views(4)
    X = standing_person()
    tri = triangulate(views, keypoints_in(views, X), up=UP)
    assert tri.views.all() and not tri.flipped.any() and not tri.ambiguous
    np.testing.assert_allclose(tri.points, X, atol=1e-6)
    assert np.nanmax(tri.errors) < 1e-3
    noisy = triangulate(views, keypoints_in(views, X, noise_px=2.0), up=UP)
    err = np.linalg.norm(noisy.points - X, axis=1)
    assert err.max() < 0.02 and np.nanmedian(noisy.errors) < 3.0


def test_view_of_another_person_and_swapped_view():
    views = ring_of_views(5)
    X = standing_person()
    kp = keypoints_in(views, X, noise_px=1.0)
    kp[1] = keypoints_in(views, X + np.array([1.5, -1.0, 0.0]))[1]    # someone else
    kp[3] = kp[3][list(BLAZEPOSE_FLIP)]                                # left/right swapped
    tri = triangulate(views, kp, up=UP)
    assert tri.views.tolist() == [True, False, True, True, True]
    assert tri.flipped.tolist() == [False, False, False, True, False]
    assert not tri.inliers[:, 1].any()
    assert np.linalg.norm(tri.points - X, axis=1).max() < 0.02


def test_absolute_left_right_from_up():
    """Every view swapped: the 3D body would be mirrored; the up direction puts it right."""
    views = ring_of_views(4)
    X = standing_person()
    kp = keypoints_in(views, X)[:, list(BLAZEPOSE_FLIP)]
    tri = triangulate(views, kp, up=UP)
    assert tri.flipped.all()
    np.testing.assert_allclose(tri.points, X, atol=1e-6)
    assert not triangulate(views, kp, up=None).flipped.any()   # without up: fewest swaps


def test_two_people_tie_goes_to_the_target():
    views = ring_of_views(4)
    A, B = standing_person(), standing_person() + np.array([0.0, 2.0, 0.0])
    kp = np.concatenate([keypoints_in(views, A)[:2], keypoints_in(views, B)[2:]])
    for person, target in ((A, A[23]), (B, B[23])):
        tri = triangulate(views, kp, up=UP, target=target)
        assert tri.ambiguous
        np.testing.assert_allclose(tri.points, person, atol=1e-6)
    seq = triangulate_sequence(views, np.stack([keypoints_in(views, A), kp]), up=UP)
    np.testing.assert_allclose(seq[1].points, A, atol=1e-6)   # follows the previous frame


def test_sequence_keeps_one_labelling_when_a_frame_cannot_tell():
    """A frame whose nose sits level with the ears cannot decide left from right by itself (the
    real pose2sim frames 60-61 fell into the mirror image): it follows its neighbours."""
    views = ring_of_views(4)
    X = standing_person()
    flat = X.copy()
    flat[0] = 0.5 * (X[7] + X[8])                 # nose on the ears' line: no forward direction
    frames = [keypoints_in(views, X), keypoints_in(views, flat)[:, list(BLAZEPOSE_FLIP)],
              keypoints_in(views, X)]
    seq = triangulate_sequence(views, np.stack(frames), up=UP)
    for tri in seq:
        assert np.linalg.norm(tri.points[11:29] - X[11:29], axis=1).max() < 1e-4
    assert seq[1].flipped.all() and not seq[0].flipped.any()


def test_missing_keypoints_and_views():
    views = ring_of_views(3)
    X = standing_person()
    kp = keypoints_in(views, X)
    kp[0, 15:, 2] = 0.0             # view 0 misses the lower body
    kp[1, 25:, 2] = 0.0             # view 1 misses the legs too: knees and ankles in one view only
    tri = triangulate(views, kp, up=UP)
    assert tri.valid[:25].all() and not tri.valid[25:].any()
    assert np.isnan(tri.points[25:]).all()
    assert not triangulate(views, np.zeros((3, 33, 3)), up=UP).valid.any()


def _video(path, width, height):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (width, height))
    for _ in range(2):
        w.write(np.zeros((height, width, 3), np.uint8))
    w.release()
    return path


def test_read_qualisys_convention(tmp_path):
    """A point straight ahead of a Qualisys camera lands on the principal point; pixel scale =
    sensorMaxU / video width; the camera frame is diag(1, -1, -1) R (X - C)."""
    rot = cv2.Rodrigues(np.array([0.3, -1.2, 0.4]))[0]
    C = np.array([1.2, -3.0, 1.8])
    attrs = " ".join(f'r{i + 1}{j + 1}="{rot[i, j]!r}"' for i in range(3) for j in range(3))
    text = f"""<?xml version='1.0' encoding='ASCII'?>
<calibration><cameras><camera serial="camA">
<transform {attrs} x="{C[0] * 1000}" y="{C[1] * 1000}" z="{C[2] * 1000}"/>
<intrinsic centerPointU="32000" centerPointV="60000" focalLengthU="107000" focalLengthV="107100"
 radialDistortion1="-0.04" radialDistortion2="0.13" radialDistortion3="0" sensorMaxU="64000"
 sensorMaxV="120000" tangentalDistortion1="0.0006" tangentalDistortion2="0.0007"/>
</camera></cameras></calibration>"""
    calib = tmp_path / "Calib.qca.txt"
    calib.write_text(text)
    view = read_qualisys(calib, [_video(tmp_path / "a.mp4", 320, 600)])[0]
    s = 64000 / 320
    np.testing.assert_allclose(view.K, [[107000 / s, 0, 32000 / s - 0.5],
                                        [0, 107100 / s, 60000 / s - 0.5], [0, 0, 1]])
    np.testing.assert_allclose(view.center, C, atol=1e-9)
    np.testing.assert_allclose(view.dist, [-0.04, 0.13, 0.0006, 0.0007, 0.0])
    ahead = C + rot.T @ np.array([0.0, 0.0, -2.0])      # Qualisys cameras look along their -z
    np.testing.assert_allclose(project(view, ahead), view.K[:2, 2], atol=1e-6)
    assert view.to_camera(ahead)[2] == pytest.approx(2.0)
    above = C + rot.T @ np.array([0.0, 0.3, -2.0])      # Qualisys +y is up: smaller pixel row
    assert project(view, above)[1] < view.K[1, 2]
    assert view.camera().fx == pytest.approx(107000 / s)


def test_read_panoptic_centimetres(tmp_path):
    R, t = look_at(np.array([0.0, -3.0, 2.0]), np.zeros(3), up=(0.0, 0.0, 1.0))
    cam = {"name": "00_01", "type": "hd", "resolution": [1920, 1080],
           "K": [[1400, 0, 960], [0, 1400, 540], [0, 0, 1]], "distCoef": [-0.28, 0.18, 0, 0, -0.04],
           "R": R.tolist(), "t": (100.0 * t)[:, None].tolist()}
    path = tmp_path / "camera_parameters.json"
    path.write_text(json.dumps({"cameras": [cam]}))
    view = read_panoptic(path, ["00_01"])[0]
    np.testing.assert_allclose(view.t, t)
    np.testing.assert_allclose(project(view, np.zeros(3)), [960, 540], atol=1e-6)
    with pytest.raises(Exception, match="00_02"):
        read_panoptic(path, ["00_02"])


def test_foreground_mask_keeps_the_triangulated_person():
    mask = np.zeros((200, 300), np.float32)
    mask[20:180, 30:90] = 1.0       # the measured person (arm detached below)
    mask[20:60, 95:100] = 0.9
    mask[40:190, 200:260] = 1.0     # someone in the background
    pts = np.array([[60, 30], [60, 100], [50, 170], [97, 40], [np.nan, np.nan], [500, 10]])
    fg = foreground_mask(mask, pts)
    assert fg[100, 60] and fg[30, 97] and not fg[100, 230]
    assert not foreground_mask(mask, np.array([[150.0, 10.0]])).any()


def test_smooth_in_time_keeps_constants_and_gaps():
    x = np.ones((20, 2, 3))
    x[5] = np.nan
    y = smooth_in_time(x, 1.5)
    assert np.isnan(y[5]).all()
    np.testing.assert_allclose(np.delete(y, 5, 0), 1.0)
    lin = np.arange(30.0)[:, None] * np.ones((1, 3))
    np.testing.assert_allclose(smooth_in_time(lin, 2.0)[8:-8], lin[8:-8], atol=1e-9)
    short = np.ones((2, 11, 3))                   # a kernel longer than the series
    np.testing.assert_allclose(smooth_in_time(short, 4.0), 1.0)


@pytest.mark.parametrize("name", ["pose2sim_single", "pose2sim_multi", "panoptic"])
def test_real_captures_are_read_consistently(name):
    """Every camera of the shared captures sits above the floor (height 0 in both worlds) and
    sees the point the cameras look at, near its image centre (a wrong axis convention puts it
    behind or outside)."""
    from core.evaluation.datasets import load_capture, realdata_root
    from core.evaluation.multiview import _views_centre

    if not realdata_root().exists():
        pytest.skip(f"{realdata_root()} not present (../shared/realdata beside the repository)")
    cap = load_capture(name)
    centre = _views_centre(cap.views)
    for v in cap.views:
        assert v.center @ cap.up > 1.0                      # cameras hang above the floor
        assert v.to_camera(centre)[2] > 1.0                 # ... and look at them
        px = project(v, centre)
        assert abs(px[0] - v.width / 2) < 0.3 * v.width
        assert abs(px[1] - v.height / 2) < 0.4 * v.height
    assert len(cap.media) == len(cap.views) and cap.frames >= 5
