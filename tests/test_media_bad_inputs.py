"""Every awkward input gives either a correct frame or a MediaError that names the file and says
what to do. Inputs are generated in tmp_path."""
from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from core.errors import MediaError
from core.media import open_source

REPO = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = REPO / "resources" / "samples" / "video.mp4"


def _expect_error(path: Path, *words: str) -> str:
    with pytest.raises(MediaError) as info:
        open_source(path)
    msg = str(info.value)
    assert str(path) in msg, msg  # names the file
    for w in words:
        assert w in msg, msg
    return msg


def _read1(path: Path) -> np.ndarray:
    with open_source(path) as src:
        assert len(src) == 1
        image = src.read(0).image
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    return image


@pytest.mark.parametrize("name", ["empty.jpg", "empty.mp4", "empty.png"])
def test_zero_byte_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    _expect_error(tmp_path / name, "empty (0 bytes)", "copy the file again")


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is a shopping list, not a photo\n" * 20)
    _expect_error(path, "not an image")


def test_truncated_jpeg(tmp_path):
    full = tmp_path / "full.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)).save(full)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[:3000])
    _expect_error(cut, "truncated or damaged")


def test_unknown_and_missing_files(tmp_path):
    junk = tmp_path / "data.xyz"
    junk.write_bytes(bytes(range(256)) * 50)
    _expect_error(junk, "neither an image nor a video")
    _expect_error(tmp_path / "nowhere.mp4", "does not exist")


def test_empty_folder(tmp_path):
    (tmp_path / "readme.txt").write_text("no frames here")
    _expect_error(tmp_path, "no image files")


def test_video_with_zero_frames(tmp_path):
    path = tmp_path / "zero.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    writer.release()
    assert path.exists() and path.stat().st_size > 0
    _expect_error(path, "video")


def test_truncated_mp4_count_is_verified(taiji_mp4, tmp_path):
    """The header still promises 412 frames; the source counts what really decodes."""
    data = taiji_mp4.read_bytes()
    path = tmp_path / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    cap = cv2.VideoCapture(str(path))
    decodable = 0
    while cap.grab():
        decodable += 1
    cap.release()
    assert 0 < decodable < 412
    with open_source(path) as src:
        assert src.header_frame_count == 412
        assert len(src) == decodable
        assert src.read(len(src) - 1).image.shape == (720, 1280, 3)
        with pytest.raises(MediaError, match="does not exist"):
            src.read(len(src))


def test_tiny_2x2_image(tmp_path):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [9, 9, 9]]], np.uint8)).save(path)
    image = _read1(path)
    assert image.shape == (2, 2, 3) and image[0, 0].tolist() == [255, 0, 0]


def test_16bit_png_gray_and_rgb(tmp_path):
    gray16 = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 257)  # 0..65535
    path = tmp_path / "gray16.png"
    Image.fromarray(gray16).save(path)
    image = _read1(path)
    assert np.array_equal(image[:, :, 0], np.arange(256, dtype=np.uint8).reshape(16, 16))
    assert np.array_equal(image[:, :, 0], image[:, :, 2])

    rgb16 = np.zeros((8, 8, 3), np.uint16)
    rgb16[..., 0] = 65535  # BGR for cv2: blue full, red half
    rgb16[..., 2] = 32768
    path = tmp_path / "rgb16.png"
    assert cv2.imwrite(str(path), rgb16)
    image = _read1(path)
    assert abs(int(image[0, 0, 0]) - 128) <= 1 and image[0, 0, 1] == 0 and image[0, 0, 2] == 255


def test_rgba_png_is_composited_onto_black(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., :3] = (200, 100, 50)
    rgba[:, :2, 3] = 255
    rgba[:, 2:4, 3] = 128
    rgba[:, 4:, 3] = 0
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(path)
    image = _read1(path)
    assert image[0, 0].tolist() == [200, 100, 50]
    assert image[0, 2].tolist() == [100, 50, 25]
    assert image[0, 5].tolist() == [0, 0, 0]


def test_grayscale_palette_and_cmyk_jpeg(tmp_path):
    g = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (24, 1))
    Image.fromarray(g, "L").save(tmp_path / "gray.jpg", quality=98)
    image = _read1(tmp_path / "gray.jpg")
    assert image.shape == (24, 32, 3)
    assert np.array_equal(image[..., 0], image[..., 1])
    assert np.abs(image[..., 0].astype(int) - g).max() <= 3

    Image.fromarray(np.full((10, 10, 3), (10, 200, 30), np.uint8)).convert(
        "P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "pal.png")
    assert _read1(tmp_path / "pal.png")[5, 5].tolist() == [10, 200, 30]

    Image.fromarray(np.full((10, 10, 3), (255, 0, 0), np.uint8)).convert("CMYK").save(
        tmp_path / "cmyk.jpg", quality=98)
    r, gg, b = _read1(tmp_path / "cmyk.jpg")[5, 5].tolist()
    assert r > 230 and gg < 25 and b < 25


def test_non_ascii_path_with_spaces(tmp_path, ryota_png):
    folder = tmp_path / "Données du tournage ビデオ"
    folder.mkdir()
    photo = folder / "photo été 写真.png"
    shutil.copyfile(ryota_png, photo)
    video = folder / "clip émission 動画.mp4"
    shutil.copyfile(SAMPLE_VIDEO, video)
    assert _read1(photo).shape == (512, 512, 3)
    with open_source(video) as src:
        assert (len(src), src.width, src.height) == (48, 640, 360)
        assert src.read(40).image.mean() > 5
    with open_source(folder) as src:  # the folder reads its one image
        assert len(src) == 1 and src.files[0].name == photo.name
