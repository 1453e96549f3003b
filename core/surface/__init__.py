"""Clothed surface from one image (2K2K depth maps, PaMIR-style implicit occupancy).

Both modes build around a clothed-body prior (garment.py) made from the skin / hair / garment
labels of the image (labels.py), add folds from shading on the visible side (folds.py), colour
the hidden side honestly (core/texture/honest_back.py) and size their grids from the person,
not the photo, checked against the memory available before they start (budget.py).

    reconstruct_surface(frame_image, observation, fit, body, config) -> SurfaceMesh
    textured_body(frame_image, observation, fit, body, config) -> SurfaceMesh (UV texture)
    reconstruct_frames(frames, read_image, observations, fits, body, config, cancel=...)
        job generator: yields Progress and SurfaceMesh, returns {index: SurfaceMesh}
    SurfaceConfig (config.py): mode "depth" | "implicit" and their settings; garment, folds,
        labels, budget
"""
from core.surface.config import (ColorConfig, DepthConfig, ImplicitConfig, SmoothConfig,
                                 SurfaceConfig)
from core.surface.mesh import SurfaceMesh
from core.surface.reconstruct import (reconstruct_frames, reconstruct_surface, surface_geometry,
                                      textured_body)

__all__ = ["ColorConfig", "DepthConfig", "ImplicitConfig", "SmoothConfig", "SurfaceConfig",
           "SurfaceMesh", "reconstruct_frames", "reconstruct_surface", "surface_geometry",
           "textured_body"]
