"""Which way the body faces in each frame of a window: candidates scored on the image, one path
through time.

The temporal regressor's orientation can be off by tens of degrees (a camera looking down
steeply, a three-quarter back view), more than a window's few smooth steps correct. Per frame,
candidates are the first guess turned about the body's vertical by several headings, and the
analytic guess (the detector's 3D torso, core.fitting.heuristic_init); each is turned and placed
rigidly on the frame's keypoints and scored on its 2D reprojection and on the facing evidence
(core.fitting.facing). A Viterbi pass then picks one candidate per frame, paying for every
degree of turn beyond a free few between consecutive frames, so a wrong frame is outvoted by its
neighbours and a real turn is followed. (Which labelling a frame uses is decided before, by the
facing evidence: core.temporal.sequence.)
"""
from __future__ import annotations

import numpy as np
import torch

from core.fitting import losses
from core.fitting.facing import toward_camera
from core.types import Camera

from .config import OrientationConfig
from .window_fit import WindowEvidence, solve_translation


def _yaw(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise rotation angles (..., H, H') between rotations a (..., H, 3, 3), b (..., H', 3, 3)."""
    tr = torch.einsum("...hij,...kij->...hk", a, b)
    return torch.arccos(((tr - 1.0) / 2.0).clamp(-1.0, 1.0))


def candidate_energies(rig, camera: Camera, evidence: WindowEvidence,
                       rotations: torch.Tensor, poses: torch.Tensor, facing: torch.Tensor,
                       config: OrientationConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(energies (B, H), rotations (B, H, 3, 3)): every candidate turned and placed rigidly to
    fit its frame's keypoints (``config.rigid_steps`` Adam steps on the orientation and the
    translation, the pose held; all B x H at once), then costed: robust 2D reprojection and
    facing (against the smoothed evidence).

    evidence: the window's WindowEvidence. rotations: (B, H, 3, 3) canonical -> camera first
    guesses; poses: (B, H, P, 3). facing: (B,) smoothed facing evidence in [-1, 1].
    """
    import roma

    b, h = rotations.shape[:2]
    zero = torch.zeros(b * h, 3, device=rotations.device)
    with torch.no_grad():
        local, _ = rig(zero, poses.reshape(b * h, *poses.shape[2:]), zero)
    local = local.reshape(b, h, 33, 3)                                   # canonical, root at 0
    kp = evidence.keypoints[:, None].expand(b, h, 33, 2)
    w2d = evidence.w2d[:, None].expand(b, h, 33)
    scale = (evidence.scale / losses.REFERENCE_PERSON_PX)[:, None, None]     # (B, 1, 1)
    with torch.no_grad():
        pts0 = local @ rotations.transpose(-1, -2)
        tr0 = torch.stack([solve_translation(pts0[:, k], kp[:, k], w2d[:, k], camera)
                           for k in range(h)], 1)                             # (B, H, 3)
    delta = torch.zeros(b, h, 3, device=rotations.device, requires_grad=True)
    depth = tr0[..., 2:].clamp_min(0.3)
    tn = (tr0 / depth).clone().requires_grad_(True)

    def energy() -> tuple[torch.Tensor, torch.Tensor]:
        rot = rotations @ roma.rotvec_to_rotmat(delta)
        pts = local @ rot.transpose(-1, -2) + (tn * depth)[..., None, :]
        pred = losses.project(pts, camera.fx, camera.fy, camera.cx, camera.cy)
        sq = ((pred - kp) ** 2).sum(-1) / scale ** 2
        cost = losses.geman_mcclure(sq, 100.0) / losses.RESIDUAL_UNIT_PX ** 2
        e2 = (cost * w2d).sum(-1) / w2d.sum(-1).clamp_min(1e-6)
        c = toward_camera(pts.reshape(b * h, 33, 3)).reshape(b, h)
        f = facing[:, None]
        wrong = torch.where(f > 0, torch.relu(0.2 - c), torch.relu(c + 0.2))
        return e2 + config.facing * f.abs() * wrong, rot

    opt = torch.optim.Adam([{"params": [delta], "lr": 0.04}, {"params": [tn], "lr": 0.01}])
    for _ in range(config.rigid_steps):
        opt.zero_grad(set_to_none=True)
        energy()[0].sum().backward()
        opt.step()
    with torch.no_grad():
        e, rot = energy()
    return e.detach(), rot.detach()


def viterbi(energies: torch.Tensor, rotations: torch.Tensor, usable: list[bool],
            config: OrientationConfig, previous: torch.Tensor | None = None) -> list[int]:
    """One candidate per frame (B,) minimising the energies plus the turn cost between
    consecutive usable frames; unusable frames take candidate 0.

    energies: (B, H); rotations: (B, H, 3, 3); previous: (3, 3) rotation of the frame before
    the window (None at the start).
    """
    free = np.radians(config.free_turn_deg)

    def turn_cost(ra: torch.Tensor, rb: torch.Tensor) -> torch.Tensor:
        return config.turn * torch.relu(_angles(ra, rb) - free) ** 2

    idx = [i for i, u in enumerate(usable) if u]
    choice = [0] * len(usable)
    if not idx:
        return choice
    cost = energies[idx[0]].clone()
    if previous is not None:
        cost = cost + turn_cost(previous[None], rotations[idx[0]])[0]
    back = []
    for a, b in zip(idx[:-1], idx[1:]):
        best, arg = (cost[:, None] + turn_cost(rotations[a], rotations[b])).min(0)
        back.append(arg)
        cost = best + energies[b]
    k = int(torch.argmin(cost))
    choice[idx[-1]] = k
    for pos in range(len(idx) - 1, 0, -1):
        k = int(back[pos - 1][k])
        choice[idx[pos - 1]] = k
    return choice


def heading_candidates(rotation: np.ndarray, steps_deg: tuple[float, ...]) -> list[np.ndarray]:
    """Rotations (3, 3) of a body turned about its own vertical axis by each step (degrees)."""
    return [rotation @ _yaw(np.radians(d)) for d in steps_deg]
