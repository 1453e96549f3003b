"""track_video: decode, detect and sequence-fit a video as one streaming job.

Memory stays bounded for any length: frames are decoded one at a time, masks are cut down to the
person's box at a couple of hundred pixels as soon as the detector returns (or dropped when the
silhouette term is off), the fit keeps one window of observations, and FrameFits are yielded
(never collected) as soon as their window is final.

Speed: BlazePose (mediapipe) and torch both release the GIL, so with ``overlap_threads`` the
window fits run in a second thread while the next frames are detected; the two cores then work
at once and the fit costs almost nothing on top of perception. The queue between them is
bounded (two windows), so a slow fit slows detection down instead of piling up frames.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import torch

from core.body.base import BodyModel
from core.progress import NEVER, CancelToken
from core.types import Progress

from .config import TrackConfig
from .sequence import SequenceFitter

_END = object()


def frame_indices(length: int, config: TrackConfig) -> list[int]:
    """Frame numbers a track visits: every ``config.every``-th, at most ``config.max_frames``."""
    idx = list(range(0, length, max(1, int(config.every))))
    return idx[: config.max_frames] if config.max_frames > 0 else idx


def track_video(source, detector, body: BodyModel, config: TrackConfig | None = None, *,
                cancel: CancelToken = NEVER, regressor=None) -> Iterator[object]:
    """Job generator over a FrameSource (video or frame folder).

    detector: a core.perception.PoseDetector in "video" mode (None: one is made and closed).
    yields: Progress("track", done, total, message) and each FrameFit (camera frame, metres) in
        frame order as soon as it is final. returns: the number of frames fitted.
    Cancel stops decoding at once; the frames already yielded are the partial result.
    """
    config = config or TrackConfig()
    if config.every < 1:
        from core.errors import StudioError

        raise StudioError("The frame step must be 1 or more (e.g. --every 2).")
    indices = frame_indices(len(source), config)
    total = len(indices)
    fps = source.fps / max(1, config.every) if source.fps > 0 else 30.0
    own = detector is None
    if own:
        from core.perception import PoseDetector

        detector = PoseDetector(mode="video", model_complexity=config.model_complexity)
    fitter = SequenceFitter(body, source.camera, config.sequence, fps=fps, regressor=regressor)
    threads = config.sequence.threads or (1 if config.overlap_threads else 0)
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    done = 0
    try:
        if not config.overlap_threads:
            for n, index in enumerate(indices, 1):
                if cancel.cancelled:
                    return done
                obs, pm = _detect(detector, source, index, n, fitter)
                for fit in fitter.push(obs, pm):
                    done += 1
                    yield fit
                yield Progress("track", done, total, f"detected {n}/{total}")
            for fit in fitter.finish():
                done += 1
                yield fit
            yield Progress("track", done, total, "done")
            return done

        inbox: queue.Queue = queue.Queue(maxsize=2 * config.sequence.window.size)
        outbox: queue.Queue = queue.Queue()
        errors: list[BaseException] = []

        def work() -> None:
            try:
                if threads:
                    torch.set_num_threads(threads)
                while True:
                    obs = inbox.get()
                    if obs is _END:
                        for fit in fitter.finish():
                            outbox.put(fit)
                        return
                    for fit in fitter.push(*obs):
                        outbox.put(fit)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the generator's thread
                errors.append(exc)
            finally:
                outbox.put(_END)

        worker = threading.Thread(target=work, name="track-fit", daemon=True)
        worker.start()
        finished = False
        try:
            for n, index in enumerate(indices, 1):
                if cancel.cancelled or errors:
                    break
                obs = _detect(detector, source, index, n, fitter)
                while not errors:
                    try:
                        inbox.put(obs, timeout=0.1)
                        break
                    except queue.Full:
                        pass
                while True:
                    try:
                        item = outbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is _END:
                        finished = True
                        break
                    done += 1
                    yield item
                yield Progress("track", done, total, f"detected {n}/{total}")
            if cancel.cancelled:
                return done
            inbox.put(_END)
            while not finished:
                item = outbox.get()
                if item is _END:
                    break
                done += 1
                yield item
                yield Progress("track", done, total, "fitting")
            if errors:
                raise errors[0]
            yield Progress("track", done, total, "done")
            return done
        finally:
            if worker.is_alive():
                try:
                    while True:
                        inbox.get_nowait()
                except queue.Empty:
                    pass
                inbox.put(_END)
                worker.join(timeout=30)
    finally:
        if threads:
            torch.set_num_threads(old_threads)
        if own:
            detector.close()


def _detect(detector, source, index: int, n: int, fitter: SequenceFitter):
    """(Observation of frame ``index`` without its mask, the mask cut down for the fitter's
    silhouette term or None). The detector sees the frames as consecutive (numbered ``n``) so
    it keeps tracking when frames are skipped."""
    from core.types import Frame

    from .silhouette import crop_mask

    frame = source.read(index)
    obs = detector.detect(Frame(index=n, image=frame.image, timestamp=frame.timestamp))
    obs.index = index
    pm = None
    if fitter.uses_masks:
        pm = crop_mask(obs, source.camera, fitter.config.silhouette.crop_px)
    obs.mask = None
    return obs, pm
