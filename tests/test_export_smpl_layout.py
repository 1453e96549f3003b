"""SMPL-layout parameters (DIR/smpl_params.npz, DIR/pare_output.pkl) on generated SMPL / SMPL-X
model files (tests/fixtures_smpl.py): the documented keys and shapes, smplx's own forward pass
re-posing the exported vertices from the npz, PARE's weak-perspective cameras consistent with
the perspective image; and ``track --body smpl`` writing them by default."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import smplx
import torch

from core.body import load_body_model
from core.cli import run_cli
from core.errors import StudioError
from core.export import formats, smpl_layout
from export_runs import VIDEO, synthetic_fits
from fixtures_smpl import write_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("smpl_layout_models")
    write_model(root, "smpl", fmt="pkl")          # smplx.create reads SMPL from a pickle only
    write_model(root, "smplx")
    return root


def _fits(body, gap=(2,)):
    fits = synthetic_fits(body, frames=6, seed=4, gap=gap)
    rng = np.random.default_rng(1)
    for f in fits:                                   # SMPL-X: hands, jaw and a face too
        if f.params is not None and body.name == "smplx":
            f.params.extras.update({
                "left_hand_pose": rng.normal(0, 0.2, (15, 3)).astype(np.float32),
                "right_hand_pose": rng.normal(0, 0.2, (15, 3)).astype(np.float32),
                "jaw_pose": rng.normal(0, 0.1, (1, 3)).astype(np.float32),
                "expression": rng.normal(0, 0.5, 10).astype(np.float32)})
            f.vertices, f.joints, f.landmarks = body.evaluate(f.params)
    return fits


@pytest.mark.parametrize("kind", ["smpl", "smplx"])
def test_npz_has_the_documented_layout_and_smplx_reposes_it(kind, model_dir, tmp_path):
    body = load_body_model(kind, str(model_dir), "cpu")
    fits = _fits(body)
    path = smpl_layout.write_smpl_params(tmp_path / "smpl_params.npz", body, fits, vertices=True)
    z = np.load(path)
    n, J, V = 5, body.num_joints, body.num_vertices                   # frame 2 had nobody
    shapes = {"pose": (n, 72), "global_orient": (n, 3), "betas": (n, 10), "transl": (n, 3),
              "frame_ids": (n,), "camera": (n, 4), "image_size": (n, 2), "joints3d": (n, J, 3),
              "verts": (n, V, 3)}
    if kind == "smpl":
        shapes["body_pose"] = (n, 69)
    else:
        shapes.update({"body_pose": (n, 63), "left_hand_pose": (n, 45),
                       "right_hand_pose": (n, 45), "jaw_pose": (n, 3), "leye_pose": (n, 3),
                       "reye_pose": (n, 3), "expression": (n, 10)})
    for key, shape in shapes.items():
        assert z[key].shape == shape, key
    assert z["frame_ids"].tolist() == [0, 1, 3, 4, 5] and str(z["model_type"]) == kind
    assert np.allclose(z["pose"][:, :3], z["global_orient"])
    assert np.allclose(z["pose"][:, 3:3 + z["body_pose"].shape[1]][:, :63], z["body_pose"][:, :63])
    kept = [f for f in fits if f.params is not None]
    assert np.abs(z["verts"] - np.stack([f.vertices for f in kept])).max() < 1e-5

    # smplx's own module, fed the file as its README says, gives the exported vertices
    ext = "pkl" if kind == "smpl" else "npz"
    ref = smplx.create(str(model_dir), model_type=kind, ext=ext, use_pca=False,
                       flat_hand_mean=True, num_betas=10, batch_size=n)
    kw = {k: torch.as_tensor(z[k]) for k in ("global_orient", "body_pose", "betas", "transl")}
    if kind == "smplx":
        kw.update({k: torch.as_tensor(z[k]) for k in ("left_hand_pose", "right_hand_pose",
                                                        "jaw_pose", "leye_pose", "reye_pose",
                                                        "expression")})
    out = ref(**kw)
    assert np.abs(out.vertices.detach().numpy() - z["verts"]).max() < 1e-4


def test_pare_output_is_the_dict_pare_writes(model_dir, tmp_path):
    body = load_body_model("smpl", str(model_dir), "cpu")
    fits = _fits(body)
    path = smpl_layout.write_pare_output(tmp_path / "pare_output.pkl", body, fits)
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    assert list(data) == [1]
    d = data[1]
    n = 5
    assert {"pred_cam", "orig_cam", "verts", "pose", "betas", "joints3d", "joints2d",
            "bboxes", "frame_ids"} <= set(d)
    assert d["pred_cam"].shape == (n, 3) and d["orig_cam"].shape == (n, 4)
    assert d["verts"].shape == (n, 6890, 3) and d["pose"].shape == (n, 72)
    assert d["betas"].shape == (n, 10) and d["bboxes"].shape == (n, 4)
    assert d["joints3d"].shape == (n, 24, 3) and d["frame_ids"].tolist() == [0, 1, 3, 4, 5]
    # orig_cam is what PARE computes from pred_cam and the box (its crop -> image conversion)
    cam = fits[0].camera
    cx, cy, h = d["bboxes"][:, 0], d["bboxes"][:, 1], d["bboxes"][:, 2]
    s, tx, ty = d["pred_cam"].T
    sx, sy = s * h / cam.width, s * h / cam.height
    orig = np.stack([sx, sy, tx + (cx - cam.width / 2) / (cam.width / 2) / sx,
                     ty + (cy - cam.height / 2) / (cam.height / 2) / sy], 1)
    assert np.allclose(orig, d["orig_cam"], rtol=1e-4, atol=1e-4)
    # the weak-perspective projection of verts lands near the perspective one (a few pixels)
    kept = [f for f in fits if f.params is not None]
    v_cam = np.stack([f.vertices for f in kept])
    u_true = cam.fx * v_cam[..., 0] / v_cam[..., 2] + cam.cx
    v_true = cam.fy * v_cam[..., 1] / v_cam[..., 2] + cam.cy
    oc = d["orig_cam"][:, None]
    u = cam.width / 2 * (1 + oc[..., 0] * (d["verts"][..., 0] + oc[..., 2]))
    v = cam.height / 2 * (1 + oc[..., 1] * (d["verts"][..., 1] + oc[..., 3]))
    assert np.median(np.hypot(u - u_true, v - v_true)) < 3.0
    # and the box holds the projected body
    assert (np.abs(u_true - cx[:, None]) <= h[:, None] / 2 + 1).all()


def test_smpl_motion_glb_and_the_gui_export_of_the_layout(model_dir, tmp_path):
    """An SMPL body rigs like Anny (24 joints, humanoid names; the file skins exactly like the
    rig, and within 2 cm of the model: SMPL's pose blend shapes, which linear blend skinning
    cannot hold, are the difference), and the GUI's export writes both layouts."""
    from core.export import gltf, rig
    from core.export.formats import export_file
    from export_runs import validate

    body = load_body_model("smpl", str(model_dir), "cpu")
    fits = _fits(body)
    written = export_file(tmp_path / "clip.npz", "smpl", "body", body, fits=fits, fps=24.0)
    assert [p.name for p in written] == ["clip.npz", "clip_pare.pkl"]
    motion = rig.motion_from_fits(body, fits, 24.0)
    path = gltf.write_motion_glb(tmp_path / "smpl.glb", body, motion)
    validate(path)
    g = gltf.read_glb(path)
    assert len(g.joint_names) == 24 and {"Hips", "LeftUpperArm", "RightFoot"} <= set(g.joint_names)
    skeleton, skin = rig.build_rig(body, motion)
    world, pos = rig.forward_kinematics(skeleton, motion.rotations, motion.translations)
    W = rig.world_matrix("upright", motion.up)      # the fits' own up, when they stand
    reference = rig.skin_vertices(skeleton, skin, world, pos) @ W.T
    for k, f in enumerate(fits):
        held = f if f.params is not None else fits[k - 1]
        posed = g.pose(g.times[k])
        assert np.abs(posed - reference[k]).max() < 1e-4
        err = np.linalg.norm(posed - held.vertices @ W.T, axis=1)
        assert err.max() < 0.02, f"frame {k}: {err.max() * 100:.2f} cm"


def test_formats_parse_defaults_and_sentences():
    assert formats.default_formats("fit", "image") == ("obj",)
    assert formats.default_formats("track", "video") == ("glb", "bvh")
    assert formats.default_formats("track", "folder", "smplx") == ("glb", "bvh", "smpl")
    assert formats.default_formats("reconstruct", "video") == ("glb",)
    assert formats.parse_formats(" BVH, glb ", "track") == ("glb", "bvh")
    with pytest.raises(StudioError, match="obj, glb, bvh and smpl"):
        formats.parse_formats("glb,fbx", "track")
    with pytest.raises(StudioError, match="need an SMPL"):
        formats.parse_formats("smpl", "fit", "image", "anny")
    with pytest.raises(StudioError, match="empty"):
        formats.parse_formats(",", "fit")
    with pytest.raises(StudioError, match="need an SMPL, SMPL-H or SMPL-X body"):
        smpl_layout.write_smpl_params("x.npz", load_body_model("anny", device="cpu"), [])


def test_track_with_an_smpl_body_writes_smpl_layout_by_default(model_dir, tmp_path):
    out = tmp_path / "track_smpl"
    rc = run_cli(["track", str(VIDEO), "--out", str(out), "--body", "smpl", "--model-dir",
                  str(model_dir), "--max-frames", "6", "--no-overlay"])
    assert rc == 0
    for name in ("motion.glb", "motion.bvh", "smpl_params.npz", "pare_output.pkl"):
        assert (out / name).is_file(), name
    z = np.load(out / "smpl_params.npz")
    assert z["pose"].shape[1] == 72 and len(z["frame_ids"]) >= 4
    from export_runs import validate

    validate(out / "motion.glb")
