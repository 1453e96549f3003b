"""Settings of the clothed-surface stage: nested dataclasses, every default documented here."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DepthConfig:
    """Depth mode (2K2K lineage): front/back depth maps over the person mask, fused by marching
    cubes in a pixel-aligned grid."""

    #: Pixels per grid cell in x and y on the image (2 = half resolution). Smaller is finer and
    #: slower (cost ~ 1/step^3).
    step: float = 2.0
    #: Side in pixels of the coarse grid the smooth extension is solved on (longest side of the
    #: person box); the result is upsampled bilinearly.
    solve_size: int = 160
    #: Body pixels closer than this to the body's own outline (pixels at solve scale) are not
    #: trusted as boundary values (steep, grazing depth); the solve decides them.
    body_margin: float = 1.0
    #: Constant clothing thickness added in front of and behind the body, metres.
    clothing_offset: float = 0.0075
    #: Hidden volume: the back surface stands off the body's back by this factor times how far
    #: the mask runs past the body's outline nearby (hair, a loose shirt, a skirt); the front,
    #: which the image shows, by ``front_reach`` times it.
    back_reach: float = 1.0
    front_reach: float = 0.3
    #: Cells of mask-past-body extension ignored as outline noise.
    extension_tolerance: float = 1.0
    #: Carving: the surface may stand off the fitted body by at most the clothing offset plus
    #: this margin plus the larger of the hidden reach and ``reach_factor`` times how far the
    #: cell lies outside the body's silhouette (metres); farther space between body parts
    #: (an arm and the torso, the legs seen from the side) is empty.
    carve_margin: float = 0.01
    reach_factor: float = 1.25


@dataclass
class ImplicitConfig:
    """Implicit mode (PaMIR lineage): occupancy from the body's signed distance and the image,
    marching cubes in a metric grid around the body."""

    #: Grid cells along the longest side of the volume (the person plus margins). 160 gives
    #: ~1.2 cm cells for a standing adult.
    resolution: int = 160
    #: Clothing offset around the visible body, metres (occupied where body SDF < this).
    clothing_offset: float = 0.005
    #: How far beyond the body the volume may grow where the mask extends past the body
    #: (hair, skirt, bag): band = offset + factor x (mask-to-body distance in metres).
    reach_factor: float = 1.25
    #: Largest distance from the body that can ever be occupied, metres.
    max_reach: float = 0.35
    #: Hidden volume: behind the body's mid-depth the band also grows by this factor times how
    #: far the mask runs past the body's outline nearby (core/surface/extension.py); on the
    #: visible side by ``front_reach`` times it (blended across the body's thickness).
    back_reach: float = 1.0
    front_reach: float = 0.3
    #: Pixels (at the extension grid's scale) of mask-past-body extension ignored as noise.
    extension_tolerance: float = 1.0


@dataclass
class SmoothConfig:
    """Mesh clean-up after marching cubes."""

    #: Taubin smoothing iterations (each one a shrink + inflate pair); 0 turns smoothing off.
    iterations: int = 8
    #: Taubin lambda (shrink) and mu (inflate) factors.
    lamb: float = 0.5
    mu: float = -0.53
    #: Keep only the largest connected component.
    largest_component: bool = True


@dataclass
class ColorConfig:
    """Vertex colours and the body's UV texture."""

    #: Side in pixels of the UV texture baked for the fitted body (0 = no texture).
    texture_size: int = 1024
    #: Mask threshold for what counts as the person when sampling colours.
    mask_threshold: float = 0.5
    #: Pixels the mask is eroded by before sampling, so silhouette edges take no background.
    erode: int = 2


@dataclass
class SurfaceConfig:
    """Everything reconstruct_surface needs to know.

    mode: "depth" (front/back depth maps, sharp image-aligned detail) or "implicit" (occupancy
        around the body, smoother, better at hidden sides).
    mask_threshold: soft-mask value from which a pixel belongs to the person.
    """

    mode: str = "depth"
    mask_threshold: float = 0.5
    depth: DepthConfig = field(default_factory=DepthConfig)
    implicit: ImplicitConfig = field(default_factory=ImplicitConfig)
    smooth: SmoothConfig = field(default_factory=SmoothConfig)
    color: ColorConfig = field(default_factory=ColorConfig)

    MODES = ("depth", "implicit")
