"""Analyses of how the body estimate depends on the image.

    occlusion_sensitivity(frame, camera, body, OcclusionConfig(), cancel=...)   (occlusion.py)
        job generator: a grey patch slides over the person; yields Progress and PatchResult,
        returns OcclusionResult (per-cell per-joint displacement in mm, 2D error in px, lost)
    heatmap_image / heatmap_layer / colour_bar                                   (heatmap.py)
    write_occlusion(out_dir, result, image): occlusion.json + heat map PNGs      (outputs.py)
"""
from core.analysis.config import SENSITIVITY_JOINTS, OcclusionConfig
from core.analysis.heatmap import colour_bar, heatmap_image, heatmap_layer
from core.analysis.occlusion import occlusion_sensitivity
from core.analysis.outputs import format_table, write_occlusion
from core.analysis.result import REGIONS, OcclusionResult, PatchResult

__all__ = ["OcclusionConfig", "OcclusionResult", "PatchResult", "REGIONS", "SENSITIVITY_JOINTS",
           "colour_bar", "format_table", "heatmap_image", "heatmap_layer", "occlusion_sensitivity",
           "write_occlusion"]
