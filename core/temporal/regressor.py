"""The temporal regressor (TCMR's role): a learned first guess for a whole window of frames.

Each frame is read exactly like the per-frame initializer reads it (core.fitting.initializer:
``observation_features``, the same box normalisation, the same residual MLP, whose weights start
the training), and a stack of residual dilated 1-D convolutions mixes the frames' hidden
features across time before the shared output layer decodes them:

    features (B, T, 200) -> frame MLP hidden (B, T, W) -> + temporal convs (B, T, W)
                         -> output layer (B, T, 147) -> decode (rotations, shape, placement)

The convolutions see +-``receptive`` frames (both directions: a window is fitted once all its
frames are in), so one frame's wrong limb or a swapped side is outvoted by its neighbours. The
last convolution of each block starts at zero, so the untrained net is the per-frame initializer.

Weights: assets/temporal/temporal_regressor.pt (+ .json metadata), made by
scripts/train_temporal.py from motion synthesized with the body model. ``load_regressor``
returns None (with a log line) when they are missing; the sequence fit then starts from the
analytic first guess.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.body.base import BodyModel
from core.fitting.initializer import (InitializerConfig, InitializerNet, Prediction, decode,
                                      observation_features)
from core.types import Camera, Observation
from core.weights import TrainedNetwork, load_module

log = logging.getLogger(__name__)

#: Where the trained temporal-regressor weights live.
WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "temporal" / "temporal_regressor.pt"


@dataclass
class TemporalNetConfig:
    """Network size. frame: the per-frame MLP (the initializer's). kernel: temporal kernel
    (odd); dilations: one residual block per entry (receptive field 1 + (kernel-1)*sum)."""

    frame: InitializerConfig = field(default_factory=InitializerConfig)
    kernel: int = 3
    dilations: tuple[int, ...] = (1, 2, 4)

    @property
    def receptive(self) -> int:
        """Frames seen on each side of a frame."""
        return (self.kernel - 1) // 2 * int(sum(self.dilations))


class _TemporalBlock(nn.Module):
    """x + conv(gelu(conv(norm(x)))) over time; x: (B, W, T)."""

    def __init__(self, width: int, kernel: int, dilation: int) -> None:
        super().__init__()
        pad = (kernel - 1) // 2 * dilation
        self.norm = nn.GroupNorm(1, width)
        self.a = nn.Conv1d(width, width, kernel, padding=pad, dilation=dilation,
                           padding_mode="replicate")
        self.b = nn.Conv1d(width, width, 1)
        nn.init.zeros_(self.b.weight)
        nn.init.zeros_(self.b.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(nn.functional.gelu(self.a(self.norm(x))))


class TemporalRegressorNet(nn.Module):
    """(B, T, 200) per-frame features -> (B, T, 147) raw outputs (``decode`` per frame)."""

    def __init__(self, config: TemporalNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or TemporalNetConfig()
        c = self.config
        self.frame = InitializerNet(c.frame)
        self.temporal = nn.Sequential(*[_TemporalBlock(c.frame.width, c.kernel, d)
                                        for d in c.dilations])

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        b, t, _ = feats.shape
        h = self.frame.blocks(self.frame.inp(feats.reshape(b * t, -1)))
        h = self.temporal(h.reshape(b, t, -1).transpose(1, 2)).transpose(1, 2)
        return self.frame.out(h.reshape(b * t, -1)).reshape(b, t, -1)


def sequence_features(kp2d: torch.Tensor, lm3d: torch.Tensor, intrinsics: torch.Tensor,
                      present: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-frame initializer features of B sequences of T frames.

    kp2d: (B, T, 33, 3) px + confidence. lm3d: (B, T, 33, 3) hip-centred metres (zeros when
    absent). intrinsics: (B, T, 4) fx, fy, cx, cy px. present: (B, T) bool, False for frames
    without a usable person (their features are zero).
    Returns (features (B, T, 200), box centre (B*T, 2) px, box size (B*T,) px).
    """
    b, t = kp2d.shape[:2]
    feats, centre, size = observation_features(kp2d.reshape(b * t, 33, 3),
                                               lm3d.reshape(b * t, 33, 3),
                                               intrinsics.reshape(b * t, 4))
    feats = feats * present.reshape(b * t, 1).to(feats.dtype)
    return feats.reshape(b, t, -1), centre, size


def _build_net(cfg: dict) -> "TemporalRegressorNet":
    """The network of a weights file's config (its frame encoder's config nested as a dict)."""
    cfg = dict(cfg, frame=InitializerConfig(**cfg["frame"]), dilations=tuple(cfg["dilations"]))
    return TemporalRegressorNet(TemporalNetConfig(**cfg))


class TemporalRegressor(TrainedNetwork):
    """The trained net, ready to guess a window. Build with ``TemporalRegressor.load``."""

    @classmethod
    def load(cls, device: torch.device | str = "cpu",
             path: str | Path | None = None) -> "TemporalRegressor | None":
        """The regressor from its weights file, or None (with a log line) when it is missing."""
        p = Path(path) if path is not None else WEIGHTS
        loaded = load_module(p, _build_net, log,
                             "temporal regressor not available (%s missing; run "
                             "scripts/train_temporal.py to make it); sequences start from the "
                             "analytic first guess")
        return None if loaded is None else cls(loaded[0], device, loaded[1])

    @torch.no_grad()
    def predict_batch(self, kp2d, lm3d, intrinsics, present) -> Prediction:
        """Batched guess over (B, T) frames (arrays as in ``sequence_features``); the returned
        Prediction's tensors are flattened to B*T frames."""
        t = lambda a: torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a,  # noqa: E731
                                      dtype=torch.float32, device=self.device)
        kp, lm, intr = t(kp2d), t(lm3d), t(intrinsics)[..., :4]
        pres = torch.as_tensor(np.asarray(present), dtype=torch.bool, device=self.device)
        feats, centre, size = sequence_features(kp, lm, intr, pres)
        raw = self.net(feats)
        return decode(raw.reshape(-1, raw.shape[-1]), centre, size, intr.reshape(-1, 4))

    def predict(self, observations: list[Observation], usable: list[bool],
                camera: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """First guess of consecutive frames.

        returns (global_orient (T, 3), body_pose (T, 22, 3)) axis-angles float32 (canonical ->
        camera, canonical joint axes) and shape (T, 6) phenotypes; frames with ``usable`` False
        get a guess from their neighbours only.
        """
        import roma

        n = len(observations)
        kp = np.stack([o.keypoints2d for o in observations])[None]
        lm = np.stack([o.landmarks3d for o in observations])[None]
        intr = np.tile(np.array([camera.fx, camera.fy, camera.cx, camera.cy], np.float32),
                       (1, n, 1))
        pred = self.predict_batch(kp, lm, intr, np.asarray(usable, bool)[None])
        go = roma.rotmat_to_rotvec(pred.global_rotmat).cpu().numpy().astype(np.float32)
        pose = roma.rotmat_to_rotvec(pred.pose_rotmat).cpu().numpy().astype(np.float32)
        return go, pose, pred.shape.cpu().numpy().astype(np.float32)


_loaded: dict[str, TemporalRegressor | None] = {}


def load_regressor(body: BodyModel) -> TemporalRegressor | None:
    """The installed temporal regressor for ``body`` (loaded once per process and device), or
    None when no weights are installed or ``body`` is not AnnyBody (the net predicts Anny's
    joints)."""
    if getattr(body, "name", None) != "anny":
        log.info("temporal regressor: trained for the 'anny' body only; using the analytic "
                 "first guess for '%s'", getattr(body, "name", "?"))
        return None
    key = str(getattr(body, "device", "cpu"))
    if key not in _loaded:
        _loaded[key] = TemporalRegressor.load(key)
    return _loaded[key]
