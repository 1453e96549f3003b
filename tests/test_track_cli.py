"""``main.py track`` end to end on a few frames of the bundled dribbling video."""
from __future__ import annotations

import json

import cv2
import numpy as np

from core.cli import run_cli


def test_track_writes_fits_meshes_and_overlay(dribble_mp4, tmp_path, artifacts):
    out = tmp_path / "track"
    rc = run_cli(["track", str(dribble_mp4), "--out", str(out), "--max-frames", "10"])
    assert rc == 0
    fits = json.loads((out / "fits.json").read_text())
    assert [f["index"] for f in fits["frames"]] == list(range(10))
    assert all(f["status"] == "fitted" for f in fits["frames"])
    assert np.nanmedian([f["error"] for f in fits["frames"]]) < 40.0     # pixels, 1080x1920
    assert len(list((out / "meshes").glob("*.obj"))) == 10
    cap = cv2.VideoCapture(str(out / "overlay.mp4"))
    n, frame = 0, None
    while True:
        ok, img = cap.read()
        if not ok:
            break
        n, frame = n + 1, img
    assert n == 10
    cv2.imwrite(str(artifacts / "track_cli_last.png"), frame)


def test_track_refuses_a_photo_with_a_sentence(ryota_png, tmp_path, capsys):
    rc = run_cli(["track", str(ryota_png), "--out", str(tmp_path / "t")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "use 'fit' for photos" in err and "Traceback" not in err
