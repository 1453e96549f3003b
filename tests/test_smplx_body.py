"""SmplxBody on small synthetic SMPL / SMPL-H / SMPL-X files (tests/fixtures_smpl.py): frames,
exact agreement with smplx's own forward pass, gradients, and the sentences for bad files."""
from __future__ import annotations

import pickle
import sys
import types

import numpy as np
import pytest
import roma
import smplx
import torch

from core.body import load_body_model
from core.body.smplx_body import SmplxBody
from core.errors import MissingAssetError
from fixtures_smpl import build_model, write_model

C = torch.tensor([1.0, -1.0, -1.0])  # canonical <-> smpl axes (diagonal)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("smpl_models")
    for kind in ("smpl", "smplh", "smplx"):
        write_model(root, kind)
    return root


@pytest.fixture(scope="module")
def smpl_arrays():
    return build_model("smpl")


@pytest.fixture(scope="module")
def smpl(model_dir):
    return load_body_model("smpl", str(model_dir), "cpu")


def _zeros(body, b=1):
    z = torch.zeros(b, 3)
    return z, torch.zeros(b, body.num_pose_joints, 3), torch.zeros(b, body.shape_dim), z.clone()


def test_sizes_and_attributes(model_dir, smpl):
    assert (smpl.num_vertices, smpl.num_joints, smpl.num_pose_joints, smpl.shape_dim) == (6890, 24, 23, 10)
    assert smpl.shape_bounds is None and smpl.uvs is None and smpl.faces.dtype == np.int64
    assert smpl.landmark_weights.shape == (33,) and np.all(smpl.landmark_weights > 0)
    assert smpl.pose_joint_names[3] == "left_knee" and smpl.joint_names[0] == "pelvis"
    assert load_body_model("smpl", str(model_dir), "cpu") is smpl          # built once
    for kind, nv, nj in (("smplh", 6890, 52), ("smplx", 10475, 55)):
        body = load_body_model(kind, str(model_dir), "cpu")
        assert (body.num_vertices, body.num_joints, body.num_pose_joints) == (nv, nj, 21)
    out = smpl(torch.zeros(1, 3), torch.zeros(2, 23, 3), torch.zeros(1, 10), torch.zeros(1, 3))
    assert out.vertices.shape == (2, 6890, 3) and out.joints.shape == (2, 24, 3)
    assert out.landmarks.shape == (2, 33, 3)


def test_canonical_frame_at_rest(smpl):
    out = smpl(*_zeros(smpl))
    lm, j, v = out.landmarks[0], out.joints[0], out.vertices[0]
    assert torch.allclose(j[0], torch.zeros(3), atol=1e-6)                 # root at transl
    assert lm[0, 1] < -0.5 and lm[27, 1] > 0.7                              # head -y, feet +y
    assert lm[31, 2] < lm[29, 2] - 0.1 and lm[0, 2] < j[15, 2]              # faces -z
    assert lm[11, 0] > 0.1 > -0.1 > lm[12, 0] and lm[15, 0] > 0.6            # left at +x
    assert torch.isfinite(lm).all() and v[:, 1].max() - v[:, 1].min() > 1.6   # a 1.7 m body


def test_global_orient_and_transl(smpl):
    go, bp, sh, tr = _zeros(smpl)
    rest = smpl(go, bp, sh, tr)
    turn = torch.tensor([[0.0, np.pi, 0.0]])                                 # half turn about y
    t = torch.tensor([[0.2, -0.1, 3.0]])
    out = smpl(turn, bp, sh, t)
    assert torch.allclose(out.joints[0, 0], t[0], atol=1e-5)
    expect = rest.vertices[0] @ roma.rotvec_to_rotmat(turn)[0].T + t
    assert torch.allclose(out.vertices[0], expect, atol=1e-5)
    assert out.landmarks[0, 15, 0] < t[0, 0] - 0.5                           # left hand now at -x


@pytest.mark.parametrize("kind", ["smpl", "smplh", "smplx"])
def test_matches_smplx_forward(kind, model_dir, tmp_path):
    """Same vertices and joints as smplx's own module (reference), in the canonical frame."""
    if kind == "smpl":  # smplx.create reads SMPL only from a pickle
        path = write_model(tmp_path, "smpl", fmt="pkl")
        body = SmplxBody("smpl", tmp_path, "cpu")
    else:
        path = model_dir / kind / f"{kind.upper()}_NEUTRAL.npz"
        body = load_body_model(kind, str(model_dir), "cpu")
    ref = smplx.create(str(path), model_type=kind, ext=path.suffix[1:], use_pca=False,
                       flat_hand_mean=True, num_betas=10, batch_size=2)
    g = torch.Generator().manual_seed(1)
    b = 2
    go, tr = torch.randn(b, 3, generator=g) * 0.5, torch.randn(b, 3, generator=g)
    bp = torch.randn(b, body.num_pose_joints, 3, generator=g) * 0.3
    sh = torch.randn(b, 10, generator=g)
    extras, kw = {}, {}
    if kind != "smpl":
        for k in ("left_hand_pose", "right_hand_pose"):
            extras[k] = torch.randn(b, 15, 3, generator=g) * 0.3
            kw[k] = (extras[k] * C).reshape(b, 45)
    if kind == "smplx":
        for k in ("jaw_pose", "leye_pose", "reye_pose"):
            extras[k] = torch.randn(b, 3, generator=g) * 0.2
            kw[k] = extras[k] * C
        extras["expression"] = kw["expression"] = torch.randn(b, 10, generator=g)
    out = body(go, bp, sh, tr, extras=extras or None)
    r = ref(betas=sh, body_pose=(bp * C).reshape(b, -1), global_orient=torch.zeros(b, 3),
            transl=torch.zeros(b, 3), **kw)
    rot = roma.rotvec_to_rotmat(go) @ torch.diag(C)
    root = r.joints[:, :1]
    to_cam = lambda x: (x - root) @ rot.transpose(1, 2) + tr[:, None]  # noqa: E731
    assert torch.allclose(out.vertices, to_cam(r.vertices), atol=2e-5)
    assert torch.allclose(out.joints, to_cam(r.joints[:, :body.num_joints]), atol=2e-5)
    # the cheap path: a few vertices, same values, landmarks unchanged
    ids = torch.tensor([0, 17, 4000, body.num_vertices - 1])
    part = body(go, bp, sh, tr, extras=extras or None, vertex_ids=ids)
    assert torch.allclose(part.vertices, out.vertices[:, ids], atol=1e-6)
    assert torch.allclose(part.landmarks, out.landmarks, atol=1e-6)
    none = body(go, bp, sh, tr, extras=extras or None, vertex_ids=torch.zeros(0, dtype=torch.long))
    assert none.vertices.shape == (b, 0, 3) and torch.allclose(none.landmarks, out.landmarks, atol=1e-6)


def test_differentiable_and_offsets(smpl):
    go, bp, sh, tr = (x.requires_grad_() for x in _zeros(smpl))
    off = torch.zeros(1, smpl.num_vertices, 3, requires_grad=True)
    out = smpl(go, bp + 0.1, sh, tr, vertex_offsets=off)
    g = torch.Generator().manual_seed(0)
    w_lm, w_v = torch.randn(out.landmarks.shape, generator=g), torch.randn(out.vertices.shape, generator=g)
    ((out.landmarks * w_lm).sum() + (out.vertices * w_v).sum()).backward()
    for x in (go, bp, sh, tr, off):
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # offsets are canonical-frame displacements of the rest mesh; they do not move the skeleton
    d = torch.zeros(1, smpl.num_vertices, 3)
    d[0, :, 2] = 0.01
    moved = smpl(*_zeros(smpl), vertex_offsets=d)
    rest = smpl(*_zeros(smpl))
    assert torch.allclose(moved.vertices - rest.vertices, d, atol=1e-6)
    assert torch.allclose(moved.joints, rest.joints)


def test_priors(smpl):
    names = smpl.pose_joint_names
    pose = torch.zeros(4, smpl.num_pose_joints, 3)
    pose[1, names.index("left_knee"), 0] = 1.2     # knee flexed: fine
    pose[2, names.index("left_knee"), 0] = -0.8    # hyper-extended: penalised
    pose[3, names.index("right_elbow"), 1] = 1.0   # right elbow bent backwards: penalised
    prior = smpl.pose_prior(pose)
    assert prior[0] == 0 and prior[1] == 0 and prior[2] > 0.4 and prior[3] > 0.5
    assert smpl.shape_prior(torch.tensor([[0.0] * 10, [1.0] + [0.0] * 9])).tolist() == [0.0, 1.0]
    assert np.all(smpl.mean_shape() == 0) and smpl.skinning_weights().shape == (6890, 24)


# ---- files: pickles without chumpy, bad files, missing files -----------------------------------
def test_official_style_pickle_with_chumpy_objects(tmp_path, monkeypatch, smpl, smpl_arrays):
    """An official-style .pkl (chumpy arrays, sparse J_regressor) loads with chumpy absent."""
    import scipy.sparse

    class Ch:  # what chumpy pickles: an object whose state holds the array in "x"
        def __init__(self, x):
            self.x = x

        def __getstate__(self):
            return {"x": self.x, "_dirty_vars": set()}

    chumpy, ch = types.ModuleType("chumpy"), types.ModuleType("chumpy.ch")
    Ch.__module__, Ch.__qualname__ = "chumpy.ch", "Ch"
    ch.Ch = Ch
    monkeypatch.setitem(sys.modules, "chumpy", chumpy)
    monkeypatch.setitem(sys.modules, "chumpy.ch", ch)
    data = dict(smpl_arrays)
    data.update(shapedirs=Ch(data["shapedirs"]), v_template=Ch(data["v_template"]),
                J_regressor=scipy.sparse.csc_matrix(data["J_regressor"]), bs_style="lbs")
    path = tmp_path / "smpl" / "SMPL_NEUTRAL.pkl"
    path.parent.mkdir()
    path.write_bytes(pickle.dumps(data, protocol=2))
    monkeypatch.delitem(sys.modules, "chumpy")
    monkeypatch.delitem(sys.modules, "chumpy.ch")
    body = SmplxBody("smpl", tmp_path, "cpu")
    bp = torch.full((1, 23, 3), 0.1)
    z = torch.zeros(1, 3)
    sh = torch.ones(1, 10)
    assert torch.allclose(body(z, bp, sh, z).vertices, smpl(z, bp, sh, z).vertices, atol=1e-6)


def _write_npz(path, **arrays):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


class _Evil:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('PWNED').touch()",))


@pytest.mark.parametrize("case,words", [
    ("garbage", "not a valid .npz"),
    ("no_weights", "lacks weights"),
    ("wrong_vertices", "not the 6890"),
    ("bad_shape", "posedirs has shape"),
    ("evil_pickle", "refusing builtins.eval"),
    ("truncated_pickle", "not a readable model pickle"),
])
def test_malformed_files(tmp_path, monkeypatch, smpl_arrays, case, words):
    monkeypatch.chdir(tmp_path)
    data = smpl_arrays
    ext = "pkl" if "pickle" in case else "npz"
    path = tmp_path / "m" / "smpl" / f"SMPL_NEUTRAL.{ext}"
    path.parent.mkdir(parents=True)
    if case == "garbage":
        path.write_bytes(b"this is not a model")
    elif case == "no_weights":
        _write_npz(path, **{k: v for k, v in data.items() if k != "weights"})
    elif case == "wrong_vertices":  # consistent, but not the official mesh
        n = 6000
        _write_npz(path, **{**data, "v_template": data["v_template"][:n],
                            "f": data["f"][(data["f"] < n).all(1)],
                            "shapedirs": data["shapedirs"][:n], "posedirs": data["posedirs"][:n],
                            "weights": data["weights"][:n], "J_regressor": data["J_regressor"][:, :n]})
    elif case == "bad_shape":
        _write_npz(path, **{**data, "posedirs": data["posedirs"][:, :, :10]})
    elif case == "evil_pickle":
        path.write_bytes(pickle.dumps({"v_template": _Evil()}))
    else:
        path.write_bytes(pickle.dumps(data)[:1000])
    with pytest.raises(MissingAssetError) as err:
        load_body_model("smpl", str(tmp_path / "m"), "cpu")
    msg = str(err.value)
    assert words in msg and str(path) in msg and "https://smpl.is.tue.mpg.de" in msg
    assert "non-commercial" in msg and "\n" not in msg
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("kind,url", [("smpl", "https://smpl.is.tue.mpg.de"),
                                      ("smplx", "https://smpl-x.is.tue.mpg.de")])
def test_missing_folder(tmp_path, kind, url):
    with pytest.raises(MissingAssetError) as err:
        load_body_model(kind, str(tmp_path / "no models here"), "cpu")
    msg = str(err.value)
    assert str(tmp_path / "no models here" / kind) in msg and url in msg
    assert "non-commercial" in msg
