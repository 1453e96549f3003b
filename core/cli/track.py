"""``python main.py track VIDEO --out DIR``: a temporally consistent body for every frame.

Writes, as frames finish (so a Ctrl+C or an error keeps what was done):
    DIR/fits.json          one record per frame in frame order (core.export.fits); person is
                           true for fitted and bridged frames, status says which; "gaps" lists
                           the frames without a body, which the motion files hold
    DIR/overlay.mp4        the video with the body drawn over it (mp4v), unless --no-overlay
and, by ``--formats`` (core.export.formats; default glb,bvh, + smpl for SMPL bodies):
    glb:  DIR/motion.glb   the body skinned to its skeleton, animated over every frame
    bvh:  DIR/motion.bvh   the motion on the body model's skeleton
    obj:  DIR/meshes/NNNNNN.obj  one mesh per frame (only when asked for: ~1.7 MB a frame)
    smpl: DIR/smpl_params.npz, DIR/pare_output.pkl   SMPL-layout parameters (SMPL bodies)
The motion files are written when the last frame is done. ``--body smpl|smplh|smplx`` tracks an
SMPL-family body (``--model-dir``); the temporal regressor knows only Anny, so those start from
the analytic per-frame guess.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from core.errors import StudioError
from core.types import FrameFit, Progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--every", type=int, default=1, metavar="N", help="every N-th frame (default 1)")
    parser.add_argument("--max-frames", type=int, default=0, metavar="N",
                        help="stop after N processed frames (default: all)")
    from core.body import BODY_MODELS
    from core.export.formats import add_formats_argument

    parser.add_argument("--body", default="anny", choices=BODY_MODELS,
                        help="body model (default anny; smpl/smplh/smplx need --model-dir)")
    parser.add_argument("--model-dir", default=None,
                        help="folder with the licensed SMPL/SMPL-H/SMPL-X files (smplx layout)")
    parser.add_argument("--no-overlay", action="store_true", help="skip DIR/overlay.mp4")
    parser.add_argument("--model-complexity", type=int, default=1, choices=(0, 1),
                        help="BlazePose model: 0 lite (faster), 1 full (default)")
    parser.add_argument("--one-euro", action="store_true",
                        help="One-Euro filter the keypoints before fitting")
    parser.add_argument("--silhouette", action="store_true",
                        help="also fit the body to the person mask (slightly better coverage, "
                             "~15%% slower)")
    add_formats_argument(parser, "track")


class OverlayWriter:
    """Writes the body over each frame into an mp4, reading the frames sequentially from its own
    FrameSource (decoding twice is cheaper than keeping frames until their window is fitted)."""

    def __init__(self, path: Path, source_path: str, faces: np.ndarray, fps: float) -> None:
        from core.media import open_source

        self.source = open_source(source_path)
        self.faces = faces
        self.path = path
        fourcc = cv2.VideoWriter_fourcc(*"mp4v")
        self.writer = cv2.VideoWriter(str(path), fourcc, fps if fps > 0 else 30.0,
                                      (self.source.width, self.source.height))
        if not self.writer.isOpened():
            raise StudioError(f"Cannot write '{path}'; check that the folder is writable.")

    def add(self, fit: FrameFit) -> None:
        from core.render.overlay import draw_body

        image = self.source.read(fit.index).image
        if fit.vertices is not None:
            color = (130, 180, 255) if fit.status == "fitted" else (255, 200, 120)
            image = draw_body(image, fit.vertices, self.faces, fit.camera, color=color)
        self.writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        self.writer.release()
        self.source.close()


def run(args: argparse.Namespace) -> int:
    from core.body import load_body_model
    from core.export.fits import frame_record, write_fits_json
    from core.export.formats import (chosen_formats, motion_gaps, write_frame_files,
                                     write_sequence_files)
    from core.export.upright import fits_up
    from core.media import open_source
    from core.temporal import TrackConfig, track_video

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.every < 1:
        raise StudioError(f"--every must be 1 or more, not {args.every}.")
    config = TrackConfig(every=args.every, max_frames=max(0, args.max_frames),
                         model_complexity=args.model_complexity)
    config.sequence.one_euro.enabled = bool(args.one_euro)
    if args.silhouette:
        config.sequence.silhouette.weight = 1.0
    body = load_body_model(getattr(args, "body", "anny"), getattr(args, "model_dir", None),
                           args.device)
    orientation = getattr(args, "orientation", "upright")
    records: list[dict] = []
    poses: list[FrameFit] = []          # the fits without their meshes: memory stays small
    t0 = time.perf_counter()
    with open_source(args.input) as source:
        if source.kind == "image":
            raise StudioError(f"'{args.input}' is a single photo; use 'fit' for photos and "
                              "'track' for a video or a folder of frames.")
        formats = chosen_formats(args, "track", source.kind, body.name)
        fps = source.fps / args.every if source.fps > 0 else 30.0
        overlay = None if args.no_overlay else OverlayWriter(out / "overlay.mp4", args.input,
                                                             body.faces, fps)
        try:
            for item in track_video(source, None, body, config):
                if isinstance(item, Progress):
                    print(f"\r{item.message}: {item.done}/{item.total} fitted", end="",
                          file=sys.stderr, flush=True)
                    continue
                records.append(frame_record(item))
                poses.append(FrameFit(item.index, item.status, item.camera, item.params,
                                      landmarks=item.landmarks))   # landmarks: the world's up
                write_frame_files(out, item, body, formats, glb=False)
                if overlay is not None:
                    overlay.add(item)
        finally:
            if overlay is not None:
                overlay.close()
            write_fits_json(out, body.name, str(args.input), records,
                            gaps=motion_gaps(poses, args.every), camera_up=fits_up(poses))
        t1 = time.perf_counter()
        written = write_sequence_files(out, body, poses, formats,
                                       fps=source.fps if source.fps > 0 else 30.0,
                                       step=args.every, orientation=orientation)
    dt = time.perf_counter() - t0
    files = f" ({', '.join(written)} in {time.perf_counter() - t1:.1f} s)" if written else ""
    print(f"\n{len(records)} frames tracked in {dt:.1f} s ({len(records) / max(dt, 1e-9):.1f} "
          f"frames/s); outputs in {out}{files}", file=sys.stderr)
    return 0
