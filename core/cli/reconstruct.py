"""``python main.py reconstruct INPUT --mode depth|implicit --out DIR``: clothed surfaces.

For each chosen frame: detect the person (BlazePose keypoints and mask; ``--mask`` replaces the
mask of a photo with a given one), fit the body, then reconstruct the clothed surface.
Writes, as frames finish (a Ctrl+C or an error keeps what was done), by ``--formats``
(core.export.formats; default obj for a photo, glb for a video or frame folder):
    obj: DIR/surfaces/NNNNNN.obj  clothed surface, camera frame (x right, y down, z forward),
                                  metres, vertex colours (``v x y z r g b``)
         DIR/surfaces/NNNNNN_body.obj  the fitted body in the same frame with a UV texture baked
                                  from the frame (+ .mtl, .png), unless --no-body-texture
    glb: DIR/surfaces/NNNNNN.glb, NNNNNN_body.glb   the same as glTF binaries, upright (Y up,
                                  facing +Z) unless --orientation camera
    DIR/fits.json, DIR/overlays/, DIR/meshes/   the fit outputs, as ``fit`` writes them (the
                                  body meshes in the same formats)
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from core.errors import StudioError
from core.export.formats import add_formats_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="photo, video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--mode", default="depth", choices=("depth", "implicit"),
                        help="depth: front/back depth maps (default); implicit: occupancy volume")
    parser.add_argument("--frames", default="0",
                        help="'all' or comma-separated frame indices (default 0)")
    parser.add_argument("--mask", default=None,
                        help="person mask image (white = person) to use instead of the detected "
                             "one; photos only")
    parser.add_argument("--fit-quality", default="balanced", choices=("fast", "balanced", "best"),
                        help="body fit preset (default balanced)")
    parser.add_argument("--resolution", type=int, default=0,
                        help="grid cells along the person's longest side (the detail budget, "
                             "whatever the photo's size): implicit default 160, depth 192")
    parser.add_argument("--no-garment", action="store_true",
                        help="build around the naked body (no garment layer)")
    parser.add_argument("--no-folds", action="store_true", help="no folds from shading")
    parser.add_argument("--no-body-texture", action="store_true",
                        help="skip the textured body mesh")
    add_formats_argument(parser, "reconstruct")


def _read_mask(path: str, width: int, height: int) -> np.ndarray:
    from core.media import read_image

    img, _ = read_image(path)          # MediaError says what is wrong with the file
    if img.shape[:2] != (height, width):
        raise StudioError(f"The mask '{path}' is {img.shape[1]}x{img.shape[0]} but the input is "
                          f"{width}x{height}; give a mask of the same size.")
    return (img.astype(np.float32).mean(-1) / 255.0).astype(np.float32)


def _config(args: argparse.Namespace):
    from core.surface import SurfaceConfig

    cfg = SurfaceConfig(mode=args.mode)
    if args.resolution > 0:
        if args.mode == "implicit":
            cfg.implicit.resolution = args.resolution
        else:
            cfg.depth.cells = args.resolution
    cfg.garment.enabled = not args.no_garment
    cfg.folds.enabled = not args.no_folds
    return cfg


def run(args: argparse.Namespace) -> int:
    from core.body import load_body_model
    from core.export.fits import frame_record, write_fits_json, write_frame_overlay
    from core.export.formats import chosen_formats, write_frame_files, write_surface_files
    from core.export.upright import fits_up
    from core.fitting import FitConfig, fit_observation
    from core.media import open_source
    from core.media.frame_selection import parse_frames
    from core.perception import PoseDetector
    from core.surface import reconstruct_surface, textured_body

    out = Path(args.out)
    (out / "surfaces").mkdir(parents=True, exist_ok=True)
    config = _config(args)
    body = load_body_model("anny", device=args.device)
    records: list[dict] = []
    written = 0
    t_start = time.perf_counter()
    with open_source(args.input) as source:
        formats = chosen_formats(args, "reconstruct", source.kind, body.name)
        orientation = getattr(args, "orientation", "upright")
        indices = parse_frames(args.frames, len(source))
        if args.mask and source.kind != "image":
            raise StudioError("--mask works with a single photo; for videos the mask is detected.")
        given = _read_mask(args.mask, source.width, source.height) if args.mask else None
        try:
            with PoseDetector("image" if source.kind == "image" else "video") as detector:
                for n, i in enumerate(indices):
                    frame = source.read(i)
                    obs = detector.detect(frame)
                    if given is not None and obs.person:
                        obs.mask = given
                    fit = fit_observation(obs, source.camera, body, FitConfig(quality=args.fit_quality))
                    up = fits_up([fit])       # one world for the body and its surface
                    write_frame_files(out, fit, body, formats, orientation=orientation, up=up)
                    write_frame_overlay(out, fit, frame.image, body, obs)
                    records.append(frame_record(fit))
                    if fit.vertices is None or obs.mask is None:
                        print(f"frame {i}: no person found, skipped", file=sys.stderr)
                        continue
                    surf = reconstruct_surface(frame.image, obs, fit, body, config)
                    for note in surf.notes:           # a coarser budget, no face found, ...
                        print(f"frame {i}: {note}", file=sys.stderr)
                    tb = None if args.no_body_texture else textured_body(frame.image, obs, fit,
                                                                         body, config)
                    write_surface_files(out, i, surf, tb, formats, orientation=orientation,
                                        up=up)
                    written += 1
                    print(f"frame {i} ({n + 1}/{len(indices)}): {surf.num_faces} faces, "
                          f"fit error {fit.error:.1f} px, surface "
                          f"{sum(surf.timings.values()):.2f} s", file=sys.stderr)
        finally:
            write_fits_json(out, body.name, str(args.input), records)
    if written == 0:
        raise StudioError("No person was found in the chosen frames, so no surface was written; "
                          "choose frames where the whole person is visible.")
    print(f"Wrote {written} {args.mode} surface(s) to {out / 'surfaces'} and fits.json "
          f"in {time.perf_counter() - t_start:.1f} s.")
    return 0
