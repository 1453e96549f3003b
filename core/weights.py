"""Weights files of the networks the project trains itself (assets/*/*.pt).

One format: a torch file holding {"config": dict (the network's config dataclass as a dict),
"state_dict": float16 tensors, "meta": dict (seed, data, training time, validation figures)}.
"""
from __future__ import annotations

from pathlib import Path

import torch


def save_weights(path: str | Path, config: dict, state_dict: dict[str, torch.Tensor],
                 meta: dict | None = None) -> None:
    """Write ``state_dict`` as float16 (a few MB) with its ``config`` and ``meta``."""
    blob = {"config": config,
            "state_dict": {k: v.detach().cpu().half() for k, v in state_dict.items()},
            "meta": meta or {}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(blob, str(path))


def load_weights(path: str | Path) -> tuple[dict, dict[str, torch.Tensor], dict] | None:
    """(config, float32 state_dict, meta) from a weights file, or None when it is absent."""
    p = Path(path)
    if not p.is_file():
        return None
    blob = torch.load(p, map_location="cpu", weights_only=True)
    state = {k: v.float() for k, v in blob["state_dict"].items()}
    return dict(blob["config"]), state, dict(blob.get("meta", {}))
