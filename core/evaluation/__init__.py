"""Evaluation on real captures (no Qt): calibrated views, robust triangulation, 3D pose metrics.

    multiview.py   CalibratedView, read_qualisys / read_panoptic, project, triangulate,
                   foreground_mask
    datasets.py    load_capture(name): the captures in ../shared/realdata (views, frames, fps)
    detections.py  detect_capture(capture, cache_dir): BlazePose in every view, cached
    metrics3d.py   PA-MPJPE, root-aligned MPJPE, head yaw and front/back flips, knee and trunk
                   angles, acceleration error
"""
from core.evaluation.datasets import CAPTURES, Capture, load_capture, realdata_root
from core.evaluation.multiview import (CalibratedView, Triangulation, TriangulationConfig,
                                       foreground_mask, project, read_panoptic, read_qualisys,
                                       triangulate)

__all__ = ["CAPTURES", "Capture", "load_capture", "realdata_root", "CalibratedView",
           "Triangulation", "TriangulationConfig", "foreground_mask", "project", "read_panoptic",
           "read_qualisys", "triangulate"]
