"""OpenPose JSON (``*_keypoints.json``) <-> Observation.

OpenPose writes ``{"people": [{"pose_keypoints_2d": [x0, y0, c0, x1, y1, c1, ...]}, ...]}`` in
pixels (pixel-centre convention, like ours). The format is told by the number of values:
75 = BODY_25, 54 = COCO-18. The first person is read. Each OpenPose joint with a BlazePose
counterpart fills that slot (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles;
BODY_25 also heels and big toes -> foot_index); the other BlazePose slots get confidence 0.
landmarks3d stay zeros; ``source`` is "openpose"; no mask.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from core.errors import MediaError
from core.perception.blazepose import person_bbox
from core.types import NUM_KEYPOINTS, Observation

#: OpenPose joint index -> BlazePose index, per format.
COCO18_TO_BLAZEPOSE: dict[int, int] = {
    0: 0,  # nose
    2: 12, 3: 14, 4: 16,  # right shoulder, elbow, wrist
    5: 11, 6: 13, 7: 15,  # left shoulder, elbow, wrist
    8: 24, 9: 26, 10: 28,  # right hip, knee, ankle
    11: 23, 12: 25, 13: 27,  # left hip, knee, ankle
    14: 5, 15: 2, 16: 8, 17: 7,  # right eye, left eye, right ear, left ear
}
BODY25_TO_BLAZEPOSE: dict[int, int] = {
    0: 0,
    2: 12, 3: 14, 4: 16,
    5: 11, 6: 13, 7: 15,
    9: 24, 10: 26, 11: 28,
    12: 23, 13: 25, 14: 27,
    15: 5, 16: 2, 17: 8, 18: 7,
    19: 31, 21: 29,  # left big toe -> left foot index, left heel
    22: 32, 24: 30,  # right big toe -> right foot index, right heel
}
FORMATS: dict[str, tuple[int, dict[int, int]]] = {
    "BODY_25": (25, BODY25_TO_BLAZEPOSE),
    "COCO": (18, COCO18_TO_BLAZEPOSE),
}


def _format_of(n_values: int, path: Path) -> str:
    for name, (joints, _) in FORMATS.items():
        if n_values == 3 * joints:
            return name
    raise MediaError(f"'{path}': pose_keypoints_2d has {n_values} values; expected 75 (BODY_25) "
                     "or 54 (COCO-18) — export OpenPose with one of those body models.")


def observation_from_openpose(values: list | np.ndarray, width: int, height: int, index: int = 0,
                              path: Path | str = "<openpose>") -> Observation:
    """Observation from one person's flat ``pose_keypoints_2d`` list (pixels)."""
    arr = np.asarray(values, np.float32).ravel()
    fmt = _format_of(arr.size, Path(path))
    joints, mapping = FORMATS[fmt]
    op = arr.reshape(joints, 3)
    kp = np.zeros((NUM_KEYPOINTS, 3), np.float32)
    for src, dst in mapping.items():
        kp[dst] = op[src]
    kp[:, 2] = np.clip(kp[:, 2], 0.0, 1.0)
    if not (kp[:, 2] > 0).any():
        return Observation.empty(index, width, height, source="openpose")
    box = person_bbox(kp, None, width, height, min_confidence=1e-6)  # every joint it saw
    return Observation(index=index, width=width, height=height, person=True, keypoints2d=kp,
                       bbox=box, source="openpose")


def read_openpose(path: str | Path, width: int, height: int, index: int = 0) -> Observation:
    """Read an OpenPose JSON file; the first person in ``people``.

    width, height: size in pixels of the frame the file belongs to (OpenPose does not store it).
    returns: Observation with source "openpose"; ``Observation.empty`` when ``people`` is empty.
    raises: MediaError naming the file when it is not OpenPose JSON.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MediaError(f"'{path}' does not exist; check the path.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MediaError(f"'{path}' is not valid JSON ({exc}); choose an OpenPose "
                         "*_keypoints.json file.") from None
    people = data.get("people") if isinstance(data, dict) else None
    if not isinstance(people, list):
        raise MediaError(f"'{path}' has no 'people' list, so it is not OpenPose output; choose "
                         "an OpenPose *_keypoints.json file.")
    if not people:
        return Observation.empty(index, width, height, source="openpose")
    values = people[0].get("pose_keypoints_2d") if isinstance(people[0], dict) else None
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise MediaError(f"'{path}': people[0] has no numeric 'pose_keypoints_2d' list; export "
                         "OpenPose with body keypoints enabled.")
    return observation_from_openpose(values, width, height, index, path)


def observation_to_openpose(obs: Observation, fmt: str = "BODY_25") -> dict:
    """OpenPose JSON dict (version 1.3 layout) for ``obs``; joints without a BlazePose
    counterpart (neck, mid-hip, small toes) are written as zeros."""
    joints, mapping = FORMATS[fmt]
    op = np.zeros((joints, 3), np.float32)
    if obs.person:
        for src, dst in mapping.items():
            op[src] = obs.keypoints2d[dst]
    people = [{"person_id": [-1], "pose_keypoints_2d": op.ravel().astype(float).tolist()}] \
        if obs.person else []
    return {"version": 1.3, "people": people}
