"""Clothed surface from one image (2K2K depth maps, PaMIR-style implicit occupancy).

    reconstruct_surface(frame_image, observation, fit, body, config) -> SurfaceMesh
    textured_body(frame_image, observation, fit, body, config) -> SurfaceMesh (UV texture)
    reconstruct_frames(frames, read_image, observations, fits, body, config, cancel=...)
        job generator: yields Progress and SurfaceMesh, returns {index: SurfaceMesh}
    SurfaceConfig (config.py): mode "depth" | "implicit" and their settings
"""
from core.surface.config import (ColorConfig, DepthConfig, ImplicitConfig, SmoothConfig,
                                 SurfaceConfig)
from core.surface.mesh import SurfaceMesh
from core.surface.reconstruct import (reconstruct_frames, reconstruct_surface, surface_geometry,
                                      textured_body)

__all__ = ["ColorConfig", "DepthConfig", "ImplicitConfig", "SmoothConfig", "SurfaceConfig",
           "SurfaceMesh", "reconstruct_frames", "reconstruct_surface", "surface_geometry",
           "textured_body"]
