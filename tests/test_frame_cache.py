"""Frames for the eye (core.media.frame_cache, core.media.display_proxy): the LRU of shown
frames, the display proxy and its byte budget, the exact frame that replaces a proxy, the
sequential play path, and the memory bound on a 5,000-frame video."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from core.media import (DisplayConfig, DisplayFrames, DisplayProxy, FrameCache, ProxyConfig,
                        open_source)
from core.types import Frame
from numbered_video import frame_number, numbered_frame, write_numbered_video


@pytest.fixture(scope="module")
def video_5000(tmp_path_factory):
    return write_numbered_video(tmp_path_factory.mktemp("media") / "n5000.mp4", 5000)


def test_frame_cache_keeps_the_most_recent_within_its_bytes():
    one = 64 * 48 * 3
    cache = FrameCache(max_bytes=3 * one)
    for i in range(5):
        cache.put(Frame(i, np.zeros((48, 64, 3), np.uint8)))
    assert len(cache) == 3 and cache.nbytes == 3 * one
    assert cache.get(0) is None and cache.get(2) is not None
    cache.put(Frame(5, np.zeros((48, 64, 3), np.uint8)))  # 3 was used least recently
    assert 3 not in cache and 2 in cache and 5 in cache
    cache.put(Frame(9, np.zeros((480, 640, 3), np.uint8)))  # larger than the budget: not kept
    assert 9 not in cache and cache.nbytes <= cache.max_bytes


def test_proxy_plan_fits_any_length_in_the_budget():
    cfg = ProxyConfig()
    taiji = DisplayProxy(1280, 720, 412, cfg, bytes_per_pixel=0.1)
    assert taiji.size == (960, 540) and taiji.stride == 1
    small = DisplayProxy(64, 48, 5000, cfg)
    assert small.size == (64, 48) and small.stride == 1  # never larger than the frame
    hour = DisplayProxy(1920, 1080, 108_000, cfg, bytes_per_pixel=0.2)  # 1 h at 30 fps
    w, h = hour.size
    assert max(w, h) == cfg.min_side and hour.stride > 1
    planned = hour.expected * (0.2 * w * h * cfg.margin)
    assert planned <= cfg.max_bytes
    print(f"one-hour 1080p proxy: {w}x{h}, every {hour.stride} frame(s), "
          f"~{planned / 2**20:.0f} MiB planned of {cfg.max_bytes / 2**20:.0f}")


def test_proxy_round_trip_and_hard_budget():
    image = numbered_frame(1234, 640, 480)
    proxy = DisplayProxy(640, 480, 100, ProxyConfig(max_side=320, max_bytes=2**20),
                         bytes_per_pixel=0.05)
    assert proxy.put(0, image) and not proxy.put(0, image)
    small = proxy.get(0)
    assert small.shape == (240, 320, 3) and frame_number(small) == 1234
    assert proxy.get(1) is None
    # a budget too small for the plan: frames beyond it are refused, never stored
    noisy = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    tight = DisplayProxy(640, 480, 50, ProxyConfig(max_side=320, max_bytes=200_000),
                         bytes_per_pixel=0.01)
    stored = sum(tight.put(i, noisy) for i in range(50))
    assert 0 < stored < 50 and tight.full and tight.complete
    assert tight.nbytes <= 200_000


def test_display_frames_proxy_then_exact(video_5000):
    source = open_source(video_5000)
    arrived: list[Frame] = []
    got = threading.Event()

    def on_exact(frame):
        arrived.append(frame)
        got.set()

    frames = DisplayFrames(source, on_exact=on_exact)
    try:
        first = frames.frame(0)
        assert first.exact and frame_number(first.image) == 0 and first.full_size == (64, 48)
        assert frames.frame(1).exact and frames.frame(2).exact  # sequential: decoded, exact
        assert frames.builder.done.wait(60), "the proxy was not built within 60 s"
        assert frames.proxy.complete and frames.proxy.filled == 5000
        shown = frames.frame(3000)  # a jump: the proxy, no seek
        assert not shown.exact and frame_number(shown.image) == 3000
        assert frames.fetch_exact(3000) and got.wait(10)
        exact = arrived[-1]
        assert exact.index == 3000 and frame_number(exact.image) == 3000
        np.testing.assert_array_equal(exact.image, source.read(3000).image)
        again = frames.frame(3000)  # now cached: exact at once
        assert again.exact and again.image is exact.image
        # playback from there: exact frames in order
        for i in range(3001, 3006):
            f = frames.frame(i)
            assert f.exact and frame_number(f.image) == i
    finally:
        frames.close()
        source.close()


def test_scrubbing_5000_frames_stays_in_the_stated_bound(video_5000):
    """Budgets shrunk so the 5,000 frames do not all fit: the bound holds, frames stay right."""
    source = open_source(video_5000)
    cfg = DisplayConfig(cache_bytes=40 * 64 * 48 * 3,
                        proxy=ProxyConfig(max_bytes=150_000, min_side=48))
    frames = DisplayFrames(source, cfg, on_exact=lambda f: None)
    try:
        assert frames.builder.done.wait(60)
        assert frames.proxy.nbytes <= 150_000 and frames.proxy.stride > 1
        seen = 0
        for k, index in enumerate(range(0, 5000, 37)):
            shown = frames.frame(index)
            assert frame_number(shown.image) == index
            seen += not shown.exact
            assert frames.nbytes <= cfg.max_bytes
        assert seen > 0, "no step was served by the proxy"
        print(f"proxy {frames.proxy.size}, every {frames.proxy.stride}, "
              f"{frames.proxy.nbytes} B; cache {frames.cache.nbytes} B; bound {cfg.max_bytes} B")
    finally:
        frames.close()
        source.close()
