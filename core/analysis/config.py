"""Settings of the occlusion-sensitivity analysis (PARE's occlusion maps).

    OcclusionConfig()                        # defaults: a 512-px photo well within a minute
    OcclusionConfig(patch=96, stride=96)     # coarser and faster
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.fitting.config import FitConfig
from core.types import BLAZEPOSE_NAMES

#: The joints whose movement is measured: the head (BlazePose's nose) and the 12 limb joints,
#: named as in fits.json (core.types.BLAZEPOSE_NAMES).
SENSITIVITY_JOINTS: tuple[str, ...] = (
    "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)
#: Their rows in the 33 BlazePose points.
SENSITIVITY_INDICES: tuple[int, ...] = tuple(BLAZEPOSE_NAMES.index(n) for n in SENSITIVITY_JOINTS)
#: BlazePose points whose midpoint is the root the 3D displacement is aligned at (the hips).
ROOT_INDICES: tuple[int, int] = (BLAZEPOSE_NAMES.index("left_hip"),
                                 BLAZEPOSE_NAMES.index("right_hip"))


def fast_fit() -> FitConfig:
    """The single-frame fit every patch runs: the "fast" preset, from the learned initializer."""
    return FitConfig(quality="fast")


@dataclass
class OcclusionConfig:
    """How the grey patch slides over the frame.

    patch: side of the square grey patch in pixels; None: the person's box (its longer side)
        divided by ``cells_per_person``. On the 512-px sample photo that is 73 px and 48 patch
        positions: with ~0.4 s of perception + fast fit per patch on one CPU core, about 20 s of
        patches, a margin of about 2 within the minute the whole command may take.
    stride: pixels between neighbouring patch centres; None: the patch side (tiles that touch).
        A smaller stride gives a finer map at (patch / stride)^2 times the cost.
    cells_per_person: patch sides along the person's box when ``patch`` is None (so the number of
        patches, hence the time, does not grow with the image resolution).
    enlarge: the area covered is the person's box enlarged by this fraction of its width and
        height on every side (0.5: by half, so background around the person is covered too),
        clipped to the frame.
    grey: value (0-255) of the patch's pixels in every channel (128: mid grey).
    fit: the single-frame fit of every patch and of the unoccluded reference (the "fast" preset;
        each fit starts from the learned initializer's guess, never from another fit).
    """

    patch: int | None = None
    stride: int | None = None
    cells_per_person: float = 6.0
    enlarge: float = 0.5
    grey: int = 128
    fit: FitConfig = field(default_factory=fast_fit)

    def __post_init__(self) -> None:
        from core.errors import StudioError

        for name in ("patch", "stride"):
            value = getattr(self, name)
            if value is not None and int(value) < 2:
                raise StudioError(f"The occlusion {name} must be at least 2 pixels, not {value}.")
        if not 0 <= int(self.grey) <= 255:
            raise StudioError(f"The patch grey value must lie in 0..255, not {self.grey}.")
