"""``python main.py fit INPUT --out DIR``: detect the person, fit the body model to each frame.

Writes (frames finished before an error or Ctrl+C are still written), through core.export.fits
(the record format is described there) and core.export.formats (``--formats``):
    DIR/fits.json                 {"body_model", "input", "frames": [per-frame record, ...]}
                                  (+ "gaps" for a video or folder)
    DIR/overlays/NNNNNN.png       the body drawn over the frame
    obj:  DIR/meshes/NNNNNN.obj   fitted body, camera frame, metres (UVs when the model has them)
    glb:  DIR/meshes/NNNNNN.glb   fitted body, upright (or --orientation camera)
    bvh:  DIR/motion.bvh          the fitted frames as one motion (frames between hold the pose)
    smpl: DIR/smpl_params.npz, DIR/pare_output.pkl   SMPL-layout parameters (SMPL bodies)
Default formats: obj for a photo, glb,bvh for a video or frame folder (+ smpl for SMPL bodies).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from core.export.formats import add_formats_argument
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
    add_formats_argument(parser, "fit")


def fit_to_folder(input_path: str | Path, out_dir: str | Path, body_name: str = "anny",
                  model_dir: str | None = None, frames: str = "all", quality: str = "balanced",
                  device: str | None = None, progress_bar: bool = True,
                  formats: str | None = None, orientation: str = "upright") -> list[FrameFit]:
    """Detect, fit and write the fit outputs of ``input_path`` into ``out_dir``.

    formats: the ``--formats`` text (None: the default for the input's kind)."""
    from core.body import load_body_model
    from core.export.fits import frame_record, write_fits_json, write_frame_overlay
    from core.export.formats import (motion_gaps, parse_formats, write_frame_files,
                                     write_sequence_files)
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
        chosen = parse_formats(formats, "fit", source.kind, body.name)
        indices = parse_frames(frames, len(source))
        observations = {}
        bar = None
        if progress_bar:
            from tqdm import tqdm
            bar = tqdm(total=len(indices), unit="frame", desc="fit", file=sys.stderr,
                       dynamic_ncols=True)
        try:
            for _progress, obs in detect_frames(source, indices):
                fit = fit_observation(obs, source.camera, body, config)
                fits.append(fit)
                observations[obs.index] = obs
                write_frame_files(out_dir, fit, body, chosen, orientation=orientation)
                write_frame_overlay(out_dir, fit, source.read(obs.index).image, body, obs)
                records.append(frame_record(fit))
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix_str(f"fitted {sum(f.params is not None for f in fits)}/{len(fits)}")
        finally:
            if bar is not None:
                bar.close()
            video = source.kind != "image"
            write_fits_json(out_dir, body.name, str(source.path), records,
                            gaps=motion_gaps(fits) if video else None)
        write_sequence_files(out_dir, body, fits, chosen, fps=source.fps,
                             orientation=orientation, motion_glb=False,
                             observations=observations)
    return fits


def run(args: argparse.Namespace) -> int:
    import torch

    # Every optimizer step works on small tensors: one thread is as fast as two on an idle
    # machine and several times faster on a busy one (no intra-op synchronisation).
    torch.set_num_threads(1)
    fits = fit_to_folder(args.input, args.out, args.body, args.model_dir, args.frames,
                         args.quality, args.device, formats=getattr(args, "formats", None),
                         orientation=getattr(args, "orientation", "upright"))
    done = [f for f in fits if f.params is not None]
    ious = [f.iou for f in done if math.isfinite(f.iou)]
    extra = f", median silhouette IoU {np.median(ious):.2f}" if ious else ""
    print(f"Fitted the {args.body} body to {len(done)} of {len(fits)} frame(s){extra}; wrote "
          f"{Path(args.out) / 'fits.json'}, overlays/ and the chosen formats.")
    return 0
