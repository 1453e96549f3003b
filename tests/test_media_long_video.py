"""A 5,000-frame video: exact seek to frame 4,500 with bounded memory (measured in a child
process so this test's own imports do not count)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
W, H, BITS = 160, 120, 13  # 2**13 = 8192 > 5000
CELL = 20  # each bit is a 20x20 block: survives mp4v compression


def encode_index(index: int) -> np.ndarray:
    """(H, W, 3) uint8 BGR frame with ``index`` as black/white blocks (bit k at block k)."""
    img = np.zeros((H, W, 3), np.uint8)
    for k in range(BITS):
        if index >> k & 1:
            r, c = divmod(k, W // CELL)
            img[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = 255
    return img


def decode_index(image: np.ndarray) -> int:
    """Inverse of encode_index: the mean of each block's centre, thresholded."""
    value = 0
    for k in range(BITS):
        r, c = divmod(k, W // CELL)
        block = image[r * CELL + 5:(r + 1) * CELL - 5, c * CELL + 5:(c + 1) * CELL - 5]
        value |= int(block.mean() > 127) << k
    return value


CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[2])
from core.media import open_source
from tests.test_media_long_video import decode_index
with open_source(sys.argv[1]) as src:
    got = {i: decode_index(src.read(i).image) for i in (4500, 4501, 4499, 17, 4999)}
    n = len(src)
try:  # peak RSS of this process image (ru_maxrss would include the parent's, kept across exec)
    peak = [int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1024)
print(json.dumps({"n": n, "got": got, "maxrss_mb": peak}))
"""


def test_seek_in_5000_frame_video_with_bounded_memory(tmp_path):
    path = tmp_path / "long.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (W, H))
    for i in range(5000):
        writer.write(encode_index(i))
    writer.release()
    assert decode_index(encode_index(4500)) == 4500

    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(REPO)], capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] == 5000
    assert result["got"] == {"4500": 4500, "4501": 4501, "4499": 4499, "17": 17, "4999": 4999}
    print(result)
    assert 30 < result["maxrss_mb"] < 500, result
