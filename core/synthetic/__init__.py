"""Synthetic people for training and testing: plausible poses and shapes, random cameras, and
the BlazePose-like observations a detector would report. Everything is generated from the body
model, so anything trained or tested on it is reproducible without downloads."""
from .observe import (NoiseConfig, SyntheticTruth, render_silhouette, synthesize_keypoints,
                      synthesize_observation, visibility)
from .poses import MODES, PoseSamplerConfig, sample_pose_coords, sample_poses
from .shapes import sample_shapes
from .skeleton import PoseSkeleton
from .views import ViewConfig, Views, sample_camera_and_pose, sample_views

__all__ = ["MODES", "NoiseConfig", "PoseSamplerConfig", "PoseSkeleton", "SyntheticTruth", "ViewConfig", "Views",
           "render_silhouette", "sample_camera_and_pose", "sample_pose_coords", "sample_poses",
           "sample_shapes", "sample_views", "synthesize_keypoints", "synthesize_observation",
           "visibility"]
