"""OpenPose JSON (BODY_25, COCO-18) <-> Observation."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import MediaError
from core.perception.openpose import (BODY25_TO_BLAZEPOSE, COCO18_TO_BLAZEPOSE,
                                      observation_to_openpose, read_openpose)
from core.types import BLAZEPOSE_NAMES, Observation

BODY25_NAMES = ["Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
                "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye",
                "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel"]
COCO18_NAMES = ["Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
                "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar",
                "LEar"]
OP_TO_BP_NAME = {"Nose": "nose", "LBigToe": "left_foot_index", "RBigToe": "right_foot_index"}


def _bp_name(op_name: str) -> str:
    if op_name in OP_TO_BP_NAME:
        return OP_TO_BP_NAME[op_name]
    side = {"L": "left_", "R": "right_"}[op_name[0]]
    return side + op_name[1:].lower()


@pytest.mark.parametrize("mapping,names", [(BODY25_TO_BLAZEPOSE, BODY25_NAMES),
                                           (COCO18_TO_BLAZEPOSE, COCO18_NAMES)])
def test_mapping_pairs_joints_of_the_same_name(mapping, names):
    for op_index, bp_index in mapping.items():
        assert BLAZEPOSE_NAMES[bp_index] == _bp_name(names[op_index])
    assert len(set(mapping.values())) == len(mapping)


@pytest.mark.parametrize("fmt,joints,mapping", [("BODY_25", 25, BODY25_TO_BLAZEPOSE),
                                                ("COCO", 18, COCO18_TO_BLAZEPOSE)])
def test_round_trip(tmp_path, fmt, joints, mapping):
    rng = np.random.default_rng(joints)
    op = np.column_stack([rng.uniform(50, 600, joints), rng.uniform(20, 450, joints),
                          rng.uniform(0.2, 1.0, joints)]).astype(np.float32)
    op[4, 2] = 0.0  # OpenPose writes undetected joints as 0, 0, 0
    op[4, :2] = 0.0
    path = tmp_path / f"frame_{fmt}_keypoints.json"
    path.write_text(json.dumps({"version": 1.3, "people": [
        {"person_id": [-1], "pose_keypoints_2d": op.ravel().tolist()},
        {"person_id": [-1], "pose_keypoints_2d": (op * 0.5).ravel().tolist()}]}))

    obs = read_openpose(path, 640, 480, index=7)
    assert (obs.index, obs.width, obs.height, obs.source) == (7, 640, 480, "openpose")
    assert obs.person and obs.mask is None and not obs.landmarks3d.any()
    for src, dst in mapping.items():
        np.testing.assert_allclose(obs.keypoints2d[dst], op[src], rtol=1e-6)
    unmapped = sorted(set(range(33)) - set(mapping.values()))
    assert not obs.keypoints2d[unmapped].any()
    seen = [op[s] for s in mapping if op[s, 2] > 0]
    xs, ys = [p[0] for p in seen], [p[1] for p in seen]
    np.testing.assert_allclose(obs.bbox, [min(xs), min(ys), max(xs), max(ys)], atol=1e-3)

    back = observation_to_openpose(obs, fmt)
    values = np.asarray(back["people"][0]["pose_keypoints_2d"], np.float32).reshape(joints, 3)
    for src in mapping:
        np.testing.assert_allclose(values[src], op[src], rtol=1e-6)
    # and the whole trip again through a file
    path.write_text(json.dumps(back))
    again = read_openpose(path, 640, 480, index=7)
    np.testing.assert_array_equal(again.keypoints2d, obs.keypoints2d)


def test_empty_people_is_no_person(tmp_path):
    path = tmp_path / "none.json"
    path.write_text(json.dumps({"version": 1.3, "people": []}))
    obs = read_openpose(path, 100, 80)
    assert not obs.person and obs.source == "openpose"
    assert observation_to_openpose(Observation.empty(0, 100, 80)) == {"version": 1.3, "people": []}


@pytest.mark.parametrize("content,words", [
    ("{not json", "not valid JSON"),
    (json.dumps({"frames": []}), "no 'people' list"),
    (json.dumps({"people": [{"face_keypoints_2d": [1, 2, 3]}]}), "pose_keypoints_2d"),
    (json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 60}]}), "60 values"),
    (json.dumps({"people": [{"pose_keypoints_2d": ["a"] * 75}]}), "numeric"),
])
def test_malformed_files(tmp_path, content, words):
    path = tmp_path / "bad_keypoints.json"
    path.write_text(content)
    with pytest.raises(MediaError) as info:
        read_openpose(path, 640, 480)
    assert words in str(info.value) and str(path) in str(info.value)
