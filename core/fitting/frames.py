"""Fit many frames: the job generator the GUI worker, the CLI and the benchmarks drive."""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from core.body.base import BodyModel
from core.fitting.config import FitConfig
from core.fitting.single_frame import fit_observation
from core.progress import NEVER, CancelToken
from core.types import Camera, FrameFit, Observation, Progress


def fit_frames(source, observations: Mapping[int, Observation], body: BodyModel,
               indices: Iterable[int] | None = None, config: FitConfig | None = None, *,
               cancel: CancelToken = NEVER) -> Iterator[Progress | FrameFit]:
    """Fit ``body`` to each frame in ``indices`` (default: every observed frame, in order).

    source: a core.media.FrameSource (only its ``camera`` is used: EXIF focal length when the
        file has one, else the default field of view), or a core.types.Camera.
    observations: frame index -> Observation; a frame without one, or with nobody in it, gives
        FrameFit(status="no_person").
    yields: Progress("fit", done, total, ...) and one FrameFit per frame as soon as it exists.
    returns: list[FrameFit] in the order fitted; when cancelled, the fits finished so far.
    """
    config = config or FitConfig()
    camera: Camera = source if isinstance(source, Camera) else source.camera
    order = sorted(observations) if indices is None else [int(i) for i in indices]
    fits: list[FrameFit] = []
    total = len(order)
    for done, index in enumerate(order, start=1):
        if cancel.cancelled:
            return fits
        obs = observations.get(index)
        if obs is None or not obs.person:
            fit = FrameFit(index=index, status="no_person", camera=camera)
        else:
            fit = fit_observation(obs, camera, body, config)
        fits.append(fit)
        yield fit
        yield Progress("fit", done, total, f"frame {index}: {fit.status}")
    return fits
