"""A single photo as a one-frame FrameSource."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.media.image_io import read_image
from core.media.source import FrameSource


class ImageSource(FrameSource):
    """One photo: len 1, fps 0.0, timestamp 0.0. The decoded image is kept (it is one frame)."""

    kind = "image"

    def __init__(self, path: str | Path) -> None:
        image, focal = read_image(path)
        self._image = image
        super().__init__(Path(path), image.shape[1], image.shape[0], 1, 0.0, focal)

    def _read(self, index: int) -> np.ndarray:
        return self._image.copy()
