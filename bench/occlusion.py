"""Occlusion sensitivity on the sample photo: the whole `occlusion` command's wall time with its
defaults, the per-patch cost (perception + fast fit), and whether the body map is brightest over
the person (mean of the body map over person cells vs background cells).

    .venv/bin/python bench/occlusion.py            # defaults (the figure in bench/README.md)
    .venv/bin/python bench/occlusion.py --quick    # 128-px patches, 3 timed patches
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PHOTO = REPO.parent / "shared" / "samples" / "PIFu" / "ryota.png"


def per_patch_cost(photo: Path, patches: int) -> tuple[float, float]:
    """Median CPU seconds of (perception, fast fit) of ``patches`` occluded copies of the photo
    (CPU time: the figure a shared machine distorts least; both run on one thread)."""
    import torch

    from core.analysis.occlusion import occlude, plain_pose_detector
    from core.body import load_body_model
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source
    from core.types import Frame

    torch.set_num_threads(1)
    with open_source(photo) as source:
        frame, camera = source.read(0), source.camera
    body = load_body_model("anny")
    detect, fit = [], []
    with plain_pose_detector() as detector:
        detector.detect(frame)  # warm-up
        for k in range(patches):
            box = np.array([60 + 60 * k, 200, 133 + 60 * k, 273])
            image = Frame(0, occlude(frame.image, box))
            t0 = time.process_time()
            obs = detector.detect(image)
            t1 = time.process_time()
            fit_observation(obs, camera, body, FitConfig(quality="fast"))
            detect.append(t1 - t0)
            fit.append(time.process_time() - t1)
    return statistics.median(detect), statistics.median(fit)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="128-px patches, 3 timed patches")
    ap.add_argument("--input", default=str(PHOTO))
    ap.add_argument("--out", default=str(REPO / "bench" / "_out" / "occlusion"))
    args = ap.parse_args()
    cmd = [sys.executable, "main.py", "occlusion", args.input, "--out", args.out]
    if args.quick:
        cmd += ["--patch", "128"]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = child.ru_utime + child.ru_stime
    if run.returncode != 0:
        print(run.stderr[-2000:], file=sys.stderr)
        return 1
    doc = json.loads((Path(args.out) / "occlusion.json").read_text())
    body = np.array([[np.nan if v is None else v for v in row] for row in doc["body"]], float)
    region = np.array(doc["region"])
    person, background = region != "background", region == "background"
    cells = body.size
    bright = np.unravel_index(np.nanargmax(body), body.shape)
    detect, fit = per_patch_cost(Path(args.input), 3 if args.quick else 8)
    print(f"input {Path(args.input).name}: {len(doc['y'])}x{len(doc['x'])} = {cells} patches of "
          f"{doc['patch']} px, stride {doc['stride']} px")
    print(f"whole command: {wall:.1f} s wall, {cpu:.1f} s CPU (analysis {doc['seconds']:.1f} s, "
          f"{doc['seconds'] / (cells + 1):.2f} s per fit incl. the unoccluded one)")
    print(f"per patch (CPU): perception {detect * 1000:.0f} ms + fast fit {fit * 1000:.0f} ms")
    print(f"body map: person cells {np.nanmean(body[person]):.1f} mm mean "
          f"({int(person.sum())} cells), background {np.nanmean(body[background]):.1f} mm "
          f"({int(background.sum())} cells), noise floor {doc['noise_floor_mm']} mm; brightest "
          f"cell {tuple(int(v) for v in bright)} over {region[bright]} ({np.nanmax(body):.0f} mm)")
    print(f"persons lost: {sum(map(sum, doc['lost']))} of {cells} patches")
    for row in doc["table"]:
        joints = ", ".join(f"{j['joint']} {j['mm']:.0f}" for j in row["joints"])
        print(f"  {row['region']:>10} ({row['cells']:2d} cells): {joints}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
