"""Temporal: a consistent body for every frame of a video (TCMR's role).

    SequenceFitter(body, camera, config).push(observation) -> [FrameFit]; .finish()  (sequence.py)
    fit_sequence(observations, camera, body, config, cancel=...)   job generator      (sequence.py)
    track_video(source, detector, body, config, cancel=...)        job generator      (stream.py)
    SequenceConfig / TrackConfig                                    nested dataclasses (config.py)
    TemporalRegressor, load_regressor(body)                         learned first guess (regressor.py)
    make_sequence(body, frames, seed)                               synthetic truth    (synthetic_motion.py)
"""
from core.temporal.config import SequenceConfig, TrackConfig
from core.temporal.sequence import SequenceFitter, fit_sequence
from core.temporal.stream import track_video

__all__ = ["SequenceConfig", "TrackConfig", "SequenceFitter", "fit_sequence", "track_video"]
