"""Energy terms of the single-frame fit (torch, batched over B hypotheses or bodies).

Every term returns a (B,) tensor normalised to be O(1) for a typical error, so the weights in
core.fitting.config.LossWeights read as relative importances. Pixel residuals are rescaled by
``person_scale`` (pixels per "reference pixel" of a person 500 px tall) before any robust loss.
"""
from __future__ import annotations

import torch

#: Pairs of BlazePose indices whose directions the 3D landmark term compares: limbs, torso sides,
#: shoulder and hip lines, feet, and shoulder -> nose for the head.
DIRECTION_BONES: tuple[tuple[int, int], ...] = (
    (11, 13), (13, 15), (12, 14), (14, 16),          # arms
    (23, 25), (25, 27), (24, 26), (26, 28),          # legs
    (11, 12), (23, 24), (11, 23), (12, 24),          # torso
    (27, 31), (28, 32), (29, 31), (30, 32),          # feet
    (11, 0), (12, 0),                                # head
)

#: The torso's bones (shoulder line, hip line, sides): what says which way the body faces.
TORSO_BONES: tuple[tuple[int, int], ...] = ((11, 12), (23, 24), (11, 23), (12, 24))

#: BlazePose points of the arms that must stay outside the torso: elbows, wrists, hand points.
ARM_POINTS: tuple[int, ...] = (13, 14, 15, 16, 17, 18, 19, 20, 21, 22)
#: (elbow, wrist) pairs whose midpoints are tested too (mid-forearm).
FOREARMS: tuple[tuple[int, int], ...] = ((13, 15), (14, 16))

#: A person this tall in pixels has person_scale 1.
REFERENCE_PERSON_PX = 500.0
#: Pixel unit of the squared residuals: a 10 px error costs 1.
RESIDUAL_UNIT_PX = 10.0


def project(points: torch.Tensor, fx: float, fy: float, cx: float, cy: float) -> torch.Tensor:
    """(B, N, 2) pixel coordinates of camera-frame points (B, N, 3) in metres (z clamped > 1 mm)."""
    z = points[..., 2].clamp_min(1e-3)
    return torch.stack([fx * points[..., 0] / z + cx, fy * points[..., 1] / z + cy], -1)


def geman_mcclure(sq: torch.Tensor, sigma: float) -> torch.Tensor:
    """Robust cost of squared residuals ``sq``: sigma^2 sq / (sigma^2 + sq) (same units as sq)."""
    s2 = sigma * sigma
    return s2 * sq / (s2 + sq)


def keypoint_loss(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor,
                  person_scale: float, sigma_px: float) -> torch.Tensor:
    """(B,) robust weighted reprojection error.

    pred: (B, 33, 2) projected body landmarks, pixels. target: (33, 2) detected keypoints, pixels.
    weights: (33,) confidence x landmark reliability (>= 0). person_scale: person height / 500 px.
    sigma_px: Geman-McClure scale in reference pixels.
    returns: weighted mean of the robust squared error in units of (10 reference px)^2.
    """
    sq = ((pred - target) ** 2).sum(-1) / (person_scale ** 2)         # (B, 33) ref px^2
    cost = geman_mcclure(sq, sigma_px) / RESIDUAL_UNIT_PX ** 2
    return (cost * weights).sum(-1) / weights.sum().clamp_min(1e-6)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def _bone_dirs(points: torch.Tensor, bones: tuple[tuple[int, int], ...]) -> torch.Tensor:
    a = torch.tensor([i for i, _ in bones], device=points.device)
    b = torch.tensor([j for _, j in bones], device=points.device)
    return _unit(points[..., b, :] - points[..., a, :])


def bone_weights(point_weights: torch.Tensor,
                 bones: tuple[tuple[int, int], ...] = DIRECTION_BONES) -> torch.Tensor:
    """(K,) weight of each bone: the smaller weight of its two end points."""
    a = torch.tensor([i for i, _ in bones], device=point_weights.device)
    b = torch.tensor([j for _, j in bones], device=point_weights.device)
    return torch.minimum(point_weights[a], point_weights[b])


def best_rotation(src: torch.Tensor, dst: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) rotation R minimising sum_k w_k |R src_k - dst_k|^2 (Kabsch, no reflection).

    src: (K, 3) or (B, K, 3); dst: (B, K, 3); w: (K,) >= 0.
    """
    src = src.expand_as(dst)
    h = (src * w[:, None]).transpose(-1, -2) @ dst                       # (B, 3, 3)
    u, _, vt = torch.linalg.svd(h)
    d = torch.sign(torch.linalg.det(vt.transpose(-1, -2) @ u.transpose(-1, -2)))
    fix = torch.diag_embed(torch.stack([torch.ones_like(d), torch.ones_like(d), d], -1))
    return vt.transpose(-1, -2) @ fix @ u.transpose(-1, -2)


def direction_loss(pred3d: torch.Tensor, target3d: torch.Tensor, weights: torch.Tensor,
                   align: bool = True,
                   bones: tuple[tuple[int, int], ...] = DIRECTION_BONES) -> torch.Tensor:
    """(B,) weighted mean of (1 - cos) between body and observed bone directions.

    pred3d: (B, 33, 3) body landmarks, camera frame, metres. target3d: (33, 3) BlazePose metric
        landmarks (hip-centred, camera-parallel axes). weights: (K,) per bone.
    align: first rotate the observed directions by the best rotation onto the body's (detached),
        so an error in BlazePose's global tilt does not fight the 2D keypoints; the relative
        directions (which limb points towards the camera) still count.
    """
    dp = _bone_dirs(pred3d, bones)                                       # (B, K, 3)
    dt = _bone_dirs(target3d, bones)                                     # (K, 3)
    if align:
        with torch.no_grad():
            r = best_rotation(dt, dp, weights)
        dt = dt @ r.transpose(-1, -2)                                    # (B, K, 3)
    cos = (dp * dt).sum(-1)
    return ((1.0 - cos) * weights).sum(-1) / weights.sum().clamp_min(1e-6)


def torso_frame(landmarks: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The torso's own frame from body landmarks (B, 33, 3): hip midpoint (B, 3), unit up,
    left and forward axes (B, 3), torso length and half shoulder width (B,), metres."""
    hip = 0.5 * (landmarks[:, 23] + landmarks[:, 24])
    sho = 0.5 * (landmarks[:, 11] + landmarks[:, 12])
    up_v = sho - hip
    length = up_v.norm(dim=-1).clamp_min(1e-4)
    up = up_v / length[:, None]
    across = landmarks[:, 11] - landmarks[:, 12]
    half_width = 0.5 * across.norm(dim=-1).clamp_min(1e-4)
    left = _unit(across - (across * up).sum(-1, keepdim=True) * up)
    fwd = torch.linalg.cross(up, left)
    return hip, up, left, fwd, length, half_width


def interpenetration_loss(landmarks: torch.Tensor, width_ratio: float = 0.8,
                          depth_ratio: float = 0.55) -> torch.Tensor:
    """(B,) penalty for arm points inside the torso.

    The torso is an elliptic cylinder from the hip line to the shoulder line of the body's own
    landmarks (B, 33, 3), half-axes ``width_ratio`` and ``depth_ratio`` times half the shoulder
    width. Elbows, wrists, hand points and mid-forearms that fall inside (elliptic radius r < 1,
    between 5 % and 95 % of the torso's height) cost (1 - r)^2 each.
    """
    hip, up, left, fwd, length, hw = torso_frame(landmarks)
    pts = [landmarks[:, list(ARM_POINTS)]]
    pts += [0.5 * (landmarks[:, [a]] + landmarks[:, [b]]) for a, b in FOREARMS]
    p = torch.cat(pts, 1) - hip[:, None]                                 # (B, N, 3)
    t = (p * up[:, None]).sum(-1) / length[:, None]
    u = (p * left[:, None]).sum(-1) / (width_ratio * hw[:, None])
    v = (p * fwd[:, None]).sum(-1) / (depth_ratio * hw[:, None])
    r = torch.sqrt(u * u + v * v + 1e-8)
    inside = ((t > 0.05) & (t < 0.95)).to(r.dtype).detach()
    return (torch.relu(1.0 - r) ** 2 * inside).sum(-1)
