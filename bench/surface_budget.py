"""Time and memory of one clothed surface: a 512-pixel photo and a 24-megapixel one.

    .venv/bin/python bench/surface_budget.py [--quick] [--repeats 3]

For each photo (PIFu's ryota.png, 512x512 with its mask; 4D-Humans' pexels photo, 4016x6016)
the person is detected and the body fitted once (not timed; cached in bench/_out/surface_budget/),
then every mode runs in a fresh process that loads only those inputs: wall and CPU seconds of
``reconstruct_surface`` (the best of ``--repeats`` runs after one warm-up), and the process's peak
resident memory, minus what it held before the surface started (the photo, the mask, the body
model), both shown. Default settings.
"""
from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "_out" / "surface_budget"
SAMPLES = ROOT.parent / "shared" / "samples"
PHOTOS = {"ryota 512x512": (SAMPLES / "PIFu" / "ryota.png", SAMPLES / "PIFu" / "ryota_mask.png"),
          "4D-Humans 4016x6016": (SAMPLES / "4D-Humans" / "pexels-anete-lusina-4793258.jpg",
                                  None)}


def prepare(name: str) -> Path:
    """Detect and fit the photo once; the pickled (image, camera, observation, fit)."""
    import numpy as np

    path = OUT / (name.split()[0] + ".pkl")
    if path.exists():
        return path
    from core.body import load_body_model
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source, read_image
    from core.perception import PoseDetector

    image_path, mask_path = PHOTOS[name]
    body = load_body_model("anny")
    with open_source(image_path) as src:
        frame, cam = src.read(0), src.camera
    with PoseDetector("image") as det:
        obs = det.detect(frame)
    if mask_path is not None:
        obs.mask = (read_image(mask_path)[0].mean(-1) > 127).astype(np.float32)
    fit = fit_observation(obs, cam, body, FitConfig())
    OUT.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump((frame.image, cam, obs, fit), f)
    return path


def measure(path: Path, mode: str, repeats: int) -> dict:
    """Run one mode in this process (called in a child): timings and peak memory."""
    import resource
    import time

    import torch

    from core.body import load_body_model
    from core.surface import SurfaceConfig, reconstruct_surface

    torch.set_num_threads(2)
    with open(path, "rb") as f:
        image, cam, obs, fit = pickle.load(f)
    body = load_body_model("anny")
    before = int(open("/proc/self/statm").read().split()[1]) * 4096
    cfg = SurfaceConfig(mode=mode)
    reconstruct_surface(image, obs, fit, body, cfg)
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        s = reconstruct_surface(image, obs, fit, body, cfg)
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"wall": best_wall, "cpu": best_cpu, "peak": peak, "before": before,
            "grid": list(s.grid), "vertices": s.num_vertices}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one timed run each")
    ap.add_argument("--child", nargs=3, metavar=("PICKLE", "MODE", "REPEATS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), args.child[1], int(args.child[2]))))
        return 0
    repeats = 1 if args.quick else args.repeats
    print("| photo | mode | s/surface (wall) | CPU s | peak memory GB (process) | of which "
          "before the surface | grid |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name in PHOTOS:
        path = prepare(name)
        for mode in ("depth", "implicit"):
            out = subprocess.run([sys.executable, __file__, "--child", str(path), mode,
                                  str(repeats)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {name} | {mode} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                  f"{r['peak'] / 2**30:.2f} | {r['before'] / 2**30:.2f} | "
                  f"{'x'.join(str(g) for g in r['grid'])} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
