"""core/export/fits.py: the one fits.json record every command writes, and its frame list
(core/media/frame_selection.py)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.body.params import BodyParams
from core.errors import StudioError
from core.export.fits import FITS_KEYS, frame_record, read_fits_json, write_fits_json
from core.media.frame_selection import parse_frames
from core.types import Camera, FrameFit

CAMERA = Camera.from_fov(640, 360)


def body_fit(index: int, status: str) -> FrameFit:
    params = BodyParams("anny", np.zeros(3), np.zeros((22, 3)), np.full(6, 0.5), [0, 0, 3])
    return FrameFit(index, status, CAMERA, params=params, vertices=np.zeros((5, 3), np.float32),
                    joints=np.zeros((4, 3), np.float32), landmarks=np.ones((33, 3), np.float32),
                    error=2.5, iou=0.9)


@pytest.mark.parametrize("status", ["fitted", "bridged", "low_confidence"])
def test_a_frame_with_a_body_is_a_person_whatever_its_status(status):
    rec = frame_record(body_fit(7, status))
    assert rec["person"] is True and rec["status"] == status and rec["index"] == 7
    assert rec["params"]["model"] == "anny" and np.asarray(rec["landmarks3d"]).shape == (33, 3)
    assert rec["camera"] == CAMERA.to_dict() and rec["error_px"] == 2.5 and rec["iou"] == 0.9


def test_a_frame_without_a_body_is_no_person_with_null_body_fields():
    rec = frame_record(FrameFit(3, "no_person", CAMERA))
    assert rec["person"] is False and rec["status"] == "no_person"
    assert rec["params"] is rec["landmarks3d"] is rec["joints3d"] is None
    assert rec["error_px"] is None and rec["iou"] is None        # nan is not JSON


def test_fits_json_has_one_format_in_frame_order(tmp_path):
    records = [frame_record(body_fit(2, "bridged")), frame_record(FrameFit(0, "no_person", CAMERA)),
               frame_record(body_fit(1, "fitted"))]
    path = write_fits_json(tmp_path / "out", "anny", tmp_path / "clip.mp4", records)
    data = json.loads(path.read_text())                          # strict JSON: no NaN
    assert tuple(data) == FITS_KEYS == ("body_model", "input", "frames")
    assert data["body_model"] == "anny" and data["input"] == str(tmp_path / "clip.mp4")
    assert [(f["index"], f["person"]) for f in data["frames"]] == [(0, False), (1, True), (2, True)]
    assert read_fits_json(tmp_path / "out") == data
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_every_command_writes_fits_json_through_the_one_writer():
    cli = Path(__file__).resolve().parents[1] / "core" / "cli"
    for module in cli.glob("*.py"):
        text = module.read_text()
        assert "fits.json\").write" not in text, module          # no command writes its own
        if "fits.json" in text:
            assert "from core.export.fits import" in text, module


@pytest.mark.parametrize("text,every,expected", [("all", 1, [0, 1, 2, 3, 4]), ("all", 2, [0, 2, 4]),
                                                 ("4,0,4", 1, [0, 4]), (" 1, 3 ", 1, [1, 3])])
def test_parse_frames(text, every, expected):
    assert parse_frames(text, 5, every) == expected


@pytest.mark.parametrize("text,every", [("5", 1), ("a,b", 1), ("", 1), ("all", 0)])
def test_parse_frames_refuses_with_a_sentence(text, every):
    with pytest.raises(StudioError, match="--frames|--every"):
        parse_frames(text, 5, every)
