"""The learned pose prior: how likely a body pose is among real human motion.

Gaussian mixtures over AnnyBody's 22 joint rotations (axis-angles, canonical axes, relative to
Anny's rest A-pose), one mixture per body part (the trunk and head, the legs, the arms: each
part's joints as one vector), fitted by EM to the CMU motion capture retargeted onto Anny
(scripts/retarget_mocap.py, then scripts/train_pose_prior.py; assets/priors/). The parts are
independent of each other: with some fifty thousand frames of a few performers, a mixture over
all 66 numbers learns which arm pose went with which leg pose in those clips, while a person's
legs can stand straight under arms held in any way; scripts/train_pose_prior.py measures the
held-out likelihood of one mixture over the whole pose against the parts (and mixture sizes,
covariance ridges) on performers it did not see, and keeps the best (the figures are in the
weights' metadata and in assets/priors/README.md).

``PosePrior.cost(body_pose)`` is the fit's term: the negative log-likelihood per dimension,
shifted so that the training poses' median costs 0 (a smooth gradient towards real poses:
straight knees and an upright trunk for a standing person, unless the image says otherwise).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from core.weights import load_module, save_weights

log = logging.getLogger(__name__)

#: Where the trained prior lives.
WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "priors" / "anny_pose_gmm.pt"


@dataclass
class MixtureConfig:
    """components: number of Gaussians; dim: pose dimension (22 joints x 3 for Anny);
    ridge: added to every covariance's diagonal (rad^2), so no component collapses."""

    components: int = 16
    dim: int = 66
    ridge: float = 1e-4


class GaussianMixture(nn.Module):
    """Full-covariance Gaussian mixture, stored as means (K, D), Cholesky factors of the
    precision matrices (K, D, D, lower triangular) and log weights (K,)."""

    def __init__(self, config: MixtureConfig | None = None) -> None:
        super().__init__()
        self.config = config or MixtureConfig()
        k, d = self.config.components, self.config.dim
        self.register_buffer("means", torch.zeros(k, d))
        self.register_buffer("prec_chol", torch.eye(d).repeat(k, 1, 1))
        self.register_buffer("log_weights", torch.full((k,), -math.log(k)))
        self.register_buffer("offset", torch.zeros(()))

    def component_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """(B, K) log N(x | mean_k, cov_k) + log w_k for x (B, D)."""
        d = x.shape[-1]
        diff = x[:, None, :] - self.means[None]                            # (B, K, D)
        z = torch.einsum("kij,bkj->bki", self.prec_chol.transpose(-1, -2), diff)
        maha = (z * z).sum(-1)
        log_det = torch.log(torch.diagonal(self.prec_chol, dim1=-2, dim2=-1)).sum(-1)
        return self.log_weights - 0.5 * maha + log_det - 0.5 * d * math.log(2 * math.pi)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) log density of x (B, D)."""
        return torch.logsumexp(self.component_log_prob(x), -1)

    @torch.no_grad()
    def fit(self, data: torch.Tensor, iterations: int = 100, seed: int = 0,
            tol: float = 1e-4) -> list[float]:
        """EM on data (N, D) from a k-means++-style start; returns the mean log-likelihood per
        iteration."""
        g = torch.Generator().manual_seed(seed)
        n, d = data.shape
        k = self.config.components
        centres = [data[torch.randint(n, (1,), generator=g)].squeeze(0)]
        for _ in range(1, k):
            dist = torch.cdist(data, torch.stack(centres)).min(1).values ** 2
            centres.append(data[torch.multinomial(dist / dist.sum(), 1, generator=g)].squeeze(0))
        self.means.copy_(torch.stack(centres))
        cov = torch.cov(data.T) + self.config.ridge * torch.eye(d)
        self._set_covariances(cov.repeat(k, 1, 1))
        history: list[float] = []
        for _ in range(iterations):
            lp = self.component_log_prob(data)                              # (N, K)
            ll = torch.logsumexp(lp, -1)
            history.append(float(ll.mean()))
            resp = torch.exp(lp - ll[:, None])                              # (N, K)
            nk = resp.sum(0) + 1e-6
            self.log_weights.copy_(torch.log(nk / n))
            means = resp.T @ data / nk[:, None]
            self.means.copy_(means)
            covs = []
            for j in range(k):
                diff = data - means[j]
                covs.append((resp[:, j, None] * diff).T @ diff / nk[j]
                            + self.config.ridge * torch.eye(d))
            self._set_covariances(torch.stack(covs))
            if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
                break
        return history

    def _set_covariances(self, cov: torch.Tensor) -> None:
        prec = torch.linalg.inv(cov)
        prec = 0.5 * (prec + prec.transpose(-1, -2))
        self.prec_chol.copy_(torch.linalg.cholesky(prec))


#: Body parts of AnnyBody's POSE_JOINTS, each with its own mixture (indices into the 22).
PARTS: dict[str, tuple[int, ...]] = {
    "trunk": (0, 1, 2, 3, 4, 5, 6, 7),           # spine05 .. spine01, neck01, neck02, head
    "arms": (8, 9, 10, 11, 12, 13, 14, 15),      # clavicle, upper arm, forearm, wrist x 2
    "legs": (16, 17, 18, 19, 20, 21),            # thigh, shin, foot x 2
}


@dataclass
class PriorConfig:
    """parts: name -> pose-joint indices (None: one mixture over the whole pose).
    components: mixture size per part. ridge: covariance ridge (rad^2). joints: pose joints."""

    parts: dict[str, list[int]] | None = None
    components: int = 8
    ridge: float = 1e-3
    joints: int = 22


class PartsMixture(nn.Module):
    """One GaussianMixture per body part (or one over the whole pose); log densities add."""

    def __init__(self, config: PriorConfig | None = None) -> None:
        super().__init__()
        self.config = config or PriorConfig()
        c = self.config
        parts = c.parts or {"pose": list(range(c.joints))}
        self.parts = {k: list(v) for k, v in parts.items()}
        self.mixtures = nn.ModuleDict({
            k: GaussianMixture(MixtureConfig(c.components, 3 * len(v), c.ridge))
            for k, v in self.parts.items()})
        self.register_buffer("offset", torch.zeros(()))

    def log_prob(self, body_pose: torch.Tensor) -> torch.Tensor:
        """(B,) log density of body poses (B, P, 3)."""
        out = body_pose.new_zeros(body_pose.shape[0])
        for k, idx in self.parts.items():
            out = out + self.mixtures[k].log_prob(body_pose[:, idx].reshape(len(body_pose), -1))
        return out

    @torch.no_grad()
    def fit(self, poses: torch.Tensor, iterations: int = 100, seed: int = 0) -> int:
        """EM per part on poses (N, P, 3); returns the largest number of EM steps a part took."""
        steps = 0
        for k, idx in self.parts.items():
            hist = self.mixtures[k].fit(poses[:, idx].reshape(len(poses), -1),
                                        iterations if self.config.components > 1 else 1, seed)
            steps = max(steps, len(hist))
        return steps


class PosePrior:
    """The trained prior, ready for fits. Build with ``PosePrior.load``.

    model: the PartsMixture (on the prior's device). meta: training metadata.
    """

    def __init__(self, model: PartsMixture, meta: dict | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.model = model.to(device).eval()
        self.meta = meta or {}
        self.device = torch.device(device)
        self.dim = 3 * model.config.joints

    def cost(self, body_pose: torch.Tensor, parts: tuple[str, ...] | None = None
             ) -> torch.Tensor:
        """(...,) prior cost of body poses (..., P, 3): negative log-likelihood per dimension,
        0 at the training poses' median (differentiable). ``parts``: only these parts' mixtures
        (e.g. ("trunk", "legs")), each part's share of the offset with it; None: all."""
        lead = body_pose.shape[:-2]
        x = body_pose.reshape(-1, *body_pose.shape[-2:]).to(self.model.offset.dtype)
        if parts is None or set(parts) >= set(self.model.parts):
            nll = -self.model.log_prob(x) / self.dim - self.model.offset
            return nll.reshape(lead)
        logp = x.new_zeros(x.shape[0])
        share = 0
        for k, idx in self.model.parts.items():
            if k in parts:
                logp = logp + self.model.mixtures[k].log_prob(x[:, idx].reshape(len(x), -1))
                share += len(idx)
        nll = -logp / self.dim - self.model.offset * share / max(self.model.config.joints, 1)
        return nll.reshape(lead)

    def save(self, path: str | Path, meta: dict | None = None) -> None:
        from dataclasses import asdict

        save_weights(path, asdict(self.model.config), self.model.state_dict(),
                     meta or self.meta, half=False)

    @classmethod
    def load(cls, device: torch.device | str = "cpu",
             path: str | Path | None = None) -> "PosePrior | None":
        """The prior from its weights file, or None (with a log line) when it is missing."""
        p = Path(path) if path is not None else WEIGHTS
        loaded = load_module(p, lambda c: PartsMixture(PriorConfig(**c)), log,
                             "learned pose prior not available (%s missing; run "
                             "scripts/train_pose_prior.py); fits use the joint limits alone")
        return None if loaded is None else cls(loaded[0], loaded[1], device)


_loaded: dict[str, PosePrior | None] = {}


def pose_prior_for(body) -> PosePrior | None:
    """The installed prior for ``body`` (AnnyBody only; loaded once per process and device)."""
    if getattr(body, "name", None) != "anny":
        return None
    key = str(getattr(body, "device", "cpu"))
    if key not in _loaded:
        _loaded[key] = PosePrior.load(key)
    return _loaded[key]
