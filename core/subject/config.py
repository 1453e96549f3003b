"""Configuration of the per-subject avatar optimization: nested dataclasses whose defaults are
documented where they are declared. Tests and benchmarks shrink a config (fewer frames and
iterations, a smaller texture) instead of patching code.

    SubjectConfig()                                        # the CLI default: ~3 min for 100 frames
    SubjectConfig(optim=OptimConfig(iterations=20, batch=2), texture=TextureConfig(size=128))
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OptimConfig:
    """The optimizer's schedule.

    iterations: Adam steps in total (a resumed run continues up to this count).
    batch: frames per step (drawn without replacement, epoch by epoch, from the used frames).
    vertices: body vertices posed per frame and step: half a fixed set spread evenly over the
        body's surface by area (the silhouette's cover term uses only these: the nearest vertex
        of a fresh random subset lies inside the outline on average, and a draw by vertex id
        puts half the set on the finely meshed hands and head; both would inflate the avatar),
        half fresh random ones every step; the skinning cost is proportional to it, the
        Laplacian spreads updates to the rest.
    full_every: every this many steps is a *full* step that also moves the body poses and the
        shape (through the body model's whole forward pass, ~5x the cost); the steps between
        move the clothing and each frame's orientation and translation with cached skinning
        transforms (core/subject/posing.py). 1 makes every step full.
    eval_every: steps between evaluations of the full objective on every used frame (a fixed
        vertex subset, no randomness), which decides the best avatar so far.
    snapshot_every: steps between ``AvatarSnapshot`` previews (0: only at evaluations).
    seed: seed of the frame and vertex sampling.
    threads: torch threads while optimizing; 0 leaves the process setting alone.
    final_clothing: steps of a last clothing-only round after the final pose pass
        (RefineConfig.final_steps), against the poses that pass found, with fresh random
        vertices every step (0: none); kept only when the full objective goes down.
    final_clothing_lr: its displacement step size as a fraction of ``LearningRates.displacement``.
    final_rounds: how many times the final pose pass and that clothing round alternate.
    """

    iterations: int = 150
    batch: int = 8
    vertices: int = 2000
    full_every: int = 3
    eval_every: int = 50
    snapshot_every: int = 0
    seed: int = 0
    threads: int = 0
    final_clothing: int = 100
    final_clothing_lr: float = 0.5
    final_rounds: int = 2


@dataclass
class RefineConfig:
    """Per-frame pose refinement before the shared clothing is optimized (core/subject/refine.py).

    Every used frame's orientation, pose and translation move against its own mask and
    keypoints, all frames in one batch, with the shape frozen (core.fitting's exact frozen-shape
    rig on a vertex subset): it corrects the limbs the sequence fit smoothed away in fast
    motion, which the shared clothing would otherwise try to explain with blobs.

    steps: Adam steps (0: no refinement). vertices: evenly spread body vertices posed per frame.
    lr_pose / lr_orient (radians), lr_transl (metres): Adam step sizes, cosine-decayed to 10 %.
    drift: weight of the squared change from the sequence fit (rad^2; translation per 10 cm);
        smaller than the clothing stage's ``pose_drift``: here the poses are meant to move.
    final_steps: Adam steps of a last pass after the clothing, over all frames at once: every
        frame's pose against the *clothed* avatar (full body-model passes, clothing and shape
        held), minimising the clothing stage's own objective (0: none).
    robust: frames whose silhouette energy after refinement exceeds this many times the
        median count less in the clothing's silhouette term (weight 1 / (1 + (e / (robust x
        median))^2)), so a frame whose pose is still wrong cannot pull the shared clothing.
    """

    steps: int = 100
    vertices: int = 1200
    lr_pose: float = 0.03
    lr_orient: float = 0.01
    lr_transl: float = 0.005
    drift: float = 0.05
    robust: float = 1.5
    final_steps: int = 60


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
    pose_prior: BodyModel.pose_prior (joint limits).
    pose_drift: squared change of each frame's pose/orientation from its sequence fit, rad^2
        (translation in units of 10 cm), so the refinement only corrects.
    shape_prior: BodyModel.shape_prior.
    """

    silhouette: float = 2.0
    keypoints: float = 0.1
    laplacian: float = 1.0
    displacement_l2: float = 0.02
    pose_prior: float = 1.0
    pose_drift: float = 0.2
    shape_prior: float = 0.002


@dataclass
class Limits:
    """Bounds of the clothing displacement along the outward rest normal, metres.

    min: how far the avatar may lie inside the fitted body (a body fit a little too large).
    max: how far clothing may stand off the skin (loose shirts, skirts, hair).
    hands, feet, head: the fraction of [min, max] allowed on vertices skinned to the hands, the
        feet (shoes) and the head (hair, no face masks); see core/subject/regions.py. The
        bounds are hard (the displacement is clamped after every step).
    """

    min: float = -0.03
    max: float = 0.15
    hands: float = 0.0
    feet: float = 0.25
    head: float = 0.15


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
    refine, optim, lr, weights, limits, texture: see their classes.
    """

    frames: int = 100
    mask_side: int = 480
    contour_points: int = 256
    refine: RefineConfig = field(default_factory=RefineConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    lr: LearningRates = field(default_factory=LearningRates)
    weights: LossWeights = field(default_factory=LossWeights)
    limits: Limits = field(default_factory=Limits)
    texture: TextureConfig = field(default_factory=TextureConfig)
