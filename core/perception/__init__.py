"""Perception: what the frames show of the person, as ``core.types.Observation``.

    PoseDetector(mode="image"|"video").detect(frame) -> Observation     (blazepose.py)
    detect_frames(source, indices, cancel) -> yields (Progress, Observation)  (detect.py)
    read_openpose(path, width, height) -> Observation                    (openpose.py)
    write_observations / write_mask / read_observations                  (outputs.py)
"""
from core.perception.blazepose import PoseDetector, person_bbox
from core.perception.detect import detect_frames
from core.perception.openpose import observation_to_openpose, read_openpose
from core.perception.outputs import read_observations, write_mask, write_observations

__all__ = ["PoseDetector", "person_bbox", "detect_frames", "read_openpose",
           "observation_to_openpose", "read_observations", "write_mask", "write_observations"]
