"""Generated test videos whose frames say their own number, so a test can tell which frame a
window shows even after lossy compression or a downscaled proxy."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

#: Bits of the frame number drawn as black/white blocks along the top rows of the frame.
BITS = 14


def numbered_frame(index: int, width: int = 64, height: int = 48) -> np.ndarray:
    """(height, width, 3) uint8 RGB: a grey gradient, and ``index`` in binary as BITS blocks
    (white = 1) of width // 8 pixels in two rows across the top half."""
    img = np.empty((height, width, 3), np.uint8)
    img[...] = np.linspace(40, 200, width, dtype=np.uint8)[None, :, None]
    bw, bh = width // 8, height // 6
    for bit in range(BITS):
        row, col = divmod(bit, 8)
        img[row * bh:(row + 1) * bh, col * bw:(col + 1) * bw] = 255 if index >> bit & 1 else 0
    return img


def frame_number(image: np.ndarray) -> int:
    """The number ``numbered_frame`` drew into ``image`` (any size with the same layout)."""
    h, w = image.shape[:2]
    bw, bh = w / 8, h / 6
    value = 0
    for bit in range(BITS):
        row, col = divmod(bit, 8)
        y, x = int((row + 0.5) * bh), int((col + 0.5) * bw)
        if image[y, x].mean() > 127:
            value |= 1 << bit
    return value


def write_numbered_video(path: Path, count: int, width: int = 64, height: int = 48,
                         fps: float = 25.0) -> Path:
    """An MPEG-4 (mp4v) video of ``count`` numbered frames; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write mp4v video here"
    try:
        for i in range(count):
            writer.write(cv2.cvtColor(numbered_frame(i, width, height), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
