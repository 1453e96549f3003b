"""Learned 3D from 2D (a lifting network): BlazePose's 2D keypoints -> metric 3D landmarks.

BlazePose's own 3D landmarks are its weakest output on real people (on pose2sim's drill their
PA-MPJPE is about 88 mm). This network reads only the 2D keypoints and their confidences and
answers from what it learned of real human motion (CMU motion capture retargeted onto Anny,
filmed by phone- and webcam-like cameras, observed with BlazePose-like 2D noise). Its errors
are largely independent of BlazePose's 3D, so the fits aim their limb-direction term at a
weighted mean of the two (``blend_landmarks3d``; 0.65 of the way to the lifter in the
single-frame fit, 0.6 in the sequence fit): on pose2sim's captures it is nearer the
triangulated truth than BlazePose's alone (bench/README.md, "Lifted 3D" and "The lifter
retrained on mirrored and mixed motion").

input: ``observation_features`` with the 3D landmarks zeroed (2D in box units, confidences,
    the box centre's viewing ray); the same layout as the initializer's, so the two share code.
output: the 33 landmarks, hip-centred (midpoint of 23 and 24), camera-parallel axes, metres:
    the frame of Observation.landmarks3d.

Weights: assets/lifter/lifter.pt, trained by scripts/train_lifter.py (README beside them).
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.fitting.initializer import InitializerConfig, observation_features, residual_mlp
from core.types import BLAZEPOSE_FLIP, NUM_KEYPOINTS, Camera, Observation
from core.weights import TrainedNetwork, load_module

log = logging.getLogger(__name__)

#: Where the trained weights live.
WEIGHTS_PATH = Path(__file__).resolve().parents[2] / "assets" / "lifter" / "lifter.pt"


@dataclass
class LifterConfig(InitializerConfig):
    """Network size, as the initializer's (same input layout), wider; the output is the 33
    landmarks' coordinates."""

    width: int = 512

    @property
    def out_dim(self) -> int:
        return NUM_KEYPOINTS * 3


class LifterNet(nn.Module):
    """Residual MLP: keypoints (B, 33, 3) px + confidence and intrinsics (B, 4) -> landmarks
    (B, 33, 3) hip-centred camera-axes metres."""

    def __init__(self, config: LifterConfig | None = None) -> None:
        super().__init__()
        self.config = config or LifterConfig()
        self.inp, self.blocks, self.out = residual_mlp(self.config)

    def forward(self, kp2d: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
        feats, _, _ = observation_features(kp2d, torch.zeros_like(kp2d), intrinsics)
        return self.out(self.blocks(self.inp(feats))).reshape(-1, NUM_KEYPOINTS, 3)


class Lifter(TrainedNetwork):
    """The trained network, ready to lift. Build with ``Lifter.load``."""

    @classmethod
    def load(cls, device: torch.device | str = "cpu",
             path: str | Path | None = None) -> "Lifter | None":
        """The lifter from its weights file, or None (with a log line) when the file is missing,
        so the fits use BlazePose's 3D alone."""
        p = Path(path) if path is not None else WEIGHTS_PATH
        loaded = load_module(p, lambda c: LifterNet(LifterConfig(**c)), log,
                             "3D lifter not available (%s missing; run scripts/train_lifter.py to "
                             "make it); the fits use BlazePose's 3D landmarks alone")
        return None if loaded is None else cls(loaded[0], device, loaded[1])

    @torch.no_grad()
    def lift_batch(self, kp2d: np.ndarray, intrinsics: np.ndarray, mirror: bool = True
                   ) -> np.ndarray:
        """(B, 33, 3) float32 landmarks from keypoints (B, 33, 3) px + confidence and intrinsics
        (B, >= 4) fx, fy, cx, cy. ``mirror``: also lift the mirror image (x reflected about the
        principal point, left and right labels exchanged), reflect its answer back and average
        the two: the network's left/right habits cancel (on pose2sim's drill the lifter alone
        goes 89.6 -> 82.7 mm PA-MPJPE)."""
        kp = torch.as_tensor(np.asarray(kp2d, np.float32), device=self.device)
        intr = torch.as_tensor(np.asarray(intrinsics, np.float32)[:, :4], device=self.device)
        if not mirror:
            return self.net(kp, intr).float().cpu().numpy()
        flip = torch.as_tensor(BLAZEPOSE_FLIP, device=self.device)
        seen = kp[..., 2:3] > 0
        mirrored = kp.clone()
        mirrored[..., 0] = torch.where(seen[..., 0], 2 * intr[:, None, 2] - kp[..., 0], kp[..., 0])
        both = self.net(torch.cat([kp, mirrored[:, flip]]), torch.cat([intr, intr]))
        b = len(kp)
        back = both[b:][:, flip] * both.new_tensor([-1.0, 1.0, 1.0])
        return (0.5 * (both[:b] + back)).float().cpu().numpy()


_loaded: dict[str, Lifter | None] = {}


def shared_lifter(device: torch.device | str = "cpu") -> Lifter | None:
    """The lifter, loaded once per process and device (None when its weights are missing)."""
    key = str(torch.device(device))
    if key not in _loaded:
        _loaded[key] = Lifter.load(key)
    return _loaded[key]


def blend_landmarks3d(observations: list[Observation], camera: Camera, weight: float,
                      device: torch.device | str = "cpu") -> np.ndarray:
    """(B, 33, 3) float32: each observation's 3D landmarks moved ``weight`` of the way to the
    lifter's answer from its 2D keypoints (0 or no lifter: BlazePose's own). Observations
    without 3D landmarks (all zeros) or without a person keep their zeros: with no 3D reading
    at all the fits keep to the 2D, as before."""
    lm = np.stack([np.asarray(o.landmarks3d, np.float32) for o in observations])
    if weight <= 0 or not len(observations):
        return lm
    has3d = (np.abs(lm).reshape(len(lm), -1).sum(-1) > 1e-6) & \
        np.array([bool(o.person) for o in observations])
    lifter = shared_lifter(device) if has3d.any() else None
    if lifter is None:
        return lm
    intr = np.tile(np.array([[camera.fx, camera.fy, camera.cx, camera.cy]], np.float32),
                   (int(has3d.sum()), 1))
    kp = np.stack([o.keypoints2d for o, h in zip(observations, has3d) if h])
    lifted = lifter.lift_batch(kp, intr)
    w = float(min(weight, 1.0))
    lm[has3d] = (1.0 - w) * lm[has3d] + w * lifted
    return lm


def with_lifted_3d(observation: Observation, camera: Camera, weight: float,
                   device: torch.device | str = "cpu") -> Observation:
    """``observation`` with its 3D landmarks blended towards the lifter's (``blend_landmarks3d``);
    the observation itself when there is nothing to blend."""
    if weight <= 0 or not observation.person or not np.abs(observation.landmarks3d).sum() > 1e-6:
        return observation
    lm = blend_landmarks3d([observation], camera, weight, device)[0]
    return dataclasses.replace(observation, landmarks3d=lm)
