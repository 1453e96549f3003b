"""Frames for the eye: what a window shows for a frame index, without waiting for a seek.

``DisplayFrames`` answers ``frame(index)`` in this order:
1. a recently shown full-resolution frame (``FrameCache``, LRU, bounded in bytes): exact;
2. the next frame or two after the last one shown (playback and the → key): decoded on the
   caller's own source, forward (one seek at most, when playback starts), exact, so the
   sequential play path never shows a proxy;
3. the frame's proxy (core.media.display_proxy, JPEG at display size, built in the background
   after opening): ``exact`` is False and ``fetch_exact(index)`` asks a background thread
   (``FrameFetcher``, its own FrameSource) for the full-resolution frame, which replaces the
   proxy when it arrives;
4. otherwise (proxy not built that far yet): decoded on demand on the caller's source, exact.

Memory: at most ``DisplayConfig.cache_bytes`` (96 MiB) of full-resolution frames plus
``ProxyConfig.max_bytes`` (192 MiB) of JPEG proxies, 288 MiB in all (``DisplayConfig.max_bytes``)
for a video of any length, plus the one frame each thread is decoding.

Threads: ``frame`` is called on one thread (the window's); the proxy builder and the fetcher
run on their own daemon threads and never touch the caller's source.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import MediaError
from core.media.display_proxy import DisplayProxy, ProxyBuilder, ProxyConfig
from core.media.source import FrameSource
from core.types import Frame


@dataclass
class DisplayFrame(Frame):
    """A frame as a window shows it.

    image: (h, w, 3) uint8 RGB; the exact decoded frame (exact=True, h, w = the source's size),
    or its proxy (exact=False) at reduced size, covering the whole frame.
    full_size: (width, height) of the source's frames, pixels: where the image is to be drawn.
    """

    full_size: tuple[int, int] = (0, 0)
    exact: bool = True


@dataclass
class DisplayConfig:
    """Caches and proxy of the frames a window shows."""

    cache_bytes: int = 96 * 2**20
    """Upper bound of the full-resolution frames kept (96 MiB: ~35 frames of 1280x720, ~15 of
    1920x1080), the most recently shown first."""
    sequential: int = 2
    """A frame at most this many frames after the last one shown is decoded on the caller's
    source (forward, exact) instead of shown as a proxy: the play path."""
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    """The display proxy (size, JPEG quality, byte budget, builder priority)."""

    @property
    def max_bytes(self) -> int:
        """The stated bound of what DisplayFrames holds: cache plus proxy budget."""
        return self.cache_bytes + self.proxy.max_bytes


class FrameCache:
    """Least-recently-used full-resolution Frames, at most ``max_bytes`` of pixels; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self._frames: OrderedDict[int, Frame] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._frames)

    def __contains__(self, index: int) -> bool:
        return index in self._frames

    def get(self, index: int) -> Frame | None:
        with self._lock:
            frame = self._frames.get(index)
            if frame is not None:
                self._frames.move_to_end(index)
            return frame

    def put(self, frame: Frame) -> None:
        """Keep ``frame`` (evicting the least recently used); a frame larger than the whole
        budget is not kept."""
        size = frame.image.nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._frames.pop(frame.index, None)
            if old is not None:
                self.nbytes -= old.image.nbytes
            self._frames[frame.index] = frame
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, dropped = self._frames.popitem(last=False)
                self.nbytes -= dropped.image.nbytes

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self.nbytes = 0


class FrameFetcher:
    """Full-resolution frames decoded on a daemon thread from its own FrameSource.

    ``request(index)`` replaces any request not started yet (the latest one wins: a window
    wants the frame it shows now, not the ones it showed on the way). ``on_frame(Frame)`` is
    called on the fetcher's thread; frames also go into ``cache``. Unreadable frames are
    skipped (the caller keeps what it shows).
    """

    def __init__(self, path: str | Path, on_frame: Callable[[Frame], None],
                 cache: FrameCache | None = None) -> None:
        self.path = Path(path)
        self.on_frame = on_frame
        self.cache = cache
        self._wanted: int | None = None
        self._closed = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="frame-fetcher", daemon=True)
        self._thread.start()

    def request(self, index: int) -> None:
        with self._wake:
            self._wanted = int(index)
            self._wake.notify()

    def close(self, timeout_s: float = 5.0) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def _next(self) -> int | None:
        with self._wake:
            while self._wanted is None and not self._closed:
                self._wake.wait()
            if self._closed:
                return None
            index, self._wanted = self._wanted, None
            return index

    def _run(self) -> None:
        from core.media import open_source

        source = None
        try:
            while (index := self._next()) is not None:
                frame = self.cache.get(index) if self.cache is not None else None
                if frame is None:
                    try:
                        if source is None:
                            source = open_source(self.path)
                        frame = source.read(index)
                    except MediaError:
                        continue
                    if self.cache is not None:
                        self.cache.put(frame)
                self.on_frame(frame)
        finally:
            if source is not None:
                source.close()


class DisplayFrames:
    """The frames a window shows for ``source`` (see the module docstring for the order).

    source: the window's own FrameSource, read only on the calling thread.
    on_exact: called (on the fetcher's thread) with each full-resolution Frame fetched after
        ``fetch_exact``; None: no fetcher, proxies stay until the next ``frame`` call.
    proxy: True builds a display proxy in the background (sources of more than one frame).
    """

    def __init__(self, source: FrameSource, config: DisplayConfig | None = None,
                 on_exact: Callable[[Frame], None] | None = None, proxy: bool = True) -> None:
        self.source = source
        self.config = config or DisplayConfig()
        self.full_size = (source.width, source.height)
        self.cache = FrameCache(self.config.cache_bytes)
        self.proxy: DisplayProxy | None = None
        self.builder: ProxyBuilder | None = None
        if proxy and len(source) > 1:
            self.proxy = DisplayProxy(source.width, source.height, len(source), self.config.proxy)
            self.builder = ProxyBuilder(source.path, self.proxy).start()
        self.fetcher = (FrameFetcher(source.path, on_exact, self.cache)
                        if on_exact is not None and len(source) > 1 else None)
        self._last_shown = -1 - self.config.sequential

    @property
    def nbytes(self) -> int:
        """Bytes of frames held now (full-resolution cache + proxy JPEGs)."""
        return self.cache.nbytes + (self.proxy.nbytes if self.proxy is not None else 0)

    def _display(self, frame: Frame, exact: bool = True) -> DisplayFrame:
        return DisplayFrame(index=frame.index, image=frame.image, timestamp=frame.timestamp,
                            full_size=self.full_size, exact=exact)

    def read(self, index: int) -> DisplayFrame:
        """Frame ``index`` decoded on the caller's source (exact; kept in the cache).
        raises: MediaError as FrameSource.read."""
        frame = self.source.read(index)
        self.cache.put(frame)
        return self._display(frame)

    def frame(self, index: int) -> DisplayFrame:
        """What to show for frame ``index`` now: exact when cached, next in sequence or not in
        the proxy yet (decoded here), else the proxy. raises: MediaError as FrameSource.read."""
        last, self._last_shown = self._last_shown, int(index)
        cached = self.cache.get(index)
        if cached is not None:
            return self._display(cached)
        if 0 < index - last <= self.config.sequential:
            return self.read(index)
        image = self.proxy.get(index) if self.proxy is not None else None
        if image is not None:
            return DisplayFrame(index=index, image=image, timestamp=self.source.timestamp(index),
                                full_size=self.full_size, exact=False)
        return self.read(index)

    def fetch_exact(self, index: int) -> bool:
        """Ask the fetcher for the full-resolution frame ``index``; False without a fetcher."""
        if self.fetcher is None:
            return False
        self.fetcher.request(index)
        return True

    def close(self) -> None:
        """Stop the background threads and drop every frame held."""
        if self.builder is not None:
            self.builder.stop()
        if self.fetcher is not None:
            self.fetcher.close()
        self.cache.clear()
        if self.proxy is not None:
            self.proxy.clear()
