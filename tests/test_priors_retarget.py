"""Mocap retargeting (core/priors): a round trip on Anny and on a SMPL file, and one real clip
of every rig in ../shared/mocap (first frames only) with a bounded residual."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from core.body import load_body_model
from core.priors.mocap import MocapClip, load_clip, read_bvh
from core.priors.retarget import RetargetConfig, retarget_clip, top_vertex
from core.priors.rigs import CORE_POINTS, RigMapping, sided

MOCAP = Path(__file__).resolve().parents[2] / "shared" / "mocap"
needs_mocap = pytest.mark.skipif(not MOCAP.is_dir(), reason=f"{MOCAP} (the CMU mocap beside the "
                                 "checkout, ../shared/mocap) is absent")
#: One real clip per rig, and the residual bound (median over the first frames, mm).
REAL = {"cmu_asf": "fairmotion/tests/data/11_01.amc", "cmu31": "fairmotion/tests/data/01_01.bvh",
        "cmu31_max": "bvh11/resources/131_01.bvh",
        "daz43": "acLSTM_cmu/train_data_bvh/martial/04.bvh",
        "cc_base": "IClone-CMU-Mocap/All_BVH/subjects/002/002_06.bvh"}
REAL_BOUND_MM = 25.0


@pytest.fixture(scope="module")
def anny():
    return load_body_model("anny", None, "cpu")


def _clip_from_body(body, rig: RigMapping, params: dict, extra: dict[str, int]) -> MocapClip:
    """A 'mocap clip' made of the body's own joints (and ``extra`` name -> vertex id)."""
    ids = torch.as_tensor(list(extra.values()), dtype=torch.int64)
    with torch.no_grad():
        out = body(**params, vertex_ids=ids)
    pos = torch.cat([out.joints, out.vertices], 1).numpy()
    names = list(body.joint_names) + list(extra)
    parents = np.concatenate([body.parents, np.zeros(len(extra), np.int64)])
    n = len(pos)
    return MocapClip(pos.astype(np.float32), names, parents, 30.0, np.ones(n, bool), rig,
                     "synthetic")


def _random_pose(body, n: int, rng: np.random.Generator, no_twist: tuple[str, ...]) -> np.ndarray:
    """(n, P, 3) poses inside the body's joint limits (60 % of each range)."""
    from core.body.anny_limits import from_limit_coords, limit_arrays

    _, low, high = limit_arrays()
    c = rng.uniform(0.6 * low, 0.6 * high, size=(n,) + low.shape)
    for name in no_twist:                       # twists no point can see
        c[:, body.pose_joint_names.index(name)] = 0.0
    pose = from_limit_coords(torch.as_tensor(c, dtype=torch.float32)).numpy()
    for group in (("spine05", "spine04", "spine03", "spine02", "spine01"), ("neck01", "neck02")):
        idx = [body.pose_joint_names.index(n) for n in group]   # a bend spread evenly
        pose[:, idx] = pose[:, idx[:1]]
    return pose


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ra, rb = (roma.rotvec_to_rotmat(torch.as_tensor(x, dtype=torch.float64)) for x in (a, b))
    return np.degrees(roma.rotmat_geodesic_distance(ra, rb).numpy())


def _global_params(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Global orientations (turned about the vertical, some facing away) and root positions."""
    yaw = rng.uniform(-np.pi, np.pi, n)
    go = np.stack([rng.normal(0, 0.1, n), yaw, rng.normal(0, 0.1, n)], 1)
    transl = np.stack([rng.uniform(-1, 1, n), rng.uniform(-1.0, -0.8, n), rng.uniform(-1, 1, n)], 1)
    return go, transl


def _unrelated_frames() -> RetargetConfig:
    """A config for clips of unrelated frames: no smoothness over time, any length."""
    config = RetargetConfig(steps=100, min_frames=1)
    config.weights.smooth = config.weights.smooth_root = 0.0
    return config


ANNY_RIG = RigMapping(
    "anny_test", sided({"hip": "upperleg01.{S}", "knee": "lowerleg01.{S}", "ankle": "foot.{S}",
                        "toe": "toe3-1.{S}", "toe_end": "toe2-3.{S}", "shoulder": "upperarm01.{S}",
                        "elbow": "lowerarm01.{S}", "wrist": "wrist.{S}",
                        "hand_end": "finger3-3.{S}", "thumb": "finger1-3.{S}", "eye": "eye.{S}",
                        "pelvis": "root", "neck": "neck01", "head": "head",
                        "head_end": "head_end"}, "L", "R"),
    spine=("spine04", "spine03", "spine02", "spine01"), neck_mid=("neck02", "neck03"))


def test_round_trip_anny(anny):
    """Anny posed with known rotations, its joints as the clip: the retarget puts the joints
    back within a few mm and finds the rotations the points determine."""
    rng = np.random.default_rng(0)
    n = 8
    pose = _random_pose(anny, n, rng, ("clavicle.L", "clavicle.R"))
    go, transl = _global_params(n, rng)
    shape = np.array([0.3, 0.85, 0.5, 0.5, 0.6, 0.4], np.float32)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    params = {"global_orient": f(go), "body_pose": f(pose), "shape": f(shape)[None],
              "transl": f(transl)}
    clip = _clip_from_body(anny, ANNY_RIG, params, {"head_end": top_vertex(anny, "head")})
    res = retarget_clip(anny, clip, _unrelated_frames(), shape=shape)
    assert res.accepted and res.body_pose.shape == (n, 22, 3) and res.body == "anny"
    assert float(res.error_mm.mean()) < 5.0 and float(res.error_mm.max()) < 8.0
    # the body's own joints (no offsets) back where they were, within a few millimetres
    with torch.no_grad():
        out = anny(f(res.global_orient), f(res.body_pose), f(res.shape)[None],
                   f(res.transl + np.array([0.0, res.floor, 0.0], np.float32)))
    mapped = [anny.joint_names.index(n) for k, n in ANNY_RIG.points.items()
              if k in CORE_POINTS]
    joint_mm = 1000 * np.linalg.norm(out.joints[:, mapped].numpy() - clip.positions[:, mapped],
                                     axis=-1)
    print(f"round trip: joints {joint_mm.mean():.1f} mm mean, {joint_mm.max():.1f} max; offsets "
          f"up to {max(res.offset_mm.values()):.0f} mm")
    assert joint_mm.mean() < 8.0 and joint_mm.max() < 25.0
    # orientation: the facing exactly, the pelvis's tilt (which trades with the lowest spine
    # bone and the thighs) within 10 degrees; the soles-on-the-ground shift only moves y
    assert float(_angle_deg(res.global_orient, go).max()) < 10.0
    def yaw(aa):
        v = roma.rotvec_to_rotmat(torch.as_tensor(aa, dtype=torch.float64)).numpy() @ [0, 0, -1.0]
        return np.arctan2(v[:, 0], v[:, 2])

    d_yaw = np.degrees(np.abs((yaw(res.global_orient) - yaw(go) + np.pi) % (2 * np.pi) - np.pi))
    assert float(d_yaw.max()) < 3.0
    assert np.abs(res.transl[:, [0, 2]] - transl[:, [0, 2]]).max() < 0.01
    # rotations: the limbs' swing is fixed by the joints (within the mm above); their twist
    # only by the thumb, toe and eye directions, weighted low, so it is looser
    determined = ["upperleg01.L", "upperleg01.R", "lowerleg01.L", "lowerleg01.R",
                  "upperarm01.L", "upperarm01.R", "lowerarm01.L", "lowerarm01.R", "head"]
    idx = [anny.pose_joint_names.index(j) for j in determined]
    err = _angle_deg(res.body_pose[:, idx], pose[:, idx])
    print(f"round trip: rotations {np.median(err):.1f} deg median, {err.max():.1f} max")
    assert float(np.median(err)) < 12.0 and float(err.max()) < 40.0, err.round(1)


def test_round_trip_smpl(tmp_path):
    """The same joint-name mapping drives a SMPL body (synthetic model file): its own joints
    come back within a few mm, knees and elbows within a few degrees; the shape is fitted."""
    from fixtures_smpl import write_model

    write_model(tmp_path, "smpl")
    body = load_body_model("smpl", str(tmp_path), "cpu")
    rig = RigMapping(
        "smpl_test", sided({"hip": "{S}_hip", "knee": "{S}_knee", "ankle": "{S}_ankle",
                            "toe": "{S}_foot", "shoulder": "{S}_shoulder", "elbow": "{S}_elbow",
                            "wrist": "{S}_wrist", "hand_end": "{S}_hand", "pelvis": "pelvis",
                            "neck": "neck", "head": "head", "head_end": "head_end"},
                           "left", "right"),
        spine=("spine1", "spine2", "spine3"))
    rng = np.random.default_rng(1)
    n = 6
    pose = np.zeros((n, body.num_pose_joints, 3), np.float32)
    names = body.pose_joint_names
    for side, s in (("left", 1.0), ("right", -1.0)):
        pose[:, names.index(f"{side}_knee"), 0] = rng.uniform(0.1, 1.5, n)          # flexion
        pose[:, names.index(f"{side}_hip"), 0] = rng.uniform(-1.0, 0.3, n)
        pose[:, names.index(f"{side}_elbow"), 1] = s * rng.uniform(0.2, 1.8, n)      # flexion
        pose[:, names.index(f"{side}_shoulder"), 2] = s * rng.uniform(-0.8, 0.6, n)
    pose[:, names.index("spine2"), 0] = rng.uniform(0.0, 0.4, n)
    go, transl = _global_params(n, rng)
    f = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    shape = np.zeros(body.shape_dim, np.float32)
    shape[0] = 0.5
    params = {"global_orient": f(go), "body_pose": f(pose), "shape": f(shape)[None],
              "transl": f(transl)}
    clip = _clip_from_body(body, rig, params, {"head_end": top_vertex(body, "head")})
    res = retarget_clip(body, clip, _unrelated_frames())
    assert res.accepted and res.body == "smpl" and res.body_pose.shape == (n, 23, 3)
    assert float(np.median(res.error_mm)) < 8.0
    for joint in ("left_knee", "right_knee", "left_elbow", "right_elbow"):
        k = names.index(joint)
        assert float(_angle_deg(res.body_pose[:, k], pose[:, k]).max()) < 12.0, joint


@needs_mocap
def test_bvhio_world_positions_match():
    """read_bvh's forward kinematics of bvhio's parsed poses agrees with bvhio's own
    hierarchy evaluation (CC rig: rotated rest frames, 100 joints)."""
    import bvhio

    from core.priors.mocap import _truncated_bvh

    path = MOCAP / REAL["cc_base"]
    sk = read_bvh(path, max_frames=3)
    short = _truncated_bvh(path, 3)
    root = bvhio.readAsHierarchy(short)
    Path(short).unlink()
    for frame in (0, 2):
        root.loadPose(frame)
        ref = {j.Name: np.array(j.PositionWorld) for j, _, _ in root.layout()}
        got = {n: sk.positions[frame, i] for i, n in enumerate(sk.names) if n in ref}
        assert len(got) == len(ref)
        assert max(np.abs(got[n] - ref[n]).max() for n in ref) < 1e-3   # cm


@needs_mocap
@pytest.mark.parametrize("rig", sorted(REAL))
def test_real_clip_of_each_rig(anny, rig):
    """The first frames of one real clip of every rig parse (rig, unit, up axis) and retarget
    onto Anny with a median core-joint residual under REAL_BOUND_MM."""
    clip = load_clip(MOCAP / REAL[rig], max_frames=60, source=REAL[rig])
    assert clip.rig.name == rig and not clip.mirrored
    assert clip.unit == {"cc_base": "cm", "daz43": "cm"}.get(rig, "cmu")
    head = clip.point("head")[:, 1]
    feet = (clip.point("ankle_l")[:, 1] + clip.point("ankle_r")[:, 1]) / 2
    assert head[0] < feet[0] - 1.0                        # y down, a standing adult
    res = retarget_clip(anny, clip, RetargetConfig(steps=40, shape_steps=15))
    assert res.rig == rig and res.accepted, res.reason
    assert float(np.median(res.error_mm)) < REAL_BOUND_MM
    assert np.all(res.transl[:, 1] < -0.6)               # the pelvis well above the ground


@needs_mocap
def test_iclone_added_tpose_is_dropped():
    """IClone's 'Imported' clips start with a T-pose frame: it is dropped."""
    clip = load_clip(MOCAP / "IClone-CMU-Mocap/All_BVH/subjects/007/007_03.bvh", max_frames=20,
                     fps=None)
    assert clip.dropped == 1 and clip.num_frames == 19


def test_ground_height_ignores_jumps_and_platforms():
    """The ground is where the feet stand most of the time they are lowest, not the mean: a
    clip that climbs onto a 0.9 m platform and jumps still gets the floor under its soles."""
    from core.priors.retarget import ground_height

    rng = np.random.default_rng(2)
    floor = 0.012 + rng.normal(0, 0.01, 300)              # standing, y down: soles near 1.2 cm
    platform = 0.012 - 0.9 + rng.normal(0, 0.01, 500)     # up on the climbing frame
    jumps = 0.012 - rng.uniform(0.05, 0.4, 60)
    lowest = np.concatenate([floor, platform, jumps])
    assert abs(ground_height(lowest) - 0.012) < 0.01


def test_motion_files_round_trip(tmp_path):
    """save_motion / load_motions keep every key; segments() gives the runs of valid frames."""
    from core.priors.mocap_data import load_motions, save_motion
    from core.priors.retarget import RetargetResult

    n = 7
    valid = np.array([1, 1, 0, 1, 1, 1, 0], bool)
    res = RetargetResult(np.zeros((n, 22, 3), np.float32), np.ones((n, 3), np.float32),
                         np.zeros((n, 3), np.float32), np.full(6, 0.5, np.float32), 30.0,
                         np.full(n, 7.0, np.float32), valid, {}, {}, 0.0, True, "", "daz43",
                         "acLSTM_cmu/train_data_bvh/salsa/01.bvh", "anny")
    save_motion(tmp_path / "salsa_01.npz", res)
    (m,) = load_motions(tmp_path)
    assert (m.name, m.source, m.rig, m.body) == ("salsa_01", res.source, "daz43", "anny")
    assert m.fps == 30.0
    assert m.body_pose.shape == (n, 22, 3) and m.body_pose.dtype == np.float32
    np.testing.assert_array_equal(m.global_orient, res.global_orient)
    assert [(s.start, s.stop) for s in m.segments(2)] == [(0, 2), (3, 6)]
