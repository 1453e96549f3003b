"""Settings of the clothed-surface stage: nested dataclasses, every default documented here."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DepthConfig:
    """Depth mode (2K2K lineage): front/back depth maps over the person mask, fused by marching
    cubes in a pixel-aligned grid."""

    #: Grid cells along the longest side of the person's box in the image: the pixel step
    #: follows from the person's size, not the photo's (a 24-megapixel photo costs what a
    #: 1-megapixel one does). Larger is finer and slower (cost ~ cells^3). Never finer than
    #: one cell per (working) pixel.
    cells: int = 192
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
    #: Where the labels show a garment, the front stands off by this factor times the
    #: extension (loose cloth stands off in front as far as at its sides).
    front_reach_garment: float = 1.0
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

    #: Grid cells along the longest side of the volume (the person plus margins, metric, so
    #: independent of the photo's size). 160 gives ~1.2 cm cells for a standing adult.
    resolution: int = 160
    #: Clothing offset around the visible body, metres (occupied where body SDF < this).
    clothing_offset: float = 0.005
    #: Outside the body's silhouette (hair, a loose sleeve, a skirt, a bag) the band is the
    #: looseness of the nearest mask outline (how far it lies past the body), and at least this
    #: factor times the cell's own distance from the body (so every ray meets the volume).
    reach_factor: float = 1.0
    #: Largest distance from the body that can ever be occupied, metres.
    max_reach: float = 0.35
    #: Hidden volume: behind the body's mid-depth the band also grows by this factor times how
    #: far the mask runs past the body's outline nearby (core/surface/extension.py); on the
    #: visible side by ``front_reach`` times it (blended across the body's thickness), and by
    #: ``front_reach_garment`` where the labels show a garment (loose cloth stands off in
    #: front as much as at its sides; a face under hair does not).
    back_reach: float = 1.0
    front_reach: float = 0.3
    front_reach_garment: float = 1.0
    #: Pixels (at the extension grid's scale) of mask-past-body extension ignored as noise.
    extension_tolerance: float = 1.0


@dataclass
class SmoothConfig:
    """Mesh clean-up after marching cubes."""

    #: Taubin smoothing iterations (each one a shrink + inflate pair); 0 turns smoothing off.
    iterations: int = 20
    #: Taubin lambda (shrink) and mu (inflate) factors.
    lamb: float = 0.5
    mu: float = -0.53
    #: How much vertices over skin (face, hands: core/surface/labels.py) are smoothed, as a
    #: fraction of the others: the body's detail is kept where skin shows.
    skin_weight: float = 0.2
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
class BudgetConfig:
    """Memory and time bounded by the person, not the photo."""

    #: The frame and its mask are cropped to the person and shrunk so that the person's box is
    #: at most this many pixels on its longer side before any other step (labels, grids,
    #: colours): a 24-megapixel photo then costs about what a 1-megapixel one does.
    work_size: int = 1024
    #: Memory the surface may use, in GB; None: 60 % of what the system has available when the
    #: job starts (read from the operating system).
    max_memory_gb: float | None = None
    #: When the estimate before the job exceeds that memory: "coarsen" (run at the finest
    #: detail that fits; the mesh's ``notes`` say so) or "refuse" (a StudioError saying why).
    over_budget: str = "coarsen"


@dataclass
class LabelConfig:
    """Skin / hair / garment labelling of the person's pixels (core/surface/labels.py)."""

    #: Mahalanobis distance in the (a, b) chroma plane of CIELAB below which a pixel has the
    #: skin colour seeded by the face.
    skin_chroma: float = 3.0
    #: Smallest spread (standard deviation, 8-bit Lab units) the skin model's chroma may have.
    skin_min_std: float = 3.5
    #: The (stricter) Mahalanobis distance for the generic skin tone used when neither a face
    #: nor hands were seen.
    generic_skin_chroma: float = 2.0
    #: Lab distance below which a pixel has the hair colour seeded above the face.
    hair_distance: float = 28.0
    #: Most garment colour clusters (k-means on chroma and log-lightness; the log-lightness is
    #: scaled by 30 x ``lightness_weight``, so a shadow that halves a fabric's lightness moves it
    #: about 10 units and black against grey about 28).
    garment_clusters: int = 5
    lightness_weight: float = 0.5
    #: Clusters whose centres are closer than this (weighted Lab) are merged.
    merge_distance: float = 16.0
    #: Regions smaller than this fraction of the person join their largest neighbour.
    min_region: float = 0.004


@dataclass
class GarmentConfig:
    """The garment layer (core/surface/garment.py): where the person is clothed the surface
    follows cloth, not anatomy; where skin shows it keeps the body's detail."""

    #: Off: both modes build around the naked fitted body, as before the garment layer.
    enabled: bool = True
    #: Voxel of the garment prior's grid in the body's own axes, metres.
    voxel: float = 0.015
    #: Radius of the closing that bridges concavities narrower than twice it (navel, cleavage,
    #: buttock crease, spine groove, between toes), metres.
    fabric_radius: float = 0.035
    #: Length of the vertical closing over the torso: cloth hangs from the chest to the waist
    #: instead of following the under-bust crease, metres.
    drape_length: float = 0.22
    #: Gaussian low-pass of the garment prior's signed distance (sigma), metres: ribs, nipples
    #: and muscles vanish under cloth.
    blur: float = 0.02
    #: Width of the blend between clothed and bare zones (sigma of the zone field), metres.
    zone_blur: float = 0.02
    #: Each horizontal and each sagittal slice of the clothed torso is replaced by its convex
    #: hull (cloth spans the hollows of a cross-section: cleavage, spine, buttocks; and of a
    #: profile: under the bust, the navel, the small of the back).
    torso_hull: bool = True
    #: Shoes: a clothed foot becomes its convex hull (no toes).
    shoes: bool = True
    #: A hood or collar behind the neck where the garment rises beside the neck in the image.
    hood: bool = True
    #: Hair thickness over the scalp where the labels show hair around the head, metres.
    hair_thickness: float = 0.02


@dataclass
class FoldConfig:
    """Folds from shading (core/surface/folds.py): on the visible side the garment's surface
    normals are refined to explain the image's shading under a light estimated from it."""

    #: Off: no shading-based detail.
    enabled: bool = True
    #: Cells of the fold grid along the person's longest side.
    cells: int = 192
    #: Order of the spherical-harmonic light (1: 4 coefficients, 2: 9).
    sh_order: int = 2
    #: The light fit must explain at least this fraction of the shading variance of the
    #: garments (R^2), else the image is not trusted to show folds and nothing is changed.
    min_fit: float = 0.3
    #: Shading residuals are high-passed at this scale (metres): the coarse shape's own errors
    #: (slow) do not become relief, only fold-sized variations do.
    highpass: float = 0.05
    #: Pixels whose chroma differs from their region's by more than this (Lab units) are print
    #: or texture, not shading: they do not drive the folds.
    print_chroma: float = 8.0
    #: Residuals are clipped to this (relative intensity): sharp print edges are bounded.
    max_residual: float = 0.25
    #: Smoothness (weight of |grad delta|^2 relative to the shading term) and pull to zero.
    smoothness: float = 0.02
    damping: float = 0.002
    #: The largest fold depth, metres.
    max_depth: float = 0.015


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
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
    garment: GarmentConfig = field(default_factory=GarmentConfig)
    folds: FoldConfig = field(default_factory=FoldConfig)

    MODES = ("depth", "implicit")
