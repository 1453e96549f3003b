"""BlazePose perception on real photos and videos, through PoseDetector and detect_frames."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.errors import Cancelled
from core.media import open_source
from core.perception import PoseDetector, detect_frames
from core.progress import CancelToken
from core.types import BLAZEPOSE_NAMES, Frame


@pytest.fixture(scope="module")
def ryota_obs(ryota_png):
    with open_source(ryota_png) as src:
        pairs = list(detect_frames(src))
    assert len(pairs) == 1
    return pairs[0]


def test_photo_mask_and_keypoints(ryota_obs, ryota_mask_png):
    progress, obs = ryota_obs
    assert (progress.stage, progress.done, progress.total) == ("detect", 1, 1)
    assert obs.person and obs.source == "blazepose" and (obs.width, obs.height) == (512, 512)
    assert obs.mask.shape == (512, 512) and obs.mask.dtype == np.float32
    assert 0.0 <= obs.mask.min() and obs.mask.max() <= 1.0
    gt = np.asarray(Image.open(ryota_mask_png).convert("L")) > 127
    pred = obs.binary_mask()
    iou = (pred & gt).sum() / (pred | gt).sum()
    assert iou >= 0.9, iou

    rows, cols = np.flatnonzero(gt.any(1)), np.flatnonzero(gt.any(0))
    margin = 0.05 * (rows[-1] - rows[0])  # ~20 px on a 430 px tall person
    kp = obs.keypoints2d
    assert kp.shape == (33, 3) and kp.dtype == np.float32
    inside = ((kp[:, 0] >= cols[0] - margin) & (kp[:, 0] <= cols[-1] + margin)
              & (kp[:, 1] >= rows[0] - margin) & (kp[:, 1] <= rows[-1] + margin))
    assert inside.all(), [BLAZEPOSE_NAMES[i] for i in np.flatnonzero(~inside)]
    assert (kp[:, 2] > 0.5).sum() >= 30  # a full-body frontal photo: nearly everything seen
    # the subject faces the camera: their left shoulder is on the image's right
    assert kp[11, 0] > kp[12, 0] and kp[0, 1] < kp[11, 1] < kp[23, 1] < kp[27, 1]

    bbox = obs.bbox
    assert abs(bbox[1] - rows[0]) < 15 and abs(bbox[3] - rows[-1]) < 15
    assert abs(bbox[0] - cols[0]) < 15 and abs(bbox[2] - cols[-1]) < 15


def test_photo_world_landmarks_are_metric_and_hip_centred(ryota_obs):
    _, obs = ryota_obs
    w = obs.landmarks3d
    assert w.shape == (33, 3) and w.dtype == np.float32
    hip_mid = (w[23] + w[24]) / 2
    assert np.abs(hip_mid).max() < 0.05  # origin at the hips
    height = w[[29, 30], 1].mean() - w[0, 1]  # y down: heels below the nose
    assert 1.2 < height < 1.9, height  # an adult, in metres
    assert w[11, 0] > w[12, 0]  # x right: left shoulder on the right of the image


def test_large_photo_is_downscaled_for_the_network_and_mapped_back(lunge_jpg):
    with open_source(lunge_jpg) as src:
        obs = PoseDetector("image").detect(src.read(0))
    assert obs.person and obs.mask.shape == (6016, 4016)
    x0, y0, x1, y1 = obs.bbox
    assert 1000 < x1 - x0 < 4016 and 1500 < y1 - y0 < 6016  # a person, in full-size pixels
    good = obs.keypoints2d[:, 2] > 0.5
    ys, xs = obs.keypoints2d[good, 1].astype(int), obs.keypoints2d[good, 0].astype(int)
    ok = (xs >= 0) & (xs < 4016) & (ys >= 0) & (ys < 6016)
    assert obs.mask[ys[ok], xs[ok]].mean() > 0.6  # the keypoints lie on the mask


@pytest.mark.parametrize("shape", [(480, 640), (2, 2)])
def test_no_person_is_an_empty_observation(shape):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (*shape, 3), np.uint8)
    image[: shape[0] // 2] = (110, 160, 230)  # a "sky" over noisy "ground"
    with PoseDetector("image") as det:
        obs = det.detect(Frame(0, image))
    assert not obs.person and obs.mask is None
    assert (obs.width, obs.height) == (shape[1], shape[0])
    assert not obs.keypoints2d.any() and not obs.binary_mask().any()


def test_every_taiji_frame_has_a_person(taiji_mp4):
    with open_source(taiji_mp4) as src:
        seen = []
        for progress, obs in detect_frames(src):
            assert progress.done == len(seen) + 1 and progress.total == 412
            assert obs.index == len(seen)
            seen.append(obs.person)
    assert len(seen) == 412 and all(seen), [i for i, p in enumerate(seen) if not p]


def test_tracking_restarts_on_a_jump(taiji_mp4):
    """After frames 0-2, frame 300 in video mode matches a fresh detection of frame 300."""
    with open_source(taiji_mp4) as src, PoseDetector("video") as tracker, \
            PoseDetector("video") as fresh:
        for i in range(3):
            tracker.detect(src.read(i))
        jumped = tracker.detect(src.read(300))
        ref = fresh.detect(src.read(300))
    assert jumped.person and ref.person
    assert np.abs(jumped.keypoints2d[:, :2] - ref.keypoints2d[:, :2]).max() < 1.0


def test_cancel_stops_between_frames_and_keeps_results(dribble_mp4):
    token = CancelToken()
    got = []
    with open_source(dribble_mp4) as src:
        with pytest.raises(Cancelled):
            for _progress, obs in detect_frames(src, indices=[3, 4, 5, 6, 7], cancel=token):
                got.append(obs.index)
                if len(got) == 2:
                    token.cancel()
    assert got == [3, 4]
