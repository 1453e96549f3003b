"""Weights files of the networks the project trains itself (assets/*/*.pt).

One format: a torch file holding {"config": dict (the network's config dataclass as a dict),
"state_dict": float16 tensors (float32 where rounding would matter), "meta": dict (seed, data, training time, validation figures)}.
"""
from __future__ import annotations

from pathlib import Path

import torch


def save_weights(path: str | Path, config: dict, state_dict: dict[str, torch.Tensor],
                 meta: dict | None = None, half: bool = True) -> None:
    """Write ``state_dict`` as float16 (a few MB; ``half=False`` keeps float32, for values such
    as a prior's precision matrices that float16 would round) with its ``config`` and ``meta``."""
    cast = (lambda v: v.half()) if half else (lambda v: v.float())  # noqa: E731
    blob = {"config": config,
            "state_dict": {k: cast(v.detach().cpu()) for k, v in state_dict.items()},
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


def load_module(path: str | Path, build, log, missing: str
                ) -> tuple[torch.nn.Module, dict] | None:
    """(module built by ``build(config)`` with the file's weights loaded, meta) from a weights
    file, or None when it is absent, after logging ``missing`` (a %s-format sentence taking the
    path: what is missing, how to make it, what the app does instead) on ``log`` at info."""
    loaded = load_weights(path)
    if loaded is None:
        log.info(missing, path)
        return None
    config, state, meta = loaded
    module = build(config)
    module.load_state_dict(state)
    return module, meta


class TrainedNetwork:
    """A trained network ready to use: ``net`` in eval mode on ``device``, with the metadata of
    its weights file (seed, data, training time, validation figures). ``net.config`` is a
    dataclass; subclasses add ``load`` (which builds the net from its config) and inference."""

    def __init__(self, net: torch.nn.Module, device: torch.device | str = "cpu",
                 meta: dict | None = None) -> None:
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.meta = meta or {}

    def save(self, path: str | Path, meta: dict | None = None) -> None:
        """Write the weights (float16) with their config and ``meta``."""
        from dataclasses import asdict

        save_weights(path, asdict(self.net.config), self.net.state_dict(), meta or self.meta)
