"""BVH export: re-imported by an independent BVH reader (bvhio), the joints land on the fitted
joints within 1 cm in every frame, upright and in the camera frame; the frame time is the
video's; frames without a person hold the last pose."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.body import load_body_model
from core.export import bvh, rig
from export_runs import VIDEO, cli_run, synthetic_fits


@pytest.fixture(scope="module")
def anny():
    return load_body_model("anny", device="cpu")


def reimported_joints(path, names: list[str]) -> tuple[np.ndarray, float, int]:
    """(frames, J, 3) world joint positions a BVH reader computes, in the order of ``names``,
    its frame time and frame count."""
    import bvhio

    root = bvhio.readAsHierarchy(str(path))
    layout = [j for j, _, _ in root.layout()]
    order = [next(k for k, j in enumerate(layout) if j.Name == n) for n in names]
    container = bvhio.readAsBvh(str(path))
    frames = container.FrameCount
    out = np.empty((frames, len(names), 3))
    for k in range(frames):
        root.loadPose(k)
        pos = np.array([list(j.PositionWorld) for j in layout])
        out[k] = pos[order]
    return out, float(container.FrameTime), frames


@pytest.mark.parametrize("orientation", ["upright", "camera"])
def test_bvh_round_trip_matches_the_fitted_joints(anny, tmp_path, orientation):
    fits = synthetic_fits(anny, frames=8, seed=2, gap=(3,))
    motion = rig.motion_from_fits(anny, fits, fps=25.0)
    skeleton = rig.build_skeleton(anny, motion.shape)
    path = bvh.write_bvh(tmp_path / "motion.bvh", skeleton, motion, orientation=orientation)
    joints, frame_time, frames = reimported_joints(path, skeleton.names)
    assert frames == 8 and frame_time == pytest.approx(1 / 25.0)
    W = rig.world_matrix(orientation, motion.up)     # the fits' own up, when they stand
    for k, f in enumerate(fits):
        held = f if f.params is not None else fits[k - 1]          # the gap holds frame 2
        err = np.linalg.norm(joints[k] - held.joints @ W.T, axis=1)
        assert err.max() < 0.01, f"frame {k}: {err.max() * 100:.2f} cm"
    text = path.read_text()
    assert text.startswith("HIERARCHY\nROOT Hips") and "JOINT LeftUpperArm" in text
    assert text.count("JOINT ") == anny.num_joints - 1


def test_track_bvh_replays_the_tracked_joints(tmp_path_factory):
    rc, out = cli_run(tmp_path_factory, "track_default",
                      ["track", str(VIDEO), "--max-frames", "12"])
    assert rc == 0
    from core.export.mesh_io import camera_to_upright
    from core.media import open_source

    data = json.loads((out / "fits.json").read_text())
    names = rig.humanoid_names(load_body_model("anny", device="cpu"))
    joints, frame_time, frames = reimported_joints(out / "motion.bvh", names)
    with open_source(VIDEO) as source:
        assert frame_time == pytest.approx(1.0 / source.fps, rel=1e-6)
    assert frames == len(data["frames"]) == 12
    last = None
    for k, rec in enumerate(data["frames"]):
        last = rec if rec["joints3d"] is not None else last
        if last is None:
            continue
        err = np.linalg.norm(joints[k] - camera_to_upright(np.asarray(last["joints3d"]),
                                                           data["camera_up"]), axis=1)
        assert err.max() < 0.01, f"frame {k}: {err.max() * 100:.2f} cm"
