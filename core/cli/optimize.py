"""``python main.py optimize INPUT --out DIR``: one clothed, textured avatar from a whole video.

Runs detection and the sequence fit (core.temporal) on ``--frames`` frames evenly spread over
the video, then the per-subject optimization (core.subject), and writes, by ``--formats``
(core.export.formats; default glb,bvh):
    glb: DIR/avatar.glb            the textured avatar skinned to the body's skeleton and
                                   animated over the used frames (upright unless
                                   --orientation camera)
    bvh: DIR/motion.bvh            the refined poses of the used frames on the body's skeleton
    obj: DIR/avatar.obj (+ .mtl, .png)  canonical avatar in its rest pose (canonical body frame:
                                   y down, facing -z, metres), UV texture and vertex colours
         DIR/frames/NNNNNN.obj     the avatar posed in every used frame (camera frame, metres)
and always:
    DIR/params/NNNNNN.json         each frame's refined body parameters
    DIR/fits.json                  the sequence fit (core.export.fits, as track writes it)
    DIR/state.npz                  the optimization state (--resume DIR/state.npz continues it)
    DIR/avatar.json                iterations, loss, silhouette IoU per frame, timings
    DIR/preview.png                the textured avatar from the front and from the back
Ctrl+C during the optimization stops it and writes the best avatar so far.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from core.errors import StudioError
from core.export.formats import add_formats_argument
from core.types import Progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--frames", type=int, default=100, metavar="N",
                        help="use N frames evenly spread over the video (default 100; 0: all)")
    parser.add_argument("--iterations", type=int, default=None, metavar="K",
                        help="optimizer steps (default 150)")
    parser.add_argument("--texture-size", type=int, default=1024, metavar="PX",
                        help="side of the UV texture in pixels (default 1024; 0: none)")
    parser.add_argument("--resume", default=None, metavar="STATE",
                        help="continue from a state.npz an earlier run wrote")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    add_formats_argument(parser, "optimize")


def _report(item: object) -> None:
    if isinstance(item, Progress):
        print(f"\r{item.stage} {item.done}/{item.total} {item.message}".ljust(78), end="",
              file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    import torch

    from core.body import load_body_model
    from core.export.fits import frame_record, write_fits_json
    from core.export.formats import chosen_formats, write_avatar_files
    from core.export.rig import frame_runs
    from core.media import open_source
    from core.perception.detect import detect_frames
    from core.progress import CancelToken
    from core.subject import SubjectConfig, SubjectState, make_avatar, write_avatar
    from core.subject.frames import spread
    from core.temporal import SequenceConfig, fit_sequence

    if args.frames < 0:
        raise StudioError(f"--frames must be 0 (all) or more, not {args.frames}.")
    torch.set_num_threads(max(1, args.threads))
    config = SubjectConfig(frames=0)
    if args.iterations is not None:
        if args.iterations < 0:
            raise StudioError(f"--iterations must be 0 or more, not {args.iterations}.")
        config.optim.iterations = args.iterations
    config.texture.size = max(0, args.texture_size)
    state = SubjectState.load(args.resume) if args.resume else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    body = load_body_model("anny", device=args.device)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with open_source(args.input) as source:
        if source.kind == "image":
            raise StudioError(f"'{args.input}' is a single photo; the avatar needs a video or a "
                              "folder of frames of the person turning around (use 'reconstruct' "
                              "for one photo).")
        formats = chosen_formats(args, "optimize", source.kind, body.name)
        indices = spread(list(range(len(source))), args.frames)
        observations = {}
        for progress, obs in detect_frames(source, indices):
            if obs.mask is not None:
                obs.mask = obs.mask >= 0.5               # bool: a quarter of the memory
            observations[obs.index] = obs
            _report(progress)
        timings["detect"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        fps = (source.fps * len(indices) / len(source)) if source.fps > 0 else 30.0
        seq = SequenceConfig(threads=max(1, args.threads))
        gen = fit_sequence((observations[i] for i in indices), source.camera, body, seq,
                           fps=fps, total=len(indices))
        fits = {}
        try:
            while True:
                item = next(gen)
                if isinstance(item, Progress):
                    _report(item)
                else:
                    fits[item.index] = item
        except StopIteration:
            pass
        timings["fit"] = time.perf_counter() - t1
        write_fits_json(out, body.name, args.input, [frame_record(f) for f in fits.values()],
                        gaps=frame_runs(sorted(i for i, f in fits.items() if f.params is None)))

        def read_frame(index: int):
            return source.read(index).image, observations[index].binary_mask()

        cancel = CancelToken()
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
        t2 = time.perf_counter()
        try:
            job = make_avatar(observations, fits, body, read_frame, config, state=state,
                              cancel=cancel)
            while True:
                try:
                    _report(next(job))
                except StopIteration as stop:
                    result = stop.value
                    break
        finally:
            signal.signal(signal.SIGINT, previous)
        timings["avatar"] = time.perf_counter() - t2
    paths = write_avatar(result, out, meshes="obj" in formats)
    t3 = time.perf_counter()
    paths.update(write_avatar_files(out, body, result, formats,
                                    fps=source.fps if source.fps > 0 else 30.0,
                                    orientation=getattr(args, "orientation", "upright")))
    timings["export"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    summary = json.loads(paths["summary"].read_text())
    summary["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    summary["frames_used"] = len(result.posed)
    paths["summary"].write_text(json.dumps(summary, indent=1))
    note = " (stopped early: best avatar so far)" if cancel.cancelled else ""
    print(f"\navatar from {len(result.posed)} frames in {timings['total']:.0f} s{note}: "
          f"silhouette IoU mean {result.mean_iou:.3f}, min {result.min_iou:.3f}; "
          f"outputs in {out}", file=sys.stderr)
    return 0
