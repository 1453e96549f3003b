"""Session files: a full round trip, atomic writes and readable errors."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

from core.body.params import BodyParams
from core.session import Session, SessionError, load_session, save_session, session_path_for
from core.types import Camera, FrameFit, Observation


def _observation(index: int, h: int = 40, w: int = 30) -> Observation:
    rng = np.random.default_rng(index)
    mask = np.zeros((h, w), np.float32)
    mask[5:30, 10:20] = 1.0
    return Observation(index=index, width=w, height=h, person=True,
                       keypoints2d=rng.uniform(0, 30, (33, 3)).astype(np.float32),
                       landmarks3d=rng.normal(0, 0.3, (33, 3)).astype(np.float32),
                       mask=mask, bbox=np.array([10, 5, 20, 30], np.float32))


def _fit(index: int) -> FrameFit:
    params = BodyParams("anny", np.zeros(3), np.zeros((5, 3)), np.full(6, 0.5), [0, 0, 3])
    verts = np.random.default_rng(index).normal(0, 1, (100, 3)).astype(np.float32)
    return FrameFit(index=index, status="fitted", camera=Camera.from_fov(30, 40), params=params,
                    vertices=verts, joints=verts[:10], landmarks=verts[:33], error=2.5)


def test_round_trip_keeps_everything(tmp_path):
    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    s = Session(media_path=media, settings={"body_model": "anny"})
    for i in (0, 7):
        s.add_observation(_observation(i))
    s.add_observation(Observation.empty(3, 30, 40))
    s.add_fit(_fit(7))
    s.faces = np.array([[0, 1, 2], [2, 3, 0]], np.int64)
    s.add_fit(FrameFit(index=3, status="no_person", camera=Camera.from_fov(30, 40)))
    path = save_session(s)
    assert path == session_path_for(media) and path.name == "clip.mp4.studio.npz"
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]

    back = load_session(path)
    assert back.settings == {"body_model": "anny"} and back.media_path == media.resolve()
    assert sorted(back.observations) == [0, 3, 7] and not back.observations[3].person
    o, o2 = s.observations[7], back.observations[7]
    np.testing.assert_allclose(o2.keypoints2d, o.keypoints2d, atol=1e-3)
    np.testing.assert_array_equal(o2.mask, o.mask)
    f, f2 = s.fits[7], back.fits[7]
    np.testing.assert_array_equal(f2.vertices, f.vertices)
    np.testing.assert_array_equal(f2.params.transl, f.params.transl)
    assert f2.status == "fitted" and f2.error == 2.5 and math.isnan(f2.iou)
    assert back.fits[3].vertices is None and back.fits[3].params is None
    np.testing.assert_array_equal(back.faces, s.faces)
    assert back.frame_status() == {0: "observed", 3: "no_person", 7: "fitted"}


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    s = Session(media_path=tmp_path / "a.png")
    s.add_observation(_observation(0))
    path = save_session(s)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    s.add_fit(_fit(0))
    with pytest.raises(SessionError, match="could not be saved"):
        save_session(s)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_damaged_file_says_so(tmp_path):
    bad = tmp_path / "x.studio.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SessionError, match="damaged"):
        load_session(bad)
