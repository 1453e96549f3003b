"""A video file as a random-access FrameSource, decoded with OpenCV's FFmpeg backend.

Seeking: a read ahead of the current position by at most ``FORWARD_LIMIT`` frames decodes
forward without seeking, so sequential reads (and small steps) never seek. Anything else seeks
with ``CAP_PROP_POS_FRAMES`` (FFmpeg jumps to the keyframe before the target and decodes
forward) and checks the position the decoder reports; if it disagrees, it seeks to an earlier
frame and decodes forward, and as a last resort decodes from frame 0, so the frame returned is
always exactly the one asked for.

Frame count: the container's count can lie (truncated or damaged files, streams without an
index). At open, the last frame the header promises is decoded; if that fails, a binary search
finds the last frame that decodes and ``frame_count`` becomes that. A header with no count
means counting by decoding the whole file once.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError
from core.media.source import FrameSource

#: Reads at most this many frames ahead of the decoder decode forward instead of seeking.
FORWARD_LIMIT = 64

#: File name endings treated as videos (lower case).
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                            ".wmv", ".flv", ".3gp", ".ts", ".mts", ".m2ts", ".ogv"})


class VideoSource(FrameSource):
    """Frames of a video file; see the module docstring for seeking and counting."""

    kind = "video"

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise MediaError(f"'{path}' does not exist or is not a file; check the path.")
        if path.stat().st_size == 0:
            raise MediaError(f"'{path}' is empty (0 bytes); the copy or download is "
                             "incomplete — copy the file again.")
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise MediaError(f"'{path}' could not be opened as a video (it is damaged, truncated, "
                             "has no video frames or uses an unsupported codec); re-encode it as H.264 MP4, e.g. "
                             "'ffmpeg -i IN -c:v libx264 OUT.mp4', or open its frames as a folder.")
        self._cap = cap
        self._next = 0  # index of the frame the next cap.read() returns
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = fps if 0.0 < fps < 1000.0 else 0.0
        self.header_frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        super().__init__(path, width, height, 0, fps, None)
        try:
            count, first = self._verified_count()
        except Exception:
            cap.release()
            raise
        if count == 0 or first is None:
            cap.release()
            raise MediaError(f"'{path}' contains no decodable video frames; the file is empty, "
                             "truncated or has only audio — choose another file.")
        if (first.shape[1], first.shape[0]) != (width, height):  # header lied about the size
            super().__init__(path, first.shape[1], first.shape[0], 0, fps, None)
        self._frame_count = count

    # -- decoding ---------------------------------------------------------------------------
    def _decode_next(self) -> np.ndarray | None:
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            return None
        self._next += 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _seek(self, index: int) -> bool:
        """Put the decoder just before frame ``index``; True when the position is trusted."""
        if index == self._next:
            return True
        if 0 <= self._next < index <= self._next + FORWARD_LIMIT:
            return self._skip(index - self._next)
        for target in (index, index - 16, index - FORWARD_LIMIT):
            if target <= 0:
                break
            if self._cap.set(cv2.CAP_PROP_POS_FRAMES, target) and \
                    int(round(self._cap.get(cv2.CAP_PROP_POS_FRAMES))) == target:
                self._next = target
                return self._skip(index - target)
        # last resort: rewind to the start and decode forward
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        if int(round(self._cap.get(cv2.CAP_PROP_POS_FRAMES))) != 0:
            self._cap.release()
            self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        self._next = 0
        return self._skip(index)

    def _skip(self, n: int) -> bool:
        for _ in range(n):
            if not self._cap.grab():
                self._next = -1  # unknown position: the next read seeks
                return False
            self._next += 1
        return True

    def _try_read(self, index: int) -> np.ndarray | None:
        if not self._seek(index):
            return None
        image = self._decode_next()
        if image is None:
            self._next = -1
        return image

    def _read(self, index: int) -> np.ndarray:
        image = self._try_read(index)
        if image is None:
            raise MediaError(f"Frame {index} of '{self.path}' could not be decoded; the file is "
                             "damaged or truncated there — re-encode or trim the video.")
        if image.shape[:2] != (self.height, self.width):  # mid-stream size change
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return image

    def _verified_count(self) -> tuple[int, np.ndarray | None]:
        """(number of decodable frames, first frame) — see the module docstring."""
        first = self._try_read(0)
        if first is None:
            return 0, None
        n = self.header_frame_count
        if n <= 0:  # no count in the header: count by decoding once
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._next = 0
            while self._cap.grab():
                self._next += 1
            return self._next, first
        if n == 1 or self._try_read(n - 1) is not None:
            if self._cap.grab():  # more frames than promised: count the rest by decoding
                self._next += 1
                while self._cap.grab():
                    self._next += 1
                return self._next, first
            self._next = -1
            return n, first
        lo, hi = 0, n - 1  # frame lo decodes, frame hi does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._try_read(mid) is not None:
                lo = mid
            else:
                hi = mid
        return lo + 1, first

    def _close(self) -> None:
        self._cap.release()
