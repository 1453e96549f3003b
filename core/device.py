"""The one place that chooses where torch runs."""
from __future__ import annotations

import os

import torch

from .errors import StudioError

#: Environment variable that overrides the choice ("cpu", "cuda", "cuda:1", "auto").
DEVICE_ENV = "STUDIO_DEVICE"


def choose_device(preference: str | None = None) -> torch.device:
    """Return the torch device for ``preference`` ("auto", "cpu", "cuda", "cuda:N" or None).

    None reads $STUDIO_DEVICE and falls back to "auto"; "auto" takes CUDA when torch sees a GPU.
    Asking for CUDA on a machine without one raises a StudioError that says so.
    """
    pref = (preference or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if pref == "cpu":
        return torch.device("cpu")
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise StudioError(
                f"Device '{pref}' was asked for but this torch build sees no CUDA GPU; "
                "choose 'cpu' or 'auto' in Settings (or --device cpu).")
        return torch.device(pref)
    raise StudioError(f"Unknown device '{preference}': use auto, cpu or cuda.")


def describe(device: torch.device) -> str:
    """Short human text for the status bar, e.g. 'CPU (2 threads)' or 'CUDA: NVIDIA H100'."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
