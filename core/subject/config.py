"""Configuration of the per-subject avatar optimization: nested dataclasses whose defaults are
documented where they are declared. Tests and benchmarks shrink a config (fewer frames and
iterations, a smaller texture) instead of patching code.

    SubjectConfig()                                        # the CLI default: ~2 min for 100 frames
    SubjectConfig(optim=OptimConfig(iterations=20, batch=2), texture=TextureConfig(size=128))
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OptimConfig:
    """The optimizer's schedule.

    iterations: Adam steps in total (a resumed run continues up to this count).
    batch: frames per step (drawn without replacement, epoch by epoch, from the used frames).
    vertices: body vertices posed per frame and step: half a fixed random set (the silhouette's
        cover term uses only these: the nearest vertex of a fresh random subset lies inside the
        outline on average, which would inflate the avatar), half fresh random ones every step;
        the skinning cost is proportional to it, the Laplacian spreads updates to the rest.
    full_every: every this many steps is a *full* step that also moves the body poses and the
        shape (through the body model's whole forward pass, ~5x the cost); the steps between
        move the clothing and each frame's orientation and translation with cached skinning
        transforms (core/subject/posing.py). 1 makes every step full.
    eval_every: steps between evaluations of the full objective on every used frame (a fixed
        vertex subset, no randomness), which decides the best avatar so far.
    snapshot_every: steps between ``AvatarSnapshot`` previews (0: only at evaluations).
    seed: seed of the frame and vertex sampling.
    threads: torch threads while optimizing; 0 leaves the process setting alone.
    """

    iterations: int = 200
    batch: int = 8
    vertices: int = 2000
    full_every: int = 3
    eval_every: int = 50
    snapshot_every: int = 0
    seed: int = 0
    threads: int = 0


@dataclass
class LearningRates:
    """Adam step sizes (cosine-decayed to 10 % by the last step).

    displacement: clothing displacement along the rest normal, metres per step.
    shape: shape parameters (free logits for bounded shapes such as Anny's phenotypes).
    orient: per-frame global orientation, radians. pose: per-frame body pose, radians.
    transl: per-frame root translation, metres.
    """

    displacement: float = 5e-3
    shape: float = 0.03
    orient: float = 6e-3
    pose: float = 1e-2
    transl: float = 5e-3


@dataclass
class LossWeights:
    """Weights of the energy terms (each term is O(1) for a typical error).

    silhouette: core.render.silhouette loss per frame (units of 1 % of the mask's longer side).
    keypoints: robust 2D reprojection of the 33 BlazePose points (units of (10 px)^2 for a
        person 500 px tall), weighted by confidence x the body's landmark reliability.
    laplacian: squared uniform Laplacian of the displacement field, per (cm)^2 (smooth cloth).
    displacement_l2: squared displacement per (10 cm)^2 (keeps unobserved parts near the body).
    displacement_limit: squared excess of the displacement beyond [min, max] of ``Limits``, per
        cm^2 (a hard-ish wall).
    pose_prior: BodyModel.pose_prior (joint limits).
    pose_drift: squared change of each frame's pose/orientation from its sequence fit, rad^2
        (translation in units of 10 cm), so the refinement only corrects.
    shape_prior: BodyModel.shape_prior.
    """

    silhouette: float = 2.0
    keypoints: float = 0.3
    laplacian: float = 1.0
    displacement_l2: float = 0.02
    displacement_limit: float = 10.0
    pose_prior: float = 1.0
    pose_drift: float = 0.5
    shape_prior: float = 0.002


@dataclass
class Limits:
    """Bounds of the clothing displacement along the outward rest normal, metres.

    min: how far the avatar may lie inside the fitted body (a body fit a little too large).
    max: how far clothing may stand off the skin (loose shirts, skirts, hair).
    """

    min: float = -0.03
    max: float = 0.15


@dataclass
class TextureConfig:
    """Colour baking from the frames.

    size: side of the square UV texture in pixels (0: no texture image, vertex colours only).
    frames: at most this many frames (evenly spread over the used frames) give colour.
    erode: pixels eroded from each person mask before colours are taken (no background fringe).
    min_iou: frames whose avatar silhouette IoU is below this give no colour.
    """

    size: int = 1024
    frames: int = 20
    erode: int = 2
    min_iou: float = 0.6


@dataclass
class SubjectConfig:
    """Everything the per-subject optimization can be told.

    frames: at most this many frames, evenly spread over the fitted ones, take part (0: all).
    mask_side: longer side, in pixels, the person masks are reduced to for the silhouette term
        and for the IoU figures.
    contour_points: points along each mask's outline that the silhouette's cover term pulls
        the avatar towards.
    optim, lr, weights, limits, texture: see their classes.
    """

    frames: int = 100
    mask_side: int = 480
    contour_points: int = 256
    optim: OptimConfig = field(default_factory=OptimConfig)
    lr: LearningRates = field(default_factory=LearningRates)
    weights: LossWeights = field(default_factory=LossWeights)
    limits: Limits = field(default_factory=Limits)
    texture: TextureConfig = field(default_factory=TextureConfig)
