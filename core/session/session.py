"""Session: all the work done on one media file (observations, fits and clothed surfaces per
frame, and the subject's avatar).

A plain data object with no Qt: the GUI controller owns one, the CLI and the tests can build and
save one the same way. See store.py for the file format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.types import FrameFit, Observation

if TYPE_CHECKING:  # core.surface / core.subject import torch-heavy modules; only types here
    from core.analysis.result import OcclusionResult
    from core.subject.result import SubjectResult
    from core.surface.mesh import SurfaceMesh


@dataclass
class Session:
    """Everything the user made from one media file.

    media_path: the photo, video or frame folder the work belongs to.
    observations: frame index -> Observation (keypoints, mask) from perception.
    fits: frame index -> FrameFit (body parameters and vertices) from fitting.
    settings: JSON-ready choices the results depend on (body model, fit quality, ...).
    faces: (F, 3) int64 triangles of the body model the fits use (so a restored session can be
        drawn and exported without loading the model), or None before the first fit.
    surfaces: frame index -> core.surface.SurfaceMesh, the clothed surface reconstructed from
        that frame (camera frame, metres, vertex colours).
    avatar: core.subject.SubjectResult, the subject's avatar optimized over many frames (or the
        best one so far when the optimization was cancelled), or None.
    occlusion: frame index -> core.analysis.OcclusionResult, the occlusion sensitivity of that
        frame with the fit of every patch.
    path: where the session was last saved or loaded from (None before the first save).
    dirty: True when something changed since the last save.
    """

    media_path: Path
    observations: dict[int, Observation] = field(default_factory=dict)
    fits: dict[int, FrameFit] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    faces: np.ndarray | None = None
    surfaces: dict[int, "SurfaceMesh"] = field(default_factory=dict)
    avatar: "SubjectResult | None" = None
    occlusion: dict[int, "OcclusionResult"] = field(default_factory=dict)
    path: Path | None = None
    dirty: bool = False

    def add_observation(self, obs: Observation) -> None:
        """Store (or replace) the observation of frame ``obs.index``."""
        self.observations[int(obs.index)] = obs
        self.dirty = True

    def add_fit(self, fit: FrameFit) -> None:
        """Store (or replace) the fit of frame ``fit.index``."""
        self.fits[int(fit.index)] = fit
        self.dirty = True

    def add_surface(self, surface: "SurfaceMesh") -> None:
        """Store (or replace) the clothed surface of frame ``surface.index``."""
        self.surfaces[int(surface.index)] = surface
        self.dirty = True

    def set_avatar(self, avatar: "SubjectResult | None") -> None:
        """Store (or replace) the subject's avatar."""
        self.avatar = avatar
        self.dirty = True

    def add_occlusion(self, result: "OcclusionResult") -> None:
        """Store (or replace) the occlusion analysis of frame ``result.index``."""
        self.occlusion[int(result.index)] = result
        self.dirty = True

    def frame_status(self) -> dict[int, str]:
        """Frame index -> timeline status: the fit status, or "observed" for detected frames."""
        status = {i: ("observed" if o.person else "no_person") for i, o in self.observations.items()}
        status.update({i: f.status for i, f in self.fits.items()})
        return status

    @property
    def is_empty(self) -> bool:
        return (not self.observations and not self.fits and not self.surfaces
                and self.avatar is None and not self.occlusion)
