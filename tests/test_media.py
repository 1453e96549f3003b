"""FrameSource on real media: exact seeking, streaming, thumbnails, EXIF, folders."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.errors import MediaError
from core.media import FolderSource, ImageSource, VideoSource, open_source
from core.types import Camera


def _sequential(path: Path, stop: int) -> list[np.ndarray]:
    """Reference decode: frames 0..stop-1 read straight through with plain cv2 (RGB)."""
    cap = cv2.VideoCapture(str(path))
    out = []
    for _ in range(stop):
        ok, bgr = cap.read()
        assert ok
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


def test_video_random_access_matches_sequential_decode(taiji_mp4):
    ref = _sequential(taiji_mp4, 300)
    with open_source(taiji_mp4) as src:
        assert isinstance(src, VideoSource)
        assert (len(src), src.width, src.height) == (412, 1280, 720)
        assert src.fps == pytest.approx(23.976, abs=1e-3)
        assert src.camera == Camera.from_fov(1280, 720)
        # backwards, far jumps, small forward steps and a re-read: every one exact
        for i in (250, 3, 299, 120, 121, 125, 124, 0, 251, 251, 77):
            frame = src.read(i)
            assert frame.index == i and frame.timestamp == pytest.approx(i / src.fps)
            assert np.array_equal(frame.image, ref[i]), f"frame {i} differs"
        assert src.read(411).image.shape == (720, 1280, 3)  # the last frame decodes
        with pytest.raises(MediaError, match="412 frame"):
            src.read(412)


def test_iter_frames_streams_with_step(dribble_mp4):
    ref = _sequential(dribble_mp4, 40)
    with open_source(dribble_mp4) as src:
        assert (src.width, src.height, len(src)) == (1080, 1920, 40)
        frames = list(src.iter_frames(5, 30, 6))
        assert [f.index for f in frames] == [5, 11, 17, 23, 29]
        for f in frames:
            assert np.array_equal(f.image, ref[f.index])


def test_thumbnails_are_evenly_spaced_and_small(taiji_mp4):
    with open_source(taiji_mp4) as src:
        thumbs = src.thumbnails(count=6, height=36)
        assert [t.index for t in thumbs] == [0, 82, 164, 247, 329, 411]
        for t in thumbs:
            assert t.image.shape == (36, 64, 3) and t.image.dtype == np.uint8
        full = cv2.resize(src.read(164).image, (64, 36), interpolation=cv2.INTER_AREA)
        assert np.abs(full.astype(int) - thumbs[2].image.astype(int)).max() <= 1
def test_thumbnails_of_a_photo_is_one_frame(tmp_path):
    with ImageSource(_write(tmp_path / "p.png", np.full((20, 40, 3), 9, np.uint8))) as one:
        thumbs = one.thumbnails(count=10, height=10)
        assert [t.index for t in thumbs] == [0] and thumbs[0].image.shape == (10, 20, 3)


def _write(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)
    return path


def test_exif_orientation_is_applied_and_focal_read(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 tall; left half red
    stored[:, :20] = (255, 0, 0)
    img = Image.fromarray(stored)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be turned 90 degrees clockwise to display
    exif.get_ifd(0x8769)[41989] = 50  # FocalLengthIn35mmFilm = 50 mm
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif, quality=95)
    with open_source(path) as src:
        frame = src.read(0)
        assert (src.width, src.height) == (20, 40) and frame.image.shape == (40, 20, 3)
        top, bottom = frame.image[:18].mean(axis=(0, 1)), frame.image[22:].mean(axis=(0, 1))
        assert top[0] > 200 and top[1] < 40 and bottom.max() < 40  # red went to the top
        assert src.camera == Camera.from_focal_35mm(20, 40, 50.0)
        assert src.fps == 0.0 and len(src) == 1 and frame.timestamp == 0.0


def test_folder_natural_order_and_mixed_sizes_letterboxed(tmp_path):
    _write(tmp_path / "f2.png", np.full((40, 60, 3), 20, np.uint8))
    _write(tmp_path / "f10.png", np.full((60, 60, 3), 200, np.uint8))  # square, taller
    _write(tmp_path / "f1.png", np.full((40, 60, 3), 100, np.uint8))
    (tmp_path / "notes.txt").write_text("not a frame")
    with open_source(tmp_path) as src:
        assert isinstance(src, FolderSource)
        assert [p.name for p in src.files] == ["f1.png", "f2.png", "f10.png"]
        assert (len(src), src.width, src.height, src.fps) == (3, 60, 40, 0.0)
        assert src.read(0).image[0, 0, 0] == 100
        square = src.read(2).image
        assert square.shape == (40, 60, 3)
        # 60x60 scaled to 40x40, centred: black bars of 10 px left and right
        assert square[:, :9].max() == 0 and square[:, 51:].max() == 0
        assert square[:, 11:49].min() == 200


def test_closed_source_and_context_manager(ryota_png):
    with open_source(ryota_png) as src:
        assert src.read(0).image.shape == (512, 512, 3)
    with pytest.raises(MediaError, match="closed"):
        src.read(0)
