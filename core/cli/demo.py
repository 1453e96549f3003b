"""``python main.py demo [--out DIR]``: the main job, headless, on the bundled sample photo.

The job is a list of steps (``demo_steps()``); each step takes the shared ``DemoContext``,
writes under ``ctx.out_dir`` and may leave results in ``ctx.results`` for later steps. Stages
added later (fit, reconstruct, export) append a ``DemoStep`` to the list in ``demo_steps``.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import MissingAssetError

REPO = Path(__file__).resolve().parents[2]
#: The bundled sample (see resources/README.md for its origin and licence).
SAMPLE_PHOTO = REPO / "resources" / "samples" / "photo.png"


@dataclass
class DemoContext:
    """input: the sample photo. out_dir: where every step writes. device: --device or None.
    results: step name -> whatever the step returns, for later steps to use."""

    input: Path
    out_dir: Path
    device: str | None = None
    results: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DemoStep:
    """name: short label printed while it runs. run: the work; its return value is stored in
    ``ctx.results[name]``. outputs: paths under out_dir worth pointing the user to."""

    name: str
    run: Callable[[DemoContext], object]
    outputs: tuple[str, ...] = ()


def _detect(ctx: DemoContext) -> object:
    from core.cli.detect import detect_to_folder

    obs = detect_to_folder(ctx.input, ctx.out_dir / "detect", progress_bar=False)
    if not obs or not obs[0].person:
        raise MissingAssetError(f"No person was detected in the sample '{ctx.input}'; the "
                                "bundled sample is damaged — restore resources/samples/.")
    return obs[0]


def _fit(ctx: DemoContext) -> object:
    from core.body import load_body_model
    from core.export.fits import write_fits_json, write_frame_outputs
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source

    obs = ctx.results["detect"]
    body = load_body_model("anny", device=ctx.device)
    out = ctx.out_dir / "fit"
    with open_source(ctx.input) as source:
        fit = fit_observation(obs, source.camera, body, FitConfig(device=ctx.device))
        record = write_frame_outputs(out, fit, source.read(0).image, body, obs)
    write_fits_json(out, body.name, str(ctx.input), [record])
    print(f"    keypoint error {fit.error:.1f} px, silhouette IoU {fit.iou:.2f}")
    return fit


def _surface(ctx: DemoContext) -> object:
    from core.body import load_body_model
    from core.export.mesh_io import write_obj
    from core.media import open_source
    from core.surface import SurfaceConfig, reconstruct_surface

    obs, fit = ctx.results["detect"], ctx.results["fit"]
    body = load_body_model("anny", device=ctx.device)
    with open_source(ctx.input) as source:
        image = source.read(0).image
    for mode in ("depth", "implicit"):
        surf = reconstruct_surface(image, obs, fit, body, SurfaceConfig(mode=mode))
        write_obj(ctx.out_dir / "surface" / f"clothed_{mode}.obj", surf.vertices, surf.faces,
                  vertex_colors=surf.vertex_colors)
        print(f"    {mode}: {len(surf.vertices)} vertices, {len(surf.faces)} faces")
    return surf


def demo_steps() -> list[DemoStep]:
    """The demo job in order: detect -> fit the body -> clothed surface (both modes)."""
    return [
        DemoStep("detect", _detect, ("detect/observations.json", "detect/previews/000000.png")),
        DemoStep("fit", _fit, ("fit/fits.json", "fit/meshes/000000.obj",
                               "fit/overlays/000000.png")),
        DemoStep("surface", _surface, ("surface/clothed_depth.obj", "surface/clothed_implicit.obj")),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="outputs/demo", help="output folder (default "
                        "./outputs/demo)")


def run(args: argparse.Namespace) -> int:
    if not SAMPLE_PHOTO.is_file():
        raise MissingAssetError(f"The bundled sample '{SAMPLE_PHOTO}' is missing; restore it "
                                "with 'git checkout resources/samples' or run "
                                "'python resources/make_samples.py'.")
    ctx = DemoContext(SAMPLE_PHOTO, Path(args.out).resolve(), getattr(args, "device", None))
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    for step in demo_steps():
        t0 = time.perf_counter()
        print(f"[{step.name}] running ...", flush=True)
        ctx.results[step.name] = step.run(ctx)
        print(f"[{step.name}] done in {time.perf_counter() - t0:.1f} s", flush=True)
        for rel in step.outputs:
            print(f"    {ctx.out_dir / rel}")
    print(f"Demo finished; outputs are in {ctx.out_dir}")
    return 0
