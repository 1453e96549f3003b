"""Configuration of sequence fitting and video tracking (nested dataclasses, defaults in code).

Tests and the benchmark shrink these (fewer iterations, shorter windows) instead of patching.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class WindowConfig:
    """How a video is cut into batches that are fitted together."""

    size: int = 96
    """New frames optimised together in one batch (B = size + context in the batched forward).
    A step's cost is mostly its number of small tensor operations, not the batch: on one CPU
    thread a 27-frame step takes about 54 ms and a 51-frame one 61, so a long window gives every
    frame more steps for the same compute (per frame about iterations x (46 ms / size + 0.3 ms)
    on that machine). 24 frames with 25 steps -> 96 with 60: pose2sim Demo_SinglePerson
    PA-MPJPE 59.5 -> 55.5 mm (0.64 -> 0.60 x BlazePose), Demo_MultiPerson 49.8 -> 49.6 with its
    front/back flips 9 -> 0, the same per-frame compute on a long video; the price is latency
    (the first fits come after ``size`` frames, 4 s at 24 fps) and the last window's fit, which
    no detection overlaps (bench/README.md, "Longer windows")."""
    context: int = 3
    """Frames of the previous window kept fixed at the start of the next one, so velocity and
    acceleration terms reach across the seam (the overlap)."""
    iterations: int = 15
    """Adam steps per window starting from the temporal regressor's guess (already close)."""
    iterations_analytic: int = 60
    """Adam steps per window starting from the analytic guess (the default guess). More steps
    help (at 24 frames: 25 -> 80 steps, 59.5 -> 55.9 mm on the drill) and cost per step, not
    per frame: see ``size``."""
    lr: float = 0.01
    """Adam step size of rotations from the regressor's guess, radians per frame (shared out
    over the K basis functions as lr / sqrt(K), see ``basis``)."""
    lr_analytic: float = 0.03
    """Adam step size of rotations from the analytic guess, radians."""
    basis_analytic: float = 1.0
    """``basis`` from the analytic guess: 1.0, per-frame unknowns (a guess that jitters from
    frame to frame needs corrections at every frequency)."""
    lr_transl: float = 0.01
    """Adam step size of the root translation, metres per frame (shared out like ``lr``)."""
    basis: float = 0.34
    """The window's unknowns are corrections to the first guess in the lowest
    ceil(basis * frames) cosine frequencies of the window (0.34: motions up to ~5 Hz at 30 fps
    for 24 frames); 1.0 gives every frame its own unknowns. The first guess's translations are
    projected onto the same basis. The analytic guess jitters from frame to frame, so a fit
    from it (no regressor installed) keeps per-frame unknowns."""


@dataclass
class EvidenceConfig:
    """How strongly each frame's observations pull on its body. The terms are core.fitting's
    (core.fitting.losses), each O(1) for a typical error, so weights read as importances."""

    keypoints2d: float = 1.0
    """Robust reprojection of the 33 points, in (10 px)^2 for a person 500 px tall."""
    robust_px: float = 100.0
    """Geman-McClure scale of a 2D residual, pixels for a person 500 px tall."""
    landmarks3d: float = 3.0
    """Limb directions against BlazePose's metric 3D landmarks (1 - cosine per bone)."""
    lifted_3d: float = 0.6
    """How far that term's target moves from BlazePose's 3D towards the learned lifter's answer
    from the 2D keypoints (core.fitting.lifter; core.fitting.config.FitConfig.lifted_3d). The
    single-frame fit moves 0.65 of the way; the sequence fit, chosen on its own on pose2sim
    Demo_MultiPerson, keeps 0.6 (50.5 mm there against 51.3 at 0.8)."""
    interpenetration: float = 50.0
    """Arms kept out of the torso."""
    facing: float = 20.0
    """Hinge on a body looking the way the smoothed facing evidence says it does not
    (core.fitting.facing), scaled by how sure the evidence is."""
    pose_prior: float = 10.0
    """The body model's joint-limit prior."""
    motion_prior: float = 5.0
    """The learned pose prior of real human motion (core.priors.pose_prior), per frame. With the
    head-turn smoothing (SmoothingConfig.head) holding the head, 20 -> 5 keeps the pose2sim drill
    free of front/back flips and lowers its PA-MPJPE 73.0 -> 72.2 mm, and the synthetic
    sequences' 86.5 -> 81.4 mm (their random poses are ones a real-motion prior finds
    unlikely); 0 brings three flips back."""
    motion_prior_parts: tuple[str, ...] | None = None
    """The prior's parts that take part (None: all; see core.fitting.config.LossWeights)."""
    pose_l2: float = 0.005
    """Squared pose magnitude (rad^2): unobserved joints stay near rest."""
    min_confidence: float = 0.2
    """Keypoints below this confidence are ignored."""


@dataclass
class SmoothingConfig:
    """Temporal terms, weighed against the evidence. Residuals are robust (Charbonnier), so a
    real fast motion costs only linearly and is not smoothed away, while jitter (small
    accelerations) is damped quadratically."""

    accel: float = 1.0
    """Weight of joint accelerations (camera frame, all joints; in units of accel_scale)."""
    accel_scale: float = 0.02
    """Charbonnier scale of an acceleration, m/frame^2: below it quadratic, above it linear."""
    velocity: float = 0.01
    """Weight of squared joint velocities (in units of accel_scale per frame), a weak damping."""
    transl_accel: float = 1.0
    """Weight of the root's acceleration (depth jitter is the worst: the camera barely sees it)."""
    head: float = 1.0
    """Weight of the head's turning acceleration (nose and ears about their centre, same scale):
    a head cannot swing tens of degrees for a frame or two and back, which is what a detector's
    momentarily mirrored head points ask for, and no joint centre shows that turn."""


@dataclass
class SilhouetteWindowConfig:
    """The person mask as a coarse silhouette term of the window fit (core.fitting's
    SilhouetteTerm on a few hundred body vertices). Keypoints fix the joints; the mask fixes where
    the body's bulk is (side views, bent-over poses). Frames without a mask skip it.

    Off by default: on single_person_demo.mp4 weight 1 / 5 steps lifts the fitted body's mask IoU
    0.716 -> 0.728 at the same keypoint error (17.5 -> 17.4 px) but costs ~4 ms/frame in the fit
    thread, about 15 % of end-to-end speed on taiji.mp4 (bench/README.md, Video)."""

    weight: float = 0.0
    """Weight of the term per frame against the keypoint term (0: off; 1 with ``steps`` 5 is the
    measured setting)."""
    steps: int = 5
    """The term joins only the last this-many Adam steps of a window (the costly part of the
    window fit is the vertex projection; the keypoints have done their work by then)."""
    vertices: int = 400
    """Body vertices (spread evenly over the surface) projected onto the mask."""
    mask_points: int = 160
    """Points along the mask's outline pulled onto the body."""
    resolution: int = 128
    """Longer side, in pixels, of the person crop the term measures on."""
    crop_px: int = 192
    """Longer side, in pixels, a frame's mask is cut down to as soon as it is detected (memory:
    one window of these)."""


@dataclass
class FlipConfig:
    """Left/right label swaps of the detector and sudden 180-degree turns."""

    enabled: bool = True
    ratio: float = 0.6
    """A frame's keypoints are relabelled when the swapped labelling is closer to the previous
    frame by this factor (swapped error < ratio * kept error)."""
    min_gap: float = 0.08
    """...and the kept labelling is off by at least this much (person heights, 2D + 3D)."""
    max_turn_degrees: float = 70.0
    """A first guess whose orientation turns more than this from the previous frame is replaced
    by the previous frame's orientation (a body cannot turn that far in one frame), unless the
    facing evidence says clearly that it did turn."""
    facing_seconds: float = 0.3
    """Time on each side over which the label-free facing evidence (core.fitting.facing) is
    averaged before it decides anything (a person turns round in about a second; the
    detector's mirror readings come a few frames at a time)."""
    relabel_evidence: float = 0.35
    """Smoothed facing evidence at least this sure overrides the detector: the frame's labels
    are swapped when the first guess faces the other way, and the turned-around guess is taken."""


@dataclass
class GapConfig:
    """Frames without a usable person."""

    min_confidence: float = 0.35
    """A frame whose mean confidence over the torso and limb keypoints is below this is
    'low_confidence': its body is interpolated from its neighbours instead of fitted."""
    max_bridge: int = 90
    """Longest gap (frames) bridged by interpolation; longer gaps stay 'no_person'."""


@dataclass
class OneEuroConfig:
    """Optional One-Euro filtering of the 2D keypoints before fitting (Casiez et al. 2012)."""

    enabled: bool = False
    min_cutoff: float = 1.0
    """Cutoff frequency (Hz) at rest: lower = smoother when still."""
    beta: float = 0.05
    """Speed coefficient: higher = less lag in fast motion (per pixel/s, scaled by person size)."""
    d_cutoff: float = 1.0
    """Cutoff frequency (Hz) of the speed estimate."""


@dataclass
class ShapeConfig:
    """One shape for the whole sequence."""

    start: bool = True
    """Take the body's fit shape (BodyModel.fit_shape, where single-frame fits start: for Anny a
    young adult's proportions at an average stature) instead of estimating it as below: one
    view of one person shows the proportions no better than the start knows them. Measured on
    pose2sim (bench/README.md, "the fit's start shape"): 61.3 -> 60.1 mm on the drill, 49.9 ->
    49.8 on the two-person capture; the synthetic video benchmark's PA-MPJPE 94.0 -> 92.9."""
    from_regressor: bool = True
    """With the temporal regressor installed, the shape is the median of its per-frame shapes
    over the first window (costs one network pass instead of single-frame fits)."""
    frames: int = 2
    """Otherwise: the most confident frames (of the first ones) fitted one by one with
    core.fitting; the median of their shapes is the sequence's shape, then frozen. Also the
    number of usable frames that must arrive before the shape is estimated."""
    rigid_iterations: int = 20
    """Rigid-stage steps of those single-frame fits."""
    iterations: int = 8
    """Body-stage steps of those single-frame fits (the stage that moves the shape)."""


@dataclass
class GroundConfig:
    """The floor of a video (core.temporal.ground): found from the fitted frames (trunks point
    up, feet in stance lie on it), then every later frame's feet stand on it and its trunk
    rises from it."""

    enabled: bool = True
    contact: float = 0.5
    """Weight of the lowest foot point's height over the floor (in 5 cm, squared; through the
    floor four times as much)."""
    upright: float = 2.0
    """Weight of the trunk's angle to the floor's normal beyond ``free_lean_deg``, rad^2."""
    free_lean_deg: float = 20.0
    """Lean that costs nothing."""
    min_frames: int = 12
    """Fitted frames needed before the floor is trusted."""
    max_tilt_deg: float = 20.0
    """The feet may tilt the floor's normal from the trunks' up direction by at most this."""
    still_m: float = 0.01
    """A lowest foot point moving less than this between frames is in stance."""
    history: int = 240
    """Recent fitted frames the floor is estimated from (memory stays bounded)."""


@dataclass
class OrientationConfig:
    """How the window's orientations are chosen (core.temporal.orientation).

    yaw_steps_deg: headings tried around each first guess (about the body's own vertical).
    facing: cost of a candidate looking the way the facing evidence says it does not (times the
        evidence's certainty; the hinge of core.fitting.facing).
    turn: cost per radian of turn between consecutive frames, squared beyond ``free_turn_deg``.
    rigid_steps: Adam steps that turn and place every candidate to its keypoints before they are
        compared (the pose held; all candidates of a window at once).
    """

    yaw_steps_deg: tuple[float, ...] = (0.0, -30.0, 30.0, -60.0, 60.0)
    facing: float = 2.0
    turn: float = 4.0
    free_turn_deg: float = 10.0
    rigid_steps: int = 20


@dataclass
class SequenceConfig:
    """Everything that shapes a sequence fit."""

    window: WindowConfig = field(default_factory=WindowConfig)
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    silhouette: SilhouetteWindowConfig = field(default_factory=SilhouetteWindowConfig)
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    flips: FlipConfig = field(default_factory=FlipConfig)
    gaps: GapConfig = field(default_factory=GapConfig)
    one_euro: OneEuroConfig = field(default_factory=OneEuroConfig)
    shape: ShapeConfig = field(default_factory=ShapeConfig)
    orientation: OrientationConfig = field(default_factory=OrientationConfig)
    ground: GroundConfig = field(default_factory=GroundConfig)
    use_regressor: bool = True
    """Load the temporal regressor (assets/temporal): its pose is the first guess when ``guess``
    says so, and with ``shape.start`` off the sequence's body shape comes from its shape head
    (``shape.from_regressor``). False: no regressor (with ``shape.start`` off, the shape from a
    few single-frame fits)."""
    guess: str = "analytic"
    """Each window's first guess: "analytic" (the default): each frame's orientation hypothesis
    nearest the previous frame (or the one the facing evidence is sure of) and its limbs along
    BlazePose's 3D directions (core.fitting.heuristic_init), median-filtered in time, then more
    and larger window steps; "regressor": the temporal regressor's poses, turned by the
    orientation candidates (core.temporal.orientation). On the real pose2sim drill (all 100
    frames, 4 views) the regressor's guess gave PA-MPJPE 95.7 mm with 24 front/back flips, the
    analytic one 74.6 mm with none: the regressor (trained on simulated BlazePose readings)
    does not carry to the detector's real errors, and its retrained versions did worse there
    (bench/README.md)."""
    vertices: bool = True
    """Fill FrameFit.vertices (the full mesh, needed for overlays and OBJs); False leaves only
    landmarks and joints (faster)."""
    threads: int = 0
    """torch threads while fitting; 0 leaves the process setting alone."""


@dataclass
class TrackConfig:
    """Video tracking: decode + detect + sequence fit, streaming."""

    sequence: SequenceConfig = field(default_factory=SequenceConfig)
    every: int = 1
    """Process every N-th frame."""
    max_frames: int = 0
    """Stop after this many processed frames (0: all)."""
    model_complexity: int = 1
    """BlazePose model: 0 lite, 1 full."""
    overlap_threads: bool = True
    """Fit in a second thread while the next frames are detected (perception and torch both
    release the GIL, so two cores work at once)."""
