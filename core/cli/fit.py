"""``python main.py fit INPUT --out DIR``: detect the person, fit the body model to each frame.

Writes (frames finished before an error or Ctrl+C are still written), through core.export.fits
(the record format is described there):
    DIR/fits.json                 {"body_model", "input", "frames": [per-frame record, ...]}
    DIR/meshes/NNNNNN.obj         fitted body, camera frame, metres (with UVs when the model has them)
    DIR/overlays/NNNNNN.png       the body drawn over the frame
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from core.types import FrameFit

QUALITIES = ("fast", "balanced", "best")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.body import BODY_MODELS

    parser.add_argument("input", help="photo, video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--body", default="anny", choices=BODY_MODELS,
                        help="body model (default anny; smpl/smplh/smplx need --model-dir)")
    parser.add_argument("--model-dir", default=None,
                        help="folder with the licensed SMPL/SMPL-H/SMPL-X files (smplx layout)")
    parser.add_argument("--frames", default="all",
                        help="'all' (default: the photo, or every frame of a video) or "
                             "comma-separated frame indices, e.g. 0,5,9")
    parser.add_argument("--quality", default="balanced", choices=QUALITIES,
                        help="fit quality: fast, balanced (default) or best")


def fit_to_folder(input_path: str | Path, out_dir: str | Path, body_name: str = "anny",
                  model_dir: str | None = None, frames: str = "all", quality: str = "balanced",
                  device: str | None = None, progress_bar: bool = True) -> list[FrameFit]:
    """Detect, fit and write the fit outputs of ``input_path`` into ``out_dir``."""
    from core.body import load_body_model
    from core.export.fits import write_fits_json, write_frame_outputs
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source
    from core.media.frame_selection import parse_frames
    from core.perception.detect import detect_frames

    config = FitConfig(quality=quality, device=device)
    body = load_body_model(body_name, model_dir, config.device)  # a missing SMPL file fails first
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fits: list[FrameFit] = []
    records: list[dict] = []
    with open_source(input_path) as source:
        indices = parse_frames(frames, len(source))
        bar = None
        if progress_bar:
            from tqdm import tqdm
            bar = tqdm(total=len(indices), unit="frame", desc="fit", file=sys.stderr,
                       dynamic_ncols=True)
        try:
            for _progress, obs in detect_frames(source, indices):
                fit = fit_observation(obs, source.camera, body, config)
                fits.append(fit)
                records.append(write_frame_outputs(out_dir, fit, source.read(obs.index).image,
                                                   body, obs))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"fitted {sum(f.params is not None for f in fits)}/{len(fits)}")
        finally:
            if bar is not None:
                bar.close()
            write_fits_json(out_dir, body.name, str(source.path), records)
    return fits


def run(args: argparse.Namespace) -> int:
    import torch

    # Every optimizer step works on small tensors: one thread is as fast as two on an idle
    # machine and several times faster on a busy one (no intra-op synchronisation).
    torch.set_num_threads(1)
    fits = fit_to_folder(args.input, args.out, args.body, args.model_dir, args.frames,
                         args.quality, args.device)
    done = [f for f in fits if f.params is not None]
    ious = [f.iou for f in done if math.isfinite(f.iou)]
    extra = f", median silhouette IoU {np.median(ious):.2f}" if ious else ""
    print(f"Fitted the {args.body} body to {len(done)} of {len(fits)} frame(s){extra}; wrote "
          f"{Path(args.out) / 'fits.json'}, meshes/ and overlays/.")
    return 0
