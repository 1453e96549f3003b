"""A proxy of a whole video at display resolution, held as JPEG bytes in a stated byte budget.

Scrubbing a video seeks: FFmpeg jumps to the keyframe before the target and decodes forward,
tens of milliseconds per step at 720p, and far more when a job keeps the cores busy. A proxy
frame instead is one JPEG decode of a frame already shrunk to about what the window shows
(``ProxyConfig.max_side``, 960 px: about 2 ms of CPU), whatever the step, the direction or
the codec's keyframe interval.

Memory: the JPEG bytes of all proxy frames together never exceed ``ProxyConfig.max_bytes``
(192 MiB by default). Before the first frame is stored, the proxy measures how many bytes a
frame of this video takes and picks the largest frame size (from ``max_side`` down to
``min_side``) at which the whole video fits the budget; a video too long even for ``min_side``
keeps every k-th frame (``stride``); a frame that would still overflow the budget is refused.
taiji.mp4 (412 frames, 1280x720) takes ~20 MB at 960x540; a one-hour 1080p video at 30 fps
(108,000 frames) gets 240x135 frames, about every 5th one, in the same 192 MiB (the others are
decoded on demand).

``ProxyBuilder`` fills a proxy on its own thread at the weakest priority (nice 19), decoding
the video once from the start through its own ``FrameSource``; frames not in the proxy yet are
decoded on demand by the caller. A job that decodes every frame anyway could ``put`` them too,
but the JPEG encode would cost it ~2-3 ms per frame, about a tenth of a tracking job's speed,
so the window leaves jobs alone and builds in the background.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.errors import MediaError
from core.threads import lower_thread_priority

#: Bytes of bookkeeping counted per stored frame on top of its JPEG bytes (the Python object).
ENTRY_OVERHEAD = 64


@dataclass
class ProxyConfig:
    """Size, quality and budget of a display proxy."""

    max_side: int = 960
    """Longer side of a proxy frame, pixels: about what the frame view shows of a frame fitted
    into the window (1280x720 -> 960x540, 1920x1080 -> 960x540). Never larger than the frame."""
    min_side: int = 240
    """Smallest longer side a long video's proxy shrinks to before it keeps every k-th frame."""
    max_bytes: int = 192 * 2**20
    """Upper bound of the JPEG bytes of all proxy frames together (192 MiB)."""
    quality: int = 85
    """JPEG quality, 0-100."""
    margin: float = 1.3
    """Frames are planned at this many times the bytes the first frame took (later frames of a
    video vary in detail); the budget itself is enforced frame by frame."""
    nice: int = 19
    """Steps by which the builder thread's nice value is raised (core.threads): it decodes with
    whatever CPU the window and the jobs leave."""


class DisplayProxy:
    """JPEG frames of a ``count``-frame source at display size; thread-safe.

    width, height: size of the source's frames, pixels. size: (w, h) of a proxy frame; stride:
    only frames with ``index % stride == 0`` are kept. Both are planned from the byte budget
    (see the module docstring) and fixed once the first frame is stored.
    """

    def __init__(self, width: int, height: int, count: int, config: ProxyConfig | None = None,
                 bytes_per_pixel: float = 0.15) -> None:
        self.config = config or ProxyConfig()
        self.width, self.height, self.count = int(width), int(height), int(count)
        self._jpeg: list[bytes | None] = [None] * self.count
        self._lock = threading.Lock()
        self.nbytes = 0
        self.filled = 0
        self.full = False  # a frame was refused because the budget was spent
        self.plan(bytes_per_pixel)

    # ---- planning -------------------------------------------------------------------------------
    def plan(self, bytes_per_pixel: float) -> None:
        """Choose ``size`` and ``stride`` for frames of ``bytes_per_pixel`` JPEG bytes per pixel
        (ignored once a frame is stored)."""
        if self.filled:
            return
        c = self.config
        longer = max(self.width, self.height)
        side = float(min(c.max_side, longer))
        floor = float(min(c.min_side, side))
        budget = c.max_bytes / max(1, self.count)
        while True:
            w, h = self._size_at(side)
            per_frame = bytes_per_pixel * w * h * c.margin + ENTRY_OVERHEAD
            if per_frame <= budget or side <= floor:
                break
            side = max(floor, side * 0.85)
        self.size = (w, h)
        self.scale = w / self.width
        self.stride = max(1, math.ceil(per_frame / budget)) if per_frame > budget else 1

    def _size_at(self, side: float) -> tuple[int, int]:
        s = min(1.0, side / max(self.width, self.height))
        return max(1, round(self.width * s)), max(1, round(self.height * s))

    def calibrate(self, image: np.ndarray) -> None:
        """Plan from the JPEG size of ``image`` ((H, W, 3) uint8 RGB, a typical frame)."""
        if self.filled:
            return
        w, h = self._size_at(min(self.config.max_side, max(self.width, self.height)))
        data = self._encode(image, (w, h))
        self.plan(len(data) / (w * h))

    # ---- frames ---------------------------------------------------------------------------------
    def wanted(self, index: int) -> bool:
        """True when frame ``index`` belongs in the proxy (in range, on the stride)."""
        return 0 <= index < self.count and index % self.stride == 0

    def has(self, index: int) -> bool:
        return 0 <= index < self.count and self._jpeg[index] is not None

    def _encode(self, image: np.ndarray, size: tuple[int, int]) -> bytes:
        small = image if image.shape[1::-1] == size else cv2.resize(
            image, size, interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, int(self.config.quality)])
        if not ok:
            raise MediaError("A proxy frame could not be encoded as JPEG.")
        return buf.tobytes()

    def put(self, index: int, image: np.ndarray) -> bool:
        """Store frame ``index`` (image (H, W, 3) uint8 RGB at full size). returns: True when
        stored; False when not wanted, already stored, or over the byte budget."""
        if not self.wanted(index) or self.has(index):
            return False
        data = self._encode(image, self.size)
        cost = len(data) + ENTRY_OVERHEAD
        with self._lock:
            if self._jpeg[index] is not None:
                return False
            if self.nbytes + cost > self.config.max_bytes:
                self.full = True
                return False
            self._jpeg[index] = data
            self.nbytes += cost
            self.filled += 1
        return True

    def get(self, index: int) -> np.ndarray | None:
        """Proxy of frame ``index``: (h, w, 3) uint8 RGB of ``size``, or None when not stored."""
        if not 0 <= index < self.count:
            return None
        data = self._jpeg[index]
        if data is None:
            return None
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    @property
    def expected(self) -> int:
        """Number of frames the proxy is planned to hold."""
        return len(range(0, self.count, self.stride))

    @property
    def complete(self) -> bool:
        """True when every planned frame is stored (or the budget is spent)."""
        return self.full or self.filled >= self.expected

    def clear(self) -> None:
        with self._lock:
            self._jpeg = [None] * self.count
            self.nbytes = self.filled = 0
            self.full = False


class ProxyBuilder:
    """Fills a DisplayProxy from ``path`` on a daemon thread at low priority.

    The thread opens its own FrameSource (core.media.open_source), calibrates the proxy on
    frame 0 and decodes forward; unreadable frames are skipped. ``done`` is set when it ends
    (complete, stopped or failed; ``error`` then holds the sentence of a failure).
    """

    def __init__(self, path: str | Path, proxy: DisplayProxy) -> None:
        self.path = Path(path)
        self.proxy = proxy
        self.done = threading.Event()
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="display-proxy", daemon=True)

    def start(self) -> "ProxyBuilder":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Ask the thread to stop and wait for it; returns True when it ended."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def _run(self) -> None:
        from core.media import open_source

        lower_thread_priority(self.proxy.config.nice)
        try:
            source = open_source(self.path)
        except Exception as exc:  # noqa: BLE001 - a proxy is an optimisation: report, go on
            self.error = str(exc)
            self.done.set()
            return
        try:
            n = min(len(source), self.proxy.count)
            if n and not self.proxy.filled:
                self.proxy.calibrate(source.read(0).image)
            for index in range(0, n, self.proxy.stride):
                if self._stop.is_set() or self.proxy.full:
                    break
                if self.proxy.has(index):
                    continue
                try:
                    image = source.read(index).image
                except MediaError:
                    continue
                self.proxy.put(index, image)
        except Exception as exc:  # noqa: BLE001
            self.error = str(exc)
        finally:
            source.close()
            self.done.set()
