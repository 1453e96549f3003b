"""``main.py detect`` and ``main.py demo`` end to end, in process (same code path as the shell)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.perception import read_observations
from main import main


def _png(path: Path) -> np.ndarray:
    return cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)


def test_detect_every_frame_of_a_video(dribble_mp4, tmp_path, capsys):
    out = tmp_path / "out dir"
    assert main(["detect", str(dribble_mp4), "--out", str(out)]) == 0
    assert "Detected a person in 40 of 40 frame(s)" in capsys.readouterr().out

    doc = json.loads((out / "observations.json").read_text())
    assert (doc["width"], doc["height"], doc["fps"]) == (1080, 1920, 12.0)
    assert doc["source"] == str(dribble_mp4)
    assert [f["index"] for f in doc["frames"]] == list(range(40))
    for f in doc["frames"]:
        assert f["person"] is True
        assert np.asarray(f["keypoints2d"]).shape == (33, 3)
        assert np.asarray(f["landmarks3d"]).shape == (33, 3)
        x0, y0, x1, y1 = f["bbox"]
        assert 0 <= x0 < x1 <= 1079 and 0 <= y0 < y1 <= 1919
    for i in (0, 39):
        mask = _png(out / "masks" / f"{i:06d}.png")
        assert mask.shape == (1920, 1080) and mask.dtype == np.uint8
        assert set(np.unique(mask)) == {0, 255} and 0.02 < (mask > 0).mean() < 0.5
        assert _png(out / "previews" / f"{i:06d}.png").shape == (1920, 1080, 3)
    assert len(list((out / "masks").iterdir())) == 40

    header, obs = read_observations(out)
    assert header["width"] == 1080 and len(obs) == 40 and obs[5].mask.shape == (1920, 1080)


def test_detect_selected_frames_of_a_photo_folder(ryota_png, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(4):
        shutil.copyfile(ryota_png, frames / f"img_{i}.png")
    out = tmp_path / "out"
    assert main(["detect", str(frames), "--out", str(out), "--frames", "0,1,3", "--every", "2",
                 "--no-previews"]) == 0
    doc = json.loads((out / "observations.json").read_text())
    assert [f["index"] for f in doc["frames"]] == [0, 3]
    assert sorted(p.name for p in (out / "masks").iterdir()) == ["000000.png", "000003.png"]
    assert not (out / "previews").exists()


@pytest.mark.parametrize("make,words", [
    (lambda p: p.write_bytes(b""), "empty (0 bytes)"),
    (lambda p: p.write_text("hello"), "not an image"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, make, words):
    bad = tmp_path / "bad photo.jpg"
    make(bad)
    assert main(["detect", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and words in err and "\n" not in err


def test_bad_frame_list_exits_2(ryota_png, tmp_path, capsys):
    assert main(["detect", str(ryota_png), "--out", str(tmp_path), "--frames", "0,4"]) == 2
    assert "frames 0..0" in capsys.readouterr().err


def test_demo_runs_on_the_bundled_photo(tmp_path, capsys):
    from core.cli.demo import demo_steps

    assert [s.name for s in demo_steps()][0] == "detect"
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    text = capsys.readouterr().out
    assert f"outputs are in {tmp_path / 'demo'}" in text
    doc = json.loads((tmp_path / "demo" / "detect" / "observations.json").read_text())
    assert doc["frames"][0]["person"] is True and (doc["width"], doc["height"]) == (512, 512)
    assert (tmp_path / "demo" / "detect" / "previews" / "000000.png").is_file()
