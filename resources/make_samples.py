"""Make the bundled samples in resources/samples/ from ../shared/samples (run once; the results
are committed). Needs ffmpeg on PATH.

    photo.png  PIFu's ryota.png copied as it is (512x512 RGBA, background already removed)
    video.mp4  first 48 frames of HybrIK's taiji.mp4, 640x360, H.264 (yuv420p, no audio)
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "samples"
OUT = HERE / "samples"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    shutil.copyfile(SHARED / "PIFu" / "ryota.png", OUT / "photo.png")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(SHARED / "HybrIK" / "taiji.mp4"),
                    "-frames:v", "48", "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "slow",
                    "-crf", "20", "-pix_fmt", "yuv420p", "-an", "-movflags", "+faststart",
                    "-map_metadata", "-1", str(OUT / "video.mp4")], check=True)
    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(HERE.parent)}  {p.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
