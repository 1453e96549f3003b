"""Configuration of the single-frame body fit: nested dataclasses whose defaults are documented
where they are declared. Tests and benchmarks shrink a config (fewer iterations, no silhouette)
instead of patching code.

    FitConfig()                                   # "balanced": about 0.5 s per frame on one CPU core
    FitConfig(quality="fast")                     # scrubbing-grade fit
    FitConfig(iterations=Iterations(rigid=20, pose=10, body=0))   # explicit counts win over the preset
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Iteration counts per quality preset: (rigid, pose, body stage). Balanced runs 40 pose steps
#: (24 before the lifter's third round): on pose2sim Demo_MultiPerson 47.5 -> 47.2 mm, the drill
#: 53.4 -> 52.8, the photo fit about 0.1 s longer (0.44 s on ryota, one thread; bench/README.md).
QUALITY_PRESETS: dict[str, tuple[int, int, int]] = {
    "fast": (20, 15, 0),
    "balanced": (20, 40, 3),
    "best": (60, 80, 30),
}


@dataclass
class Iterations:
    """Optimizer steps per stage.

    rigid: stage 1, global orientation + translation with the body held at its initial pose, run
        for every orientation hypothesis (front- and back-facing) at once. A rigid step costs
        well under a millisecond (the body is evaluated once, then moved rigidly).
    pose: stage 2, pose + orientation + translation with the shape frozen (landmarks from the fast
        landmark rig: ~4 ms a step for Anny on one CPU thread).
    body: stage 3, pose + shape + orientation + translation + silhouette (one body-model forward
        and backward per step: ~18 ms for Anny on one CPU thread).
    """

    rigid: int = 30
    pose: int = 30
    body: int = 3


@dataclass
class LossWeights:
    """Weights of the energy terms. Every term is normalised to be O(1) for a typical error, so
    these weights read as relative importances.

    keypoints: 2D reprojection of the 33 BlazePose points (robust, in units of (10 px)^2 for a
        person 500 px tall; weighted by detector confidence x BodyModel.landmark_weights).
    landmarks3d: agreement of limb and torso directions with BlazePose's metric 3D landmarks after
        the best rotation (1 - cosine per bone); gives the depth ordering a single view lacks.
    silhouette: two-sided distance between projected body vertices and the person mask, in units
        of (10 px)^2 for a person 500 px tall (0 turns it off, as does FitConfig.silhouette).
    pose_prior: BodyModel.pose_prior (joint limits).
    motion_prior: the learned pose prior (core.priors.pose_prior: how likely the pose is among
        real human motion; negative log-likelihood per dimension, 0 at a typical real pose), beside
        the joint limits; it is what makes a standing person's knees straight and trunk upright
        unless the image says otherwise. Skipped for bodies it was not trained for.
    motion_prior_parts: the prior's parts that take part at ``motion_prior`` (trunk and head,
        arms, legs). The arms are left out of it: on the synthetic benchmark the whole prior at
        20 cost PA-MPJPE 21.5 -> 36.9 mm (clean synthetic readings need no prior, and the arms'
        poses vary most), trunk and legs at 15 cost 24.6 while the real pose2sim frames gained
        (74.9 -> 74.1 mm) and ryota's knees straightened (13.7 -> 8.8 degrees).
    motion_prior_arms: the prior's arms part on its own, lighter weight (when "arms" is not in
        ``motion_prior_parts``; motion_prior 0 turns the whole learned prior off). With the
        lifter's 3D the arms' depth is the weakest reading (wrists 60-65 mm off on pose2sim's
        drill); at 5 the single-frame fit gains on both real captures (Demo_MultiPerson 48.4 ->
        47.5 mm, Demo_SinglePerson 54.4 -> 53.4) and bench/video.py's synthetic per-frame row
        improves a little (73.0 -> 72.6); at 15 it costs that row 4 % (bench/README.md, "The
        lifter's third round and the arms' prior").
    pose_l2: squared magnitude of body_pose in rad^2 (keeps unobserved joints near rest).
    shape_prior: BodyModel.shape_prior (0 at the body's fit shape, ~1 per standard deviation).
    interpenetration: hands, wrists and elbows kept outside an elliptic cylinder fitted to the
        body's own torso (an arm never folds through the chest).
    facing: hinge on the face looking the way the label-free facing evidence says it does not
        (face found or not, nose against ears in 3D, heels against toes; core.fitting.facing),
        scaled by how sure the evidence is; 0 also stops trying the swapped labelling.
    relabel: the energy a fit pays for swapping the detector's left/right labels (a small
        preference for the detector's reading when nothing else decides).
    face: the head's orientation against the face mesh's eye and mouth corners (1 - cosine per
        axis of the face frame), when a face was found.
    hands: each found hand's palm frame (wrist, knuckles) against the body's (1 - cosine per
        axis), which turns the wrists (core.fitting.hands).
    """

    keypoints: float = 1.0
    landmarks3d: float = 10.0
    silhouette: float = 10.0
    pose_prior: float = 10.0
    motion_prior: float = 15.0
    motion_prior_parts: tuple[str, ...] = ("trunk", "legs")
    motion_prior_arms: float = 5.0
    pose_l2: float = 0.005
    shape_prior: float = 0.01
    interpenetration: float = 50.0
    facing: float = 20.0
    relabel: float = 0.05
    face: float = 2.0
    hands: float = 1.0


@dataclass
class LearningRates:
    """Adam step sizes (a cosine decay brings each to 10 % by the last step of its stage).

    orient: global orientation, radians. pose: body_pose, radians. shape: shape parameters
        (free logits for bounded shapes such as Anny's phenotypes, raw values otherwise).
    transl: root translation as a fraction of the initial depth (0.01 = 1 % per step).
    body_stage: factor on orient, pose and transl in stage 3, where they are already close and
        the shape is what moves.
    """

    orient: float = 0.02
    pose: float = 0.02
    shape: float = 0.1
    transl: float = 0.005
    body_stage: float = 0.1


@dataclass
class SilhouetteConfig:
    """The silhouette term's sampling.

    vertices: number of body vertices (spread evenly over the surface) projected each step.
    mask_points: number of points along the mask's outline whose nearest projected vertex is
        pulled onto them.
    resolution: longer side, in pixels, of the person crop the mask is resampled to (the term's
        precision: the crop is about 1.3 person heights).
    """

    vertices: int = 2000
    mask_points: int = 400
    resolution: int = 320


@dataclass
class FitConfig:
    """Everything the single-frame fit can be told.

    quality: "fast" | "balanced" | "best"; picks the iteration counts unless ``iterations`` is
        given.
    iterations: explicit per-stage step counts (None: from the quality preset).
    weights: energy term weights (LossWeights).
    lr: Adam step sizes (LearningRates).
    robust_scale_px: Geman-McClure scale of the keypoint residuals, in pixels for a person 500 px
        tall (residuals are rescaled by the person's size, so the fit behaves the same at any
        resolution); keypoints farther off than this count less and less.
    silhouette: use the person mask when the observation has one.
    silhouette_sampling: SilhouetteConfig.
    device: where front ends load the body model ("cpu", "cuda", None = automatic); the fit
        itself runs wherever the BodyModel it is given lives.
    use_initializer: start from the learned keypoints->body regressor when it is available
        (core.fitting.initializer), else from the analytic initializer (limb directions from the
        3D landmarks).
    min_keypoints: fewer keypoints than this with confidence >= 0.5 gives status "low_confidence".
    lifted_3d: how far the 3D-landmark term's target moves from BlazePose's 3D landmarks towards
        the learned lifter's answer from the 2D keypoints (core.fitting.lifter; 0: BlazePose's
        alone, 1: the lifter's alone). The two err independently; their weighted mean is the
        better target on real people (bench/README.md, "Lifted 3D"). 0.65 since the lifter
        trained on mirrored and mixed motion: Demo_MultiPerson's target prefers more (0.6 53.9,
        0.8 53.3 mm), and 0.65 is the most whose synthetic figures stay within 20 % of the old
        (bench/video.py's per-frame row: +15 %; 0.7 +21 %, 0.8 +28 %).
    """

    quality: str = "balanced"
    iterations: Iterations | None = None
    weights: LossWeights = field(default_factory=LossWeights)
    lr: LearningRates = field(default_factory=LearningRates)
    robust_scale_px: float = 100.0
    silhouette: bool = True
    silhouette_sampling: SilhouetteConfig = field(default_factory=SilhouetteConfig)
    device: str | None = None
    use_initializer: bool = True
    min_keypoints: int = 6
    lifted_3d: float = 0.65

    def __post_init__(self) -> None:
        if self.quality not in QUALITY_PRESETS:
            from core.errors import StudioError

            raise StudioError(f"Unknown fit quality '{self.quality}': choose one of "
                              f"{', '.join(QUALITY_PRESETS)}.")

    def steps(self) -> Iterations:
        """The iteration counts this config runs (explicit ones, else the quality preset's)."""
        if self.iterations is not None:
            return self.iterations
        rigid, pose, body = QUALITY_PRESETS[self.quality]
        return Iterations(rigid=rigid, pose=pose, body=body)
