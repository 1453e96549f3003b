"""A folder of image files as a sequence of frames.

Order: natural sort of the file names ("frame2" before "frame10"). Only files whose name ends
in a known image suffix count; hidden files are skipped; sub-folders are not entered.

Mixed sizes: the source's width/height is the first frame's; any other frame is scaled to fit
inside it with its aspect ratio kept and centred on black (letterbox), so every frame of the
source has one size and one Camera, and a person is never stretched.
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError
from core.media.image_io import IMAGE_SUFFIXES, read_image
from core.media.source import FrameSource


def _natural_key(path: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def list_image_files(folder: Path) -> list[Path]:
    """Image files directly inside ``folder``, naturally sorted."""
    files = [p for p in folder.iterdir()
             if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES]
    return sorted(files, key=_natural_key)


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Fit (h, w, 3) uint8 ``image`` inside (height, width, 3), aspect kept, centred on black."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(image, (nw, nh), interpolation=interp)
    out = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    out[y0:y0 + nh, x0:x0 + nw] = small
    return out


class FolderSource(FrameSource):
    """Frames from image files in one folder; fps 0.0 (unknown). See the module docstring."""

    kind = "folder"

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        files = list_image_files(path)
        if not files:
            raise MediaError(f"The folder '{path}' holds no image files (.jpg, .png, ...); "
                             "choose a folder of frames, or a photo or video file.")
        first, focal = read_image(files[0])
        self.files = files
        super().__init__(path, first.shape[1], first.shape[0], len(files), 0.0, focal)

    def _read(self, index: int) -> np.ndarray:
        image, _ = read_image(self.files[index])
        return letterbox(image, self.width, self.height)
