"""The whole fit with a SMPL body (synthetic licensed-format file from tests/fixtures_smpl.py):
known parameters are recovered from their own synthetic observation, and the CLI runs
``fit --body smpl`` end to end or says in one sentence where the licensed file goes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.body import BodyParams, load_body_model
from core.types import Camera
from fixtures_smpl import write_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("smpl_fit_models")
    write_model(root, "smpl")
    return root


def _truth(body) -> BodyParams:
    names = body.pose_joint_names
    pose = np.zeros((body.num_pose_joints, 3), np.float32)
    for joint, aa in (("left_shoulder", (0, 0, 1.1)), ("right_shoulder", (0, 0, -1.1)),
                      ("left_elbow", (0, 0.6, 0)), ("right_elbow", (0, -0.4, 0)),
                      ("left_hip", (-0.4, 0, 0)), ("left_knee", (0.5, 0, 0)),
                      ("spine1", (0.1, 0, 0))):
        pose[names.index(joint)] = aa
    shape = np.r_[1.0, -0.5, np.zeros(body.shape_dim - 2)]
    return BodyParams("smpl", (0.05, 0.35, 0.02), pose, shape, (0.1, 0.15, 3.2))


def test_fit_recovers_a_known_smpl_body(model_dir, one_thread):
    from core.fitting import FitConfig, fit_observation, pa_mpjpe
    from core.synthetic.observe import synthesize_observation

    body = load_body_model("smpl", str(model_dir), "cpu")
    camera = Camera.from_fov(720, 1280)
    obs, truth = synthesize_observation(body, _truth(body), camera, np.random.default_rng(0),
                                        noise_px=1.0, dropout=0.0, landmark_noise_m=0.01,
                                        with_mask=False)
    fit = fit_observation(obs, camera, body, FitConfig(quality="fast", silhouette=False))
    assert fit.status == "fitted" and fit.params.model == "smpl"
    assert fit.error < 15.0                                          # pixels, person ~450 px tall
    body22 = slice(0, 22)                                            # hands are barely observed
    err = pa_mpjpe(fit.joints[body22], truth.joints[body22])
    start = body.evaluate(body.default_params(fit.params.transl))[1]
    assert err < 0.05, err                                           # metres, after similarity
    assert pa_mpjpe(start[body22], truth.joints[body22]) > 2 * err   # the fit did the work
    # facing the camera, left still left: no flipped solution
    assert np.linalg.norm(fit.joints[16] - truth.joints[16]) < np.linalg.norm(
        fit.joints[16] - truth.joints[17])


def test_cli_fit_photo_with_smpl(model_dir, ryota_png, tmp_path):
    from main import main

    out = tmp_path / "out"
    assert main(["fit", str(ryota_png), "--out", str(out), "--body", "smpl",
                 "--model-dir", str(model_dir)]) == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files, "the fit wrote nothing"

    def says_smpl(path: Path) -> bool:  # body parameters written as JSON or .npz name the model
        if path.suffix == ".json":
            return '"smpl"' in path.read_text(errors="ignore")
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return "model" in z.files and str(z["model"]) == "smpl"
        return False

    assert any(says_smpl(p) for p in files), [p.name for p in files]


def test_cli_fit_without_the_licensed_file(ryota_png, tmp_path, capsys):
    from core.assets import smpl_model_path
    from core.errors import MissingAssetError
    from main import main

    with pytest.raises(MissingAssetError) as err:
        smpl_model_path("/nonexistent", "smpl")
    assert main(["fit", str(ryota_png), "--out", str(tmp_path / "o"), "--body", "smpl",
                 "--model-dir", "/nonexistent"]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert lines == [f"error: {err.value}"]
