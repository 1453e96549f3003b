"""``main.py track`` end to end on the small bundled video (resources/samples/video.mp4,
48 frames 640x360)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.cli import run_cli

VIDEO = Path(__file__).resolve().parents[1] / "resources" / "samples" / "video.mp4"


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    out = tmp_path_factory.mktemp("track")
    rc = run_cli(["track", str(VIDEO), "--out", str(out)])
    return rc, out


def test_track_writes_fits_motion_and_overlay(tracked, artifacts):
    rc, out = tracked
    assert rc == 0
    fits = json.loads((out / "fits.json").read_text())
    assert [f["index"] for f in fits["frames"]] == list(range(48))
    fitted = [f for f in fits["frames"] if f["status"] == "fitted"]
    assert len(fitted) >= 40
    # pixels at 640x360: the body's landmarks land on the detected keypoints
    assert np.nanmedian([f["error_px"] for f in fitted]) < 12.0
    # one animated GLB and a BVH by default; per-frame OBJs only with --formats obj
    assert (out / "motion.glb").is_file() and (out / "motion.bvh").is_file()
    assert not (out / "meshes").exists()
    cap = cv2.VideoCapture(str(out / "overlay.mp4"))
    n, frames = 0, []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        n += 1
        if n in (1, 24, 48):
            frames.append(img)
    assert n == 48
    cv2.imwrite(str(artifacts / "track_cli_overlay.png"), np.concatenate(frames, 0))


def test_track_refuses_a_photo_with_a_sentence(tmp_path, capsys):
    photo = VIDEO.with_name("photo.png")
    rc = run_cli(["track", str(photo), "--out", str(tmp_path / "t")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "use 'fit' for photos" in err and "Traceback" not in err
