"""Detection over a FrameSource as a generator: the one loop the GUI worker, the CLI, the demo,
the benchmark and the tests all drive.

Pattern: ``detect_frames`` yields one ``(Progress, Observation)`` pair per frame, in the order
of ``indices``. The consumer stores or shows each Observation as it comes (so nothing is lost on
Cancel) and reports the Progress. Cancel is checked before every frame and ends the loop with
``core.errors.Cancelled``; the pairs already yielded are the partial result.

    for progress, obs in detect_frames(source, cancel=token):
        results[obs.index] = obs
        report(progress)            # Progress("detect", done, total, "frame 12")

A photo is detected in image mode; a video or frame folder in tracking mode (the detector
restarts itself wherever ``indices`` are not consecutive).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from core.media import FrameSource
from core.perception.blazepose import PoseDetector
from core.progress import NEVER, CancelToken
from core.types import Observation, Progress


def detect_frames(source: FrameSource, indices: Iterable[int] | None = None,
                  cancel: CancelToken = NEVER, detector: PoseDetector | None = None,
                  model_complexity: int = 1) -> Iterator[tuple[Progress, Observation]]:
    """Yield (Progress, Observation) for each frame index (default: every frame).

    detector: reuse a PoseDetector (its mode is the caller's choice; it is not closed);
        None creates one suited to the source and closes it at the end.
    raises: Cancelled when ``cancel`` is set; MediaError when a frame cannot be decoded.
    """
    order = list(range(len(source))) if indices is None else [int(i) for i in indices]
    total = len(order)
    own = detector is None
    if own:
        mode = "image" if source.kind == "image" else "video"
        detector = PoseDetector(mode=mode, model_complexity=model_complexity)
    try:
        for done, index in enumerate(order, start=1):
            cancel.raise_if_cancelled()
            obs = detector.detect(source.read(index))
            yield Progress("detect", done, total, f"frame {index}"), obs
    finally:
        if own:
            detector.close()
