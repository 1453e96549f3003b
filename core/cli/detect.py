"""``python main.py detect INPUT --out DIR``: keypoints, 3D landmarks and masks for every frame.

Writes DIR/observations.json, DIR/masks/NNNNNN.png and DIR/previews/NNNNNN.png (layout in
core/perception/outputs.py). Frames finished before an error or Ctrl+C are still written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.media import open_source
from core.media.frame_selection import parse_frames
from core.perception.detect import detect_frames
from core.perception.outputs import write_mask, write_observations, write_preview
from core.progress import NEVER, CancelToken
from core.render.skeleton import draw_observation
from core.types import Observation


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="photo, video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--frames", default="all",
                        help="'all' (default) or comma-separated frame indices, e.g. 0,5,9")
    parser.add_argument("--every", type=int, default=1, metavar="N",
                        help="only every N-th of the chosen frames (default 1)")
    parser.add_argument("--model-complexity", type=int, default=1, choices=(0, 1),
                        help="BlazePose model: 0 lite (faster), 1 full (default)")
    parser.add_argument("--no-previews", action="store_true", help="skip DIR/previews")


def detect_to_folder(input_path: str | Path, out_dir: str | Path, frames: str = "all",
                     every: int = 1, model_complexity: int = 1, previews: bool = True,
                     cancel: CancelToken = NEVER, progress_bar: bool = True) -> list[Observation]:
    """Run detection on ``input_path`` and write the detect outputs into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    done: list[Observation] = []
    with open_source(input_path) as source:
        indices = parse_frames(frames, len(source), every)
        bar = None
        if progress_bar:
            from tqdm import tqdm
            bar = tqdm(total=len(indices), unit="frame", desc="detect", file=sys.stderr,
                       dynamic_ncols=True)
        try:
            for _progress, obs in detect_frames(source, indices, cancel=cancel,
                                                model_complexity=model_complexity):
                write_mask(out_dir, obs)
                if previews:
                    write_preview(out_dir, obs.index,
                                  draw_observation(source.read(obs.index).image, obs))
                done.append(obs)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"people {sum(o.person for o in done)}/{len(done)}")
        finally:
            if bar is not None:
                bar.close()
            write_observations(out_dir, str(source.path), source.width, source.height,
                               source.fps, done)
    return done


def run(args: argparse.Namespace) -> int:
    done = detect_to_folder(args.input, args.out, args.frames, args.every,
                            args.model_complexity, previews=not args.no_previews)
    found = sum(o.person for o in done)
    print(f"Detected a person in {found} of {len(done)} frame(s); wrote "
          f"{Path(args.out) / 'observations.json'}, masks/ and previews/.")
    return 0
