"""core.analysis occlusion sensitivity on a shaded synthetic body BlazePose detects: hiding the
left forearm moves the left wrist most, hiding empty background moves nothing beyond the fit's
noise, Cancel stops within one patch, and the same frame and settings give the same maps."""
from __future__ import annotations

import time

import numpy as np
import pytest

from core.analysis import OcclusionConfig, PatchResult, occlusion_sensitivity
from core.analysis.occlusion import analysis_area, cell_centres, occlude, plain_pose_detector
from core.analysis.synthetic import shaded_person
from core.errors import Cancelled, StudioError
from core.progress import CancelToken, drive
from core.types import BLAZEPOSE_NAMES, Frame

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def body():
    from core.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def scene(body):
    return shaded_person(body, 320, 320)


@pytest.fixture(scope="module")
def grid(body, scene):
    """The analysis with 64-px patches: 5 x 5 cells over the 320-px frame."""
    import torch

    torch.set_num_threads(1)
    return drive(occlusion_sensitivity(Frame(0, scene.image), scene.camera, body,
                                       OcclusionConfig(patch=64)))


def test_blazepose_detects_the_shaded_body(scene):
    with plain_pose_detector() as detector:
        obs = detector.detect(Frame(0, scene.image))
    assert obs.person
    for name in ("left_wrist", "left_elbow", "left_shoulder", "nose", "right_ankle"):
        i = BLAZEPOSE_NAMES.index(name)
        assert obs.keypoints2d[i, 2] > 0.8, name
        assert np.linalg.norm(obs.keypoints2d[i, :2] - scene.point(name)) < 8.0, name
    # the subject's left is on the image's right in a front view
    assert scene.point("left_wrist")[0] > scene.point("right_wrist")[0]


def test_grid_covers_the_enlarged_person_box():
    area = analysis_area(np.array([100, 50, 200, 250]), 640, 300)
    np.testing.assert_allclose(area, [50, 0, 250, 299])  # half the box more each side, clipped
    xs = cell_centres(50, 250, 64, 64)
    assert len(xs) == 4 and xs[0] - 32 <= 50 and xs[-1] + 32 >= 250
    np.testing.assert_allclose(np.diff(xs), 64)
    image = np.zeros((4, 5, 3), np.uint8)
    out = occlude(image, np.array([1, 0, 3, 2]))
    assert (out[0:2, 1:3] == 128).all() and out.sum() == 128 * 12 and not image.any()


def test_forearm_moves_the_left_wrist_most_and_background_nothing(grid, scene):
    res = grid
    assert res.complete and res.shape == (5, 5) and res.patch == 64
    assert not res.lost.any()
    lw = res.joints.index("left_wrist")
    elbow, wrist = scene.point("left_elbow"), scene.point("left_wrist")

    def covers(box, p):
        return box[0] <= p[0] < box[2] and box[1] <= p[1] < box[3]

    forearm = [(r, c) for r in range(5) for c in range(5)
               if covers(res.cell_box(r, c), elbow) and covers(res.cell_box(r, c), wrist)]
    assert forearm, "no patch covers the whole left forearm"
    mid = (elbow + wrist) / 2
    r, c = min(forearm, key=lambda rc: np.hypot(res.xs[rc[1]] - mid[0], res.ys[rc[0]] - mid[1]))
    moved = res.displacement[r, c]
    assert int(np.argmax(moved)) == lw, dict(zip(res.joints, np.round(moved)))
    assert moved[lw] > 100.0
    assert res.values("left_wrist")[r, c] == moved[lw]
    assert res.error2d[r, c, lw] > 5.0  # the fitted wrist left its place in the image too

    # patches that hide nothing of the person (8 px clear of its silhouette)
    import cv2

    near = cv2.dilate(scene.mask.astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
    empty = [(r, c) for r in range(5) for c in range(5)
             if not near[res.cell_box(r, c)[1]:res.cell_box(r, c)[3],
                         res.cell_box(r, c)[0]:res.cell_box(r, c)[2]].any()]
    assert len(empty) >= 8
    body = res.body
    # The fit's own noise: since the fits read their 3D through the lifter (core.fitting.lifter)
    # a background patch that nudges the detector's keypoints can move the single-frame fit by up
    # to 5 cm (it was under 2): the first guesses follow the lifted 3D, and a nudge can start the
    # fit in a neighbouring basin. Still far below the forearm's third of a metre.
    for rc in empty:
        assert body[rc] < min(60.0, 0.2 * moved[lw]), (rc, body[rc])
    assert res.noise_floor < 35.0          # median over the background cells (25 mm now)
    rows = {row["region"]: row for row in res.table()}
    assert rows["background"]["cells"] >= len(empty)
    assert "left_wrist" in [j["joint"] for j in rows["left arm"]["joints"]]


def test_same_frame_and_settings_give_the_same_maps(body, scene):
    config = OcclusionConfig(patch=160)
    runs = [drive(occlusion_sensitivity(Frame(0, scene.image), scene.camera, body, config))
            for _ in range(2)]
    a, b = runs
    assert a.shape == (2, 2) and a.complete
    np.testing.assert_array_equal(a.displacement, b.displacement)
    np.testing.assert_array_equal(a.error2d, b.error2d)
    np.testing.assert_array_equal(a.lost, b.lost)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    for cell, fit in a.fits.items():
        if fit.vertices is not None:
            np.testing.assert_array_equal(fit.vertices, b.fits[cell].vertices)


class _RaisingBody:
    """A body that raises Cancelled inside a fit once its token is set (as the GUI's does)."""

    def __init__(self, body, token: CancelToken) -> None:
        self._body, self._token = body, token

    def __getattr__(self, name):
        return getattr(self._body, name)

    def __call__(self, *args, **kwargs):
        self._token.raise_if_cancelled()
        return self._body(*args, **kwargs)


def test_cancel_stops_within_one_patch(body, scene):
    token = CancelToken()
    patches: list[PatchResult] = []
    when: list[float] = []

    def on_item(item):
        patches.append(item)
        if len(patches) == 1:
            token.cancel()
            when.append(time.perf_counter())

    res = drive(occlusion_sensitivity(Frame(0, scene.image), scene.camera, body,
                                      OcclusionConfig(patch=64), cancel=token), on_item=on_item)
    assert len(patches) == 1 and int(res.done.sum()) == 1 and not res.complete
    assert time.perf_counter() - when[0] < 1.0  # no further patch was started
    assert np.isnan(res.body[~res.done]).all()

    # a cancel that lands inside a patch's fit ends the job with the patches finished so far
    token = CancelToken()
    watched = _RaisingBody(body, token)
    done = []

    def cancel_during_second(item):
        done.append(item)
        token.cancel()  # the next fit raises Cancelled at its first body evaluation

    res = drive(occlusion_sensitivity(Frame(0, scene.image), scene.camera, watched,
                                      OcclusionConfig(patch=64), cancel=CancelToken()),
                on_item=cancel_during_second)
    assert len(done) == 1 and int(res.done.sum()) == 1
    with pytest.raises(Cancelled):
        watched(None)


def test_nobody_in_the_frame_is_a_readable_error(body):
    empty = np.full((200, 200, 3), 90, np.uint8)
    from core.types import Camera

    with pytest.raises(StudioError, match="No person was found"):
        drive(occlusion_sensitivity(Frame(3, empty), Camera.from_fov(200, 200), body))
