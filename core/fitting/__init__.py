"""Single-frame body fitting (SMPLify's role) over any core.body.BodyModel.

    fit_observation(observation, camera, body, config, init=None) -> FrameFit   (single_frame.py)
    fit_frames(source, observations, body, indices, config, cancel=...)          (frames.py)
        job generator: yields Progress and FrameFit, returns list[FrameFit]
    FitConfig (config.py): quality preset, iterations, loss weights, step sizes
    silhouette_iou(fit, observation) (metrics.py)
"""
from core.fitting.config import FitConfig, Iterations, LearningRates, LossWeights, SilhouetteConfig
from core.fitting.frames import fit_frames
from core.fitting.metrics import mpjpe, pa_mpjpe, silhouette_iou
from core.fitting.single_frame import fit_observation, reprojection_error

__all__ = ["FitConfig", "Iterations", "LearningRates", "LossWeights", "SilhouetteConfig",
           "fit_frames", "fit_observation", "reprojection_error", "silhouette_iou", "mpjpe",
           "pa_mpjpe"]
