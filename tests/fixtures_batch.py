"""Folders of real photos for the batch tests: the bundled sample, PIFu's ryota at another size
and the 4D-Humans squat shrunk to 512 px (all of one person, full body), cycled."""
from __future__ import annotations

from pathlib import Path

import cv2

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"


def sample_photos(folder: Path, count: int) -> list[Path]:
    """Write ``count`` photos person0.png, person1.jpg, ... into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [cv2.imread(str(REPO / "resources" / "samples" / "photo.png"))]
    ryota = SAMPLES / "PIFu" / "ryota.png"
    if ryota.exists():
        sources.append(cv2.resize(cv2.imread(str(ryota)), (384, 384), interpolation=cv2.INTER_AREA))
    squat = SAMPLES / "4D-Humans" / "pexels-anete-lusina-4793258.jpg"
    if squat.exists():
        sources.append(cv2.resize(cv2.imread(str(squat)), (341, 512), interpolation=cv2.INTER_AREA))
    paths = []
    for n in range(count):
        path = folder / f"person{n}.{'png' if n % 2 == 0 else 'jpg'}"
        cv2.imwrite(str(path), sources[n % len(sources)])
        paths.append(path)
    return paths
