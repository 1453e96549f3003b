"""The person mask as a coarse silhouette term of the window fit, at bounded memory and cost.

Keypoints fix where the joints are but not where the body's bulk is: on side views and bent-over
poses the fitted torso and limbs may sit beside the person while the keypoints still agree. The
mask says where the person is. To keep a streaming track bounded, a frame's mask is cut down as
soon as the detector returns it (``crop_mask``: the person's box, at most ``crop_px`` pixels on
its longer side, a few tens of kB) and turned into core.fitting's SilhouetteTerm (imported, not
re-implemented) only while its window waits to be fitted; the term is then dropped with the
window.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.types import Camera, Observation

from .config import SilhouetteWindowConfig
from .flips import person_height_px


@dataclass
class PersonMask:
    """A frame's person mask cut to the person's box and shrunk.

    mask: (h, w) float32 in [0, 1]; camera: intrinsics of that crop (pixels of the crop, same
    camera frame as the full image), so a body in the camera frame projects onto it directly.
    factor: crop pixels per full-image pixel (<= 1).
    """

    mask: np.ndarray
    camera: Camera
    factor: float


def crop_mask(observation: Observation, camera: Camera, crop_px: int = 240,
              margin: float = 0.2) -> PersonMask | None:
    """The observation's mask around the person (its bbox grown by ``margin`` of the box's
    longer side), shrunk so the longer side is at most ``crop_px`` pixels.

    observation.mask: (H, W) float32 in [0, 1] at the resolution of ``camera`` (None: returns
    None, as for an empty mask or no person).
    """
    m = observation.mask
    if m is None or not observation.person or observation.bbox is None:
        return None
    H, W = m.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in observation.bbox)
    pad = margin * max(x1 - x0, y1 - y0, 1.0)
    x0, y0 = int(max(0, np.floor(x0 - pad))), int(max(0, np.floor(y0 - pad)))
    x1, y1 = int(min(W, np.ceil(x1 + pad) + 1)), int(min(H, np.ceil(y1 + pad) + 1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    s = min(1.0, crop_px / max(x1 - x0, y1 - y0))
    w, h = max(2, round((x1 - x0) * s)), max(2, round((y1 - y0) * s))
    small = cv2.resize(np.ascontiguousarray(m[y0:y1, x0:x1], np.float32), (w, h),
                       interpolation=cv2.INTER_AREA)
    if not (small >= 0.5).any():
        return None
    sx, sy = w / (x1 - x0), h / (y1 - y0)
    cam = Camera(camera.fx * sx, camera.fy * sy, (camera.cx - x0 + 0.5) * sx - 0.5,
                 (camera.cy - y0 + 0.5) * sy - 0.5, w, h)
    return PersonMask(small, cam, float(sy))


def silhouette_term(person_mask: PersonMask | None, observation: Observation,
                    config: SilhouetteWindowConfig, device=None):
    """core.fitting's SilhouetteTerm of a cropped mask (None without a usable mask). Residuals
    are scaled by the person's height in full-image pixels, like the keypoint term."""
    if person_mask is None:
        return None
    from core.fitting.config import SilhouetteConfig
    from core.fitting.losses import REFERENCE_PERSON_PX
    from core.fitting.silhouette_term import SilhouetteTerm

    cfg = SilhouetteConfig(vertices=config.vertices, mask_points=config.mask_points,
                           resolution=config.resolution)
    person_scale = person_height_px(observation.keypoints2d) * person_mask.factor \
        / REFERENCE_PERSON_PX
    term = SilhouetteTerm(person_mask.mask, person_mask.camera, person_scale, cfg,
                          device=device or "cpu")
    return None if term.empty else term
