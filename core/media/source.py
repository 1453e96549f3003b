"""The FrameSource interface shared by photos, videos and frame folders.

A FrameSource is a random-access, streaming sequence of ``Frame`` objects (RGB uint8, upright).
Nothing is decoded until asked for, and iteration holds one frame at a time.

Frame rate: ``fps`` is 0.0 for a photo (no time axis) and for a frame folder (the rate is not
known); timestamps are then 0.0 and the frame index is the only time. Videos report the
container's rate.

Threads: every read takes the source's lock, so one source may be shared between the GUI
thread (scrubbing) and a worker (detection); reads then interleave correctly but a video seeks
back and forth. A worker that streams a whole video should open its own source.
"""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError
from core.types import Camera, Frame


class FrameSource(ABC):
    """Common behaviour of every source. Subclasses implement ``_read(index)``.

    path: the file or folder. kind: "image", "video" or "folder".
    width, height: frame size in pixels (every frame of the source has this size).
    fps: frames per second, 0.0 when unknown or meaningless (photo, folder).
    camera: pinhole intrinsics for frames of this source (EXIF focal length when the file carries
        ``FocalLengthIn35mmFilm``, else ``Camera.from_fov`` with the default field of view).
    """

    kind: str = ""

    def __init__(self, path: Path, width: int, height: int, frame_count: int, fps: float,
                 focal_35mm: float | None = None) -> None:
        self.path = Path(path)
        self.width = int(width)
        self.height = int(height)
        self._frame_count = int(frame_count)
        self.fps = float(fps)
        self.focal_35mm = focal_35mm
        self.camera = (Camera.from_focal_35mm(self.width, self.height, focal_35mm)
                       if focal_35mm else Camera.from_fov(self.width, self.height))
        self._lock = threading.RLock()
        self._closed = False

    # -- size -------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Number of frames that can be read (verified for videos, not just the header's)."""
        return self._frame_count

    def __len__(self) -> int:
        return self._frame_count

    @property
    def duration(self) -> float:
        """Seconds covered by the source; 0.0 without a frame rate."""
        return self._frame_count / self.fps if self.fps > 0 else 0.0

    def timestamp(self, index: int) -> float:
        """Seconds from the start of the source to frame ``index`` (0.0 without a frame rate)."""
        return index / self.fps if self.fps > 0 else 0.0

    # -- reading ----------------------------------------------------------------------------
    def read(self, index: int) -> Frame:
        """Frame ``index`` (0-based): image (H, W, 3) uint8 RGB, EXIF orientation applied.

        raises: MediaError when the index is outside 0..len-1, the source is closed, or the frame
            cannot be decoded.
        """
        index = int(index)
        if self._closed:
            raise MediaError(f"'{self.path}' was closed; open it again to read frames.")
        if not 0 <= index < self._frame_count:
            raise MediaError(f"Frame {index} does not exist in '{self.path}', which has "
                             f"{self._frame_count} frame(s) (0..{self._frame_count - 1}); "
                             "choose a frame in that range.")
        with self._lock:
            image = self._read(index)
        return Frame(index=index, image=image, timestamp=self.timestamp(index))

    @abstractmethod
    def _read(self, index: int) -> np.ndarray:
        """(height, width, 3) uint8 RGB of frame ``index``, already range-checked; lock held."""

    def iter_frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[Frame]:
        """Stream frames start, start+step, ... < stop (default: to the end), one in memory."""
        if step < 1:
            raise ValueError("step must be >= 1")
        stop = self._frame_count if stop is None else min(int(stop), self._frame_count)
        for index in range(max(0, int(start)), stop, step):
            yield self.read(index)

    def __iter__(self) -> Iterator[Frame]:
        return self.iter_frames()

    def thumbnails(self, count: int = 10, height: int = 64) -> list[Frame]:
        """Up to ``count`` evenly spaced frames shrunk to ``height`` pixels (aspect kept).

        returns: Frames with their source index; image (height, w, 3) uint8 RGB. A source shorter
            than ``count`` gives one thumbnail per frame.
        """
        n = self._frame_count
        count = max(1, min(int(count), n))
        indices = sorted({int(round(i)) for i in np.linspace(0, n - 1, count)})
        width = max(1, round(self.width * height / self.height))
        thumbs = []
        for index in indices:
            frame = self.read(index)
            small = cv2.resize(frame.image, (width, int(height)), interpolation=cv2.INTER_AREA)
            thumbs.append(Frame(index=index, image=small, timestamp=frame.timestamp))
        return thumbs

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Release the file handles; later reads raise MediaError. Safe to call twice."""
        with self._lock:
            self._closed = True
            self._close()

    def _close(self) -> None:
        pass

    def __enter__(self) -> "FrameSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}('{self.path}', {self.width}x{self.height}, "
                f"{self._frame_count} frames, {self.fps:g} fps)")
