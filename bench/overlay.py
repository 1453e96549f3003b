"""Render benchmarks: body overlay, rasterizer, silhouette loss, mesh export.

Run from the repository root: ``.venv/bin/python bench/overlay.py``. Uses the default Anny body
(13,718 vertices, 27,420 triangles) in the rest pose, placed so it fills 90 % of the image
height. Prints a markdown table of wall-time medians and minima and CPU-time medians over 20
runs after 2 warm-up runs.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.body import load_body_model  # noqa: E402
from core.export.mesh_io import write_obj  # noqa: E402
from core.render.overlay import draw_body  # noqa: E402
from core.render.raster import rasterize, render_mask  # noqa: E402
from core.render.silhouette import SilhouetteTarget  # noqa: E402
from core.types import Camera  # noqa: E402

RUNS = 20


def timed(fn, runs: int = RUNS) -> tuple[float, float, float]:
    """(median wall, min wall, median CPU) time of fn() in milliseconds. The CPU time of this
    process is what a busy shared machine distorts least (for single-threaded numpy code it is
    the wall time the call takes on an idle core)."""
    for _ in range(2):
        fn()
    ts, cs = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return 1000 * float(np.median(ts)), 1000 * float(np.min(ts)), 1000 * float(np.median(cs))


def body_filling(camera: Camera, vertices: np.ndarray, fill: float = 0.9) -> np.ndarray:
    """The body moved along z (and centred) so it spans ``fill`` of the image height."""
    lo, hi = vertices.min(0), vertices.max(0)
    centre = (lo + hi) / 2
    z = camera.fy * (hi[1] - lo[1]) / (fill * camera.height) + (centre[2] - lo[2])
    return (vertices - centre + np.float32([0, 0, z])).astype(np.float32)


def main() -> None:
    model = load_body_model("anny", device="cpu")
    rest, _, _ = model.evaluate(model.default_params())
    faces = model.faces
    rows = []

    def row(name: str, fn) -> None:
        med, low, cpu = timed(fn)
        rows.append((name, med, low, cpu))
        print(f"{name:58s} {med:7.1f} {low:7.1f} {cpu:7.1f}", flush=True)

    print(f"{'case':58s} {'median':>7s} {'min':>7s} {'cpu':>7s}  (ms)")
    for (w, h, label) in [(1280, 720, "720p"), (1920, 1080, "1080p")]:
        cam = Camera.from_fov(w, h)
        v = body_filling(cam, rest)
        image = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
        row(f"draw_body {label} ({w}x{h})", lambda: draw_body(image, v, faces, cam))
    for (w, h, label) in [(512, 512, "512x512"), (1920, 1080, "1080p")]:
        cam = Camera.from_fov(w, h)
        v = body_filling(cam, rest)
        row(f"rasterize {label}: depth + face", lambda: rasterize(v, faces, cam))
        row(f"rasterize {label}: + back depth", lambda: rasterize(v, faces, cam, back=True))
        row(f"rasterize {label}: + back + barycentrics",
            lambda: rasterize(v, faces, cam, back=True, barycentric=True))
        row(f"render_mask {label}", lambda: render_mask(v, faces, cam))
    cam = Camera.from_fov(1080, 1920)
    v = body_filling(cam, rest)
    target = SilhouetteTarget.from_mask(render_mask(v, faces, cam), cam, max_side=256)
    x = torch.from_numpy(v)[None] + torch.tensor([0.05, 0.0, 0.0])
    x.requires_grad_(True)

    def fwd_bwd():
        x.grad = None
        target.loss(x).sum().backward()

    with torch.no_grad():
        row("silhouette loss, 256 px mask, B=1: forward", lambda: target.loss(x))
    row("silhouette loss, 256 px mask, B=1: forward + backward", fwd_bwd)
    with tempfile.TemporaryDirectory() as tmp:
        colours = np.full((len(rest), 3), 200, np.uint8)
        row("write_obj body with vertex colours",
            lambda: write_obj(Path(tmp) / "b.obj", rest, faces, vertex_colors=colours))
    print()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    print(f"Load average at the end: {os.getloadavg()[0]:.1f}")
    print("| case | median ms | min ms | median CPU ms |\n|---|---:|---:|---:|")
    for name, med, low, cpu in rows:
        print(f"| {name} | {med:.1f} | {low:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
