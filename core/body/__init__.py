"""Body models behind one interface. ``load_body_model`` builds each model once per process."""
from __future__ import annotations

import threading

import torch

from .base import BodyModel, BodyOutput
from .params import BodyParams

BODY_MODELS = ("anny", "smpl", "smplh", "smplx")
_cache: dict[tuple, BodyModel] = {}
_lock = threading.Lock()


def load_body_model(name: str = "anny", model_dir: str | None = None,
                    device: torch.device | str | None = None, gender: str = "neutral") -> BodyModel:
    """The body model ``name`` on ``device`` (cached: built once per process).

    anny: ships with the app. smpl / smplh / smplx: need the licensed files in ``model_dir``
    (smplx layout); a missing file raises MissingAssetError saying where to get it.
    """
    from ..device import choose_device

    dev = choose_device(device) if not isinstance(device, torch.device) else device
    key = (name, str(model_dir or ""), str(dev), gender)
    with _lock:
        if key not in _cache:
            if name == "anny":
                from .anny_body import AnnyBody

                _cache[key] = AnnyBody(dev)
            elif name in ("smpl", "smplh", "smplx"):
                from .smplx_body import SmplxBody

                _cache[key] = SmplxBody(name, model_dir, dev, gender=gender)
            else:
                from ..errors import StudioError

                raise StudioError(f"Unknown body model '{name}': choose one of {', '.join(BODY_MODELS)}.")
        return _cache[key]


__all__ = ["BodyModel", "BodyOutput", "BodyParams", "load_body_model", "BODY_MODELS"]
