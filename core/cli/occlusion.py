"""``python main.py occlusion INPUT [--frame N] [--patch PX] [--stride PX] --out DIR``: where in
the image does the body come from? A grey patch slides over the person; for every position the
body is detected and fitted again (fast preset) and compared with the unoccluded fit.

Writes DIR/occlusion.json, DIR/heatmap_body.png and DIR/heatmap_<joint>.png (layout in
core/analysis/outputs.py) and prints the joints most sensitive to each image region. Ctrl+C
writes the patches finished so far.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time

from core.errors import StudioError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from core.body import BODY_MODELS

    parser.add_argument("input", help="photo, video or folder of frames")
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--frame", type=int, default=0, metavar="N",
                        help="frame to analyse (default 0)")
    parser.add_argument("--patch", type=int, default=None, metavar="PX",
                        help="side of the grey patch in pixels (default: the person's box / 6)")
    parser.add_argument("--stride", type=int, default=None, metavar="PX",
                        help="pixels between patch centres (default: the patch side)")
    parser.add_argument("--body", default="anny", choices=BODY_MODELS,
                        help="body model (default anny; smpl/smplh/smplx need --model-dir)")
    parser.add_argument("--model-dir", default=None,
                        help="folder with the licensed SMPL/SMPL-H/SMPL-X files (smplx layout)")


def _show(bar, p) -> None:
    if p.total > 0:
        bar.total, bar.n = p.total, p.done
        bar.set_postfix_str(p.message.split(": ", 1)[-1])
        bar.refresh()


def run(args: argparse.Namespace) -> int:
    from core.media import open_source

    t0 = time.perf_counter()
    with open_source(args.input) as source:
        if not 0 <= args.frame < len(source):
            raise StudioError(f"--frame {args.frame}: the input has frames 0..{len(source) - 1}; "
                              "choose a frame in that range.")
        frame = source.read(args.frame)
        camera = source.camera
        input_path = str(source.path)

    import torch
    from tqdm import tqdm

    from core.analysis import OcclusionConfig, format_table, occlusion_sensitivity, write_occlusion
    from core.body import load_body_model
    from core.progress import CancelToken, drive

    torch.set_num_threads(1)  # small per-step tensors: one thread is fastest, see fit.py
    config = OcclusionConfig(patch=args.patch, stride=args.stride)
    config.fit.device = args.device
    body = load_body_model(args.body, args.model_dir, args.device)
    cancel = CancelToken()
    try:  # Ctrl+C cancels: the patches finished so far are written
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    except ValueError:  # not the main thread: Ctrl+C is not ours to catch
        previous = None
    bar = tqdm(unit="patch", desc="occlusion", file=sys.stderr, dynamic_ncols=True)
    try:
        gen = occlusion_sensitivity(frame, camera, body, config, cancel=cancel)
        result = drive(gen, on_progress=lambda p: _show(bar, p))
    finally:
        bar.close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if result is None:
        raise StudioError("Cancelled before the unoccluded frame was fitted; nothing was written.")
    files = write_occlusion(args.out, result, frame.image, input_path)
    print(format_table(result))
    rows, cols = result.shape
    done = "" if result.complete else f" (cancelled: {int(result.done.sum())} patches ran)"
    print(f"Occlusion sensitivity of frame {result.index}: {rows}x{cols} patches of "
          f"{result.patch} px, stride {result.stride} px, in {time.perf_counter() - t0:.1f} s"
          f"{done}; wrote {files[0]} and {len(files) - 1} heat maps.")
    return 0
