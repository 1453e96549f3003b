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


def demo_steps() -> list[DemoStep]:
    """The demo job in order. Later stages append their step here."""
    return [
        DemoStep("detect", _detect, ("detect/observations.json", "detect/previews/000000.png")),
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
