"""Per-subject avatar (SelfRecon's role): one clothed, textured, re-posable avatar from a video.

    frames = prepare_frames(observations, fits, body, config)
    state = drive(optimize_subject(frames, body, SubjectConfig(), state=None, cancel=token))
                                                     # refine, clothing, (poses, clothing) x2
    result = drive(build_result(state, frames, body, read_frame, config))  -> SubjectResult
    make_avatar(observations, fits, body, read_frame, config, ...)     job generator doing all three
    write_avatar(result, out_dir)                                      OBJ+MTL+PNG, frames/*.obj, params
    SubjectState.save/load: resume a cancelled or finished optimization
"""
from core.subject.build import build_result, make_avatar, pose_state
from core.subject.config import (Limits, LearningRates, LossWeights, OptimConfig, RefineConfig,
                                 SubjectConfig, TextureConfig)
from core.subject.frames import SubjectFrame, prepare_frames
from core.subject.optimize import optimize_subject
from core.subject.result import AvatarSnapshot, SubjectResult
from core.subject.state import SubjectState
from core.subject.export import write_avatar

__all__ = ["Limits", "LearningRates", "LossWeights", "OptimConfig", "RefineConfig", "SubjectConfig",
           "TextureConfig", "SubjectFrame", "prepare_frames", "optimize_subject",
           "AvatarSnapshot", "SubjectResult", "SubjectState", "build_result", "make_avatar",
           "pose_state", "write_avatar"]
