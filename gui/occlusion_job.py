"""The occlusion-sensitivity job for the worker thread (core.analysis through the GUI's model
cache), in the JobFunction protocol of gui.pipeline."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from core.progress import CancelToken
from core.types import Progress
from gui import pipeline

NAME = "Occlusion sensitivity"


def occlusion_job(media_path: Path, index: int, settings: pipeline.FitSettings, config=None):
    """JobFunction: occlusion sensitivity of frame ``index`` (core.analysis.OcclusionConfig
    ``config``, None: the defaults) with the body model of ``settings``.

    yields: Progress, BodyMesh (once, so patch fits can be drawn), a PatchResult per patch, and
    the OcclusionResult at the end (also when cancelled: the patches finished so far). Run it with
    ``Job.finish_on_cancel``: Cancel stops the running patch's fit within an optimizer step.
    """

    def run(models: pipeline.ModelCache, cancel: CancelToken) -> Iterator:
        from core.analysis import occlusion_sensitivity

        message = models.body_message(settings.body_model, settings.model_dir, settings.device)
        if message:
            yield Progress("occlusion", 0, 0, message)
        body = models.body(settings.body_model, settings.model_dir, settings.device)
        parents = getattr(body, "parents", None)
        yield pipeline.BodyMesh(settings.body_model, np.asarray(body.faces, np.int64),
                                None if parents is None else np.asarray(parents))
        source = pipeline.open_media(media_path)
        try:
            frame, camera = source.read(index), source.camera
        finally:
            source.close()
        result = yield from occlusion_sensitivity(frame, camera,
                                                  pipeline.CancellableBody(body, cancel), config,
                                                  cancel=cancel)
        if result is not None:
            yield result
        return result

    return run


def is_occlusion(item: object) -> bool:
    from core.analysis import OcclusionResult

    return isinstance(item, OcclusionResult)
