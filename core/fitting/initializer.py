"""The learned first guess of a fit (PARE's role): BlazePose keypoints -> AnnyBody parameters.

A residual MLP reads one person's detector output and returns a whole body in one pass:

input (``observation_features``), per keypoint of the 33:
    2D position relative to the box of the confident keypoints, divided by the box's longer
    side; the detector's confidence; the metric 3D landmark (hip-centred, camera axes, metres);
    plus the direction of the box centre's viewing ray ((u - cx) / fx, (v - cy) / fy).
output (``InitializerNet``):
    global orientation and 22 joint rotations as 6D rotations (two matrix columns), the six
    phenotypes through a sigmoid, and a scale-free placement: the root's pixel offset from the
    box centre in box units and log of the box's metric size k = z * box / fx (so depth follows
    from the focal length and the box size, for any camera).

Weights: assets/initializer/anny_initializer.pt, trained by scripts/train_initializer.py on
bodies generated from Anny itself (core.synthetic); see assets/initializer/README.md.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.body.params import BodyParams
from core.errors import StudioError
from core.types import NUM_KEYPOINTS, Camera, Observation
from core.weights import TrainedNetwork, load_module

log = logging.getLogger(__name__)

#: Where the trained weights live.
WEIGHTS_PATH = Path(__file__).resolve().parents[2] / "assets" / "initializer" / "anny_initializer.pt"

#: Keypoints at or above this confidence define the normalising box.
BOX_CONFIDENCE = 0.3
#: Typical log of the metric box size (about 2 m): the net predicts the offset from it.
LOG_K_MEAN = float(np.log(1.9))
NUM_POSE_JOINTS = 22
NUM_SHAPE = 6


@dataclass
class InitializerConfig:
    """Network size. width: hidden units; blocks: residual blocks of two linear layers each;
    dropout: dropout rate inside the blocks during training."""

    width: int = 384
    blocks: int = 3
    dropout: float = 0.0

    @property
    def in_dim(self) -> int:
        return NUM_KEYPOINTS * 6 + 2

    @property
    def out_dim(self) -> int:
        return 6 + 6 * NUM_POSE_JOINTS + NUM_SHAPE + 3


@dataclass
class Prediction:
    """Batched network output decoded into body parameters (torch, float32).

    global_rotmat: (B, 3, 3) canonical -> camera rotation. pose_rotmat: (B, 22, 3, 3) joint
    rotations (canonical axes). shape: (B, 6) phenotypes in (0, 1).
    root_px: (B, 2) predicted root (pelvis) pixel. depth: (B,) root depth, metres.
    transl: (B, 3) root position in the camera frame, metres.
    """

    global_rotmat: torch.Tensor
    pose_rotmat: torch.Tensor
    shape: torch.Tensor
    root_px: torch.Tensor
    depth: torch.Tensor
    transl: torch.Tensor


def rotmat_from_6d(x: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotations from (..., 6) = two columns, Gram-Schmidt orthonormalised."""
    a, b = x[..., 0:3], x[..., 3:6]
    c1 = nn.functional.normalize(a, dim=-1)
    c2 = nn.functional.normalize(b - (c1 * b).sum(-1, keepdim=True) * c1, dim=-1)
    c3 = torch.linalg.cross(c1, c2, dim=-1)
    return torch.stack([c1, c2, c3], -1)


def rotmat_to_6d(r: torch.Tensor) -> torch.Tensor:
    """(..., 6) first two columns of (..., 3, 3) rotations."""
    return torch.cat([r[..., :, 0], r[..., :, 1]], -1)


def keypoint_box(kp2d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(centre (B, 2) px, size (B,) px: longer side) of the box of keypoints (B, 33, 3) with
    confidence >= BOX_CONFIDENCE (all keypoints where fewer than four are)."""
    conf = kp2d[..., 2]
    good = conf >= BOX_CONFIDENCE
    good = torch.where(good.sum(-1, keepdim=True) >= 4, good, torch.ones_like(good))
    big = torch.finfo(kp2d.dtype).max
    lo = torch.where(good[..., None], kp2d[..., :2], kp2d.new_tensor(big)).amin(1)
    hi = torch.where(good[..., None], kp2d[..., :2], kp2d.new_tensor(-big)).amax(1)
    return (lo + hi) / 2, (hi - lo).amax(-1).clamp_min(8.0)


def observation_features(kp2d: torch.Tensor, lm3d: torch.Tensor,
                         intrinsics: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Network input from detector output.

    kp2d: (B, 33, 3) pixels + confidence. lm3d: (B, 33, 3) hip-centred landmarks, metres (zeros
    when the detector has none). intrinsics: (B, 4) fx, fy, cx, cy in pixels.
    Returns (features (B, 200) float32, box centre (B, 2) px, box size (B,) px).
    """
    centre, size = keypoint_box(kp2d)
    conf = kp2d[..., 2:3]
    seen = (conf > 0).to(kp2d.dtype)
    xy = ((kp2d[..., :2] - centre[:, None]) / size[:, None, None]).clamp(-2.0, 2.0) * seen
    lm = lm3d.clamp(-2.0, 2.0) * seen
    ray = (centre - intrinsics[:, 2:4]) / intrinsics[:, 0:2]
    feats = torch.cat([xy.flatten(1), conf.flatten(1), lm.flatten(1), ray], -1)
    return feats, centre, size


class _Block(nn.Module):
    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU(),
                                 nn.Dropout(dropout), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.net(x)


def residual_mlp(c: InitializerConfig) -> tuple[nn.Linear, nn.Sequential, nn.Sequential]:
    """(input layer, residual blocks, output head) of the pool-trained networks (this one and
    core.fitting.lifter's), sized by ``c``."""
    return (nn.Linear(c.in_dim, c.width),
            nn.Sequential(*[_Block(c.width, c.dropout) for _ in range(c.blocks)]),
            nn.Sequential(nn.LayerNorm(c.width), nn.Linear(c.width, c.out_dim)))


class InitializerNet(nn.Module):
    """Residual MLP: (B, 200) features -> (B, 147) raw outputs (see ``decode``)."""

    def __init__(self, config: InitializerConfig | None = None) -> None:
        super().__init__()
        self.config = config or InitializerConfig()
        c = self.config
        self.inp, self.blocks, self.out = residual_mlp(c)
        # start at the rest pose facing the camera: identity 6D rotations, zero offsets
        nn.init.zeros_(self.out[1].weight)
        bias = torch.zeros(c.out_dim)
        eye6 = torch.tensor([1.0, 0, 0, 0, 1.0, 0])
        bias[: 6 * (NUM_POSE_JOINTS + 1)] = eye6.repeat(NUM_POSE_JOINTS + 1)
        with torch.no_grad():
            self.out[1].bias.copy_(bias)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.inp(feats)))


def decode(raw: torch.Tensor, centre: torch.Tensor, size: torch.Tensor,
           intrinsics: torch.Tensor) -> Prediction:
    """Raw outputs (B, 147) + the box (centre (B, 2), size (B,) px) + intrinsics (B, 4) ->
    Prediction."""
    b = raw.shape[0]
    n_rot = 6 * (NUM_POSE_JOINTS + 1)
    rots = rotmat_from_6d(raw[:, :n_rot].reshape(b, NUM_POSE_JOINTS + 1, 6))
    shape = torch.sigmoid(raw[:, n_rot:n_rot + NUM_SHAPE])
    uv_off, log_k = raw[:, -3:-1], raw[:, -1] + LOG_K_MEAN
    root_px = centre + uv_off * size[:, None]
    depth = intrinsics[:, 0] * torch.exp(log_k) / size
    xy = (root_px - intrinsics[:, 2:4]) / intrinsics[:, 0:2] * depth[:, None]
    transl = torch.cat([xy, depth[:, None]], -1)
    return Prediction(rots[:, 0], rots[:, 1:], shape, root_px, depth, transl)


class Initializer(TrainedNetwork):
    """The trained network, ready to guess bodies. Build with ``Initializer.load``."""

    @classmethod
    def load(cls, device: torch.device | str = "cpu",
             path: str | Path | None = None) -> "Initializer | None":
        """The initializer from its weights file, or None (with a log line) when the file is
        missing, so callers fall back to another first guess."""
        p = Path(path) if path is not None else WEIGHTS_PATH
        loaded = load_module(p, lambda c: InitializerNet(InitializerConfig(**c)), log,
                             "learned initializer not available (%s missing; run "
                             "scripts/train_initializer.py to make it); using the analytic first "
                             "guess")
        return None if loaded is None else cls(loaded[0], device, loaded[1])

    @torch.no_grad()
    def predict_batch(self, kp2d: np.ndarray | torch.Tensor, lm3d: np.ndarray | torch.Tensor,
                      intrinsics: np.ndarray | torch.Tensor) -> Prediction:
        """Batched guess. kp2d (B, 33, 3) px + confidence; lm3d (B, 33, 3) metres; intrinsics
        (B, 4) fx, fy, cx, cy. Returns a Prediction on this initializer's device."""
        t = lambda a: torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a,  # noqa: E731
                                      dtype=torch.float32, device=self.device)
        kp, lm, intr = t(kp2d), t(lm3d), t(intrinsics)[:, :4]
        feats, centre, size = observation_features(kp, lm, intr)
        return decode(self.net(feats), centre, size, intr)

    def predict(self, observation: Observation, camera: Camera) -> BodyParams:
        """AnnyBody parameters (camera frame) guessed from one observation seen by ``camera``."""
        import roma

        if not observation.person:
            raise StudioError("The initializer needs an observation with a person in it; "
                              "run detection on a frame where someone is visible.")
        intr = np.array([[camera.fx, camera.fy, camera.cx, camera.cy]], np.float32)
        pred = self.predict_batch(observation.keypoints2d[None], observation.landmarks3d[None], intr)
        go = roma.rotmat_to_rotvec(pred.global_rotmat)[0].cpu().numpy()
        pose = roma.rotmat_to_rotvec(pred.pose_rotmat)[0].cpu().numpy()
        return BodyParams("anny", go, pose, pred.shape[0].cpu().numpy(),
                          pred.transl[0].cpu().numpy())


_loaded: dict[str, Initializer | None] = {}


def initial_params(observation: Observation, camera: Camera, body) -> BodyParams | None:
    """The learned guess for ``body`` (None when the weights are missing or ``body`` is not
    AnnyBody). The network loads once per process and device."""
    if getattr(body, "name", None) != "anny" or not observation.person:
        return None
    key = str(getattr(body, "device", "cpu"))
    if key not in _loaded:
        _loaded[key] = Initializer.load(key)
    init = _loaded[key]
    return None if init is None else init.predict(observation, camera)
