"""Decode and perception time per frame at 720p and 1080p, the pose alone and with the face and
hand cues (prints tables; not a test).

    .venv/bin/python bench/perception.py [--frames 60] [--warmup 5] [--model-complexity 1]

decode: FrameSource.read of consecutive frames (the streaming path, RGB out).
pose: PoseDetector("video", cues=None).detect on those frames (tracking mode, segmentation on,
the mask resized back to frame size). pose + cues: the default detector, which adds the face
mesh and the hand landmarks on crops the pose places (core.perception.cues; in video mode the
hands run every sixth frame and the face every fourth, so the cost is a mean over the frames,
not a median). Means over --frames frames after --warmup; ratio = with cues / pose alone.
"1080p landscape" is taiji upscaled to 1920x1080 before perception (decode column: decode of the
720p file + resize).
Photos: PoseDetector("image").detect on single photos, pose alone and with the cues (median of
five calls after one warm-up), and the cues' extra milliseconds.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.media import open_source  # noqa: E402
from core.perception import PoseDetector  # noqa: E402
from core.types import Frame  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
CASES = [
    ("720p landscape (taiji 1280x720)", SAMPLES / "HybrIK" / "taiji.mp4", None),
    ("1080p landscape (taiji resized 1920x1080)", SAMPLES / "HybrIK" / "taiji.mp4", (1920, 1080)),
    ("1080p portrait (dribble 1080x1920)", SAMPLES / "mmhuman3d" / "single_person_demo.mp4", None),
]


def bench(path: Path, size: tuple[int, int] | None, frames: int, warmup: int,
          complexity: int, cues) -> tuple[float, float, int]:
    decode_ms, detect_ms, people = [], [], 0
    with open_source(path) as src, PoseDetector("video", complexity, cues=cues) as det:
        n = min(len(src), warmup + frames)
        for i in range(n):
            t0 = time.perf_counter()
            frame = src.read(i)
            if size is not None:
                frame = Frame(i, cv2.resize(frame.image, size, interpolation=cv2.INTER_LINEAR))
            t1 = time.perf_counter()
            obs = det.detect(frame)
            t2 = time.perf_counter()
            if i >= warmup:
                decode_ms.append((t1 - t0) * 1e3)
                detect_ms.append((t2 - t1) * 1e3)
                people += obs.person
    return statistics.mean(decode_ms), statistics.mean(detect_ms), people


def photo(path: Path, complexity: int, cues) -> float:
    with open_source(path) as src, PoseDetector("image", complexity, cues=cues) as det:
        frame = src.read(0)
        det.detect(frame)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            det.detect(frame)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


PHOTOS = [("ryota 512x512", SAMPLES / "PIFu" / "ryota.png"),
          ("taiji frame 1280x720", SAMPLES / "HybrIK" / "taiji.mp4")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--model-complexity", type=int, default=1, choices=(0, 1))
    a = ap.parse_args()
    print(f"# perception bench: {platform.processor() or platform.machine()}, "
          f"{cv2.getNumberOfCPUs()} CPUs, cv2 {cv2.__version__}, model_complexity "
          f"{a.model_complexity}, mean of {a.frames} frames after {a.warmup} warm-up")
    print(f"| {'video input':<44} | decode ms/frame | pose ms/frame | pose + cues ms/frame | ratio | person |")
    print(f"|{'-' * 46}|----------------:|--------------:|---------------------:|------:|-------:|")
    for name, path, size in CASES:
        if not path.exists():
            print(f"| {name:<44} | (missing {path}) | | | | |")
            continue
        dec, alone, people = bench(path, size, a.frames, a.warmup, a.model_complexity, None)
        _, both, _ = bench(path, size, a.frames, a.warmup, a.model_complexity, "default")
        print(f"| {name:<44} | {dec:15.1f} | {alone:13.1f} | {both:20.1f} | "
              f"{both / alone:5.2f} | {people:>3}/{a.frames} |")
    print()
    print(f"| {'photo':<24} | pose ms | pose + cues ms | cues ms |")
    print(f"|{'-' * 26}|--------:|---------------:|--------:|")
    for name, path in PHOTOS:
        if path.exists():
            alone = photo(path, a.model_complexity, None)
            both = photo(path, a.model_complexity, "default")
            print(f"| {name:<24} | {alone:7.1f} | {both:14.1f} | {both - alone:7.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
