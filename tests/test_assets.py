"""core.assets: where files are looked for, and the sentence a missing one produces."""
from __future__ import annotations

import os

import pytest

import core.assets as assets
from core.assets import initializer_weights_path, smpl_model_path, user_cache_dir
from core.errors import MissingAssetError


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


@pytest.mark.parametrize("kind,rel", [
    ("smpl", "smpl/SMPL_NEUTRAL.npz"),
    ("smpl", "smpl/SMPL_NEUTRAL.pkl"),
    ("smpl", "SMPL_NEUTRAL.pkl"),                                   # directly in the folder
    ("smpl", "smpl/basicmodel_neutral_lbs_10_207_0_v1.1.0.pkl"),    # official download name
    ("smplh", "smplh/SMPLH_NEUTRAL.npz"),
    ("smplh", "smplh/neutral/model.npz"),                           # AMASS / MANO-site layout
    ("smplx", "smplx/SMPLX_NEUTRAL.npz"),
    ("smplx", "SMPLX_NEUTRAL.pkl"),
])
def test_accepted_layouts(tmp_path, kind, rel):
    expected = _touch(tmp_path / rel)
    assert smpl_model_path(tmp_path, kind) == expected
    assert smpl_model_path(expected, kind) == expected              # the file itself


def test_npz_is_preferred_and_gender_is_respected(tmp_path):
    _touch(tmp_path / "smpl" / "SMPL_NEUTRAL.pkl")
    npz = _touch(tmp_path / "smpl" / "SMPL_NEUTRAL.npz")
    female = _touch(tmp_path / "smpl" / "SMPL_FEMALE.pkl")
    assert smpl_model_path(tmp_path, "smpl") == npz
    assert smpl_model_path(tmp_path, "smpl", "female") == female
    with pytest.raises(MissingAssetError, match="SMPL_MALE"):
        smpl_model_path(tmp_path, "smpl", "male")


@pytest.mark.parametrize("kind,url", [("smpl", "https://smpl.is.tue.mpg.de"),
                                      ("smplh", "https://mano.is.tue.mpg.de"),
                                      ("smplx", "https://smpl-x.is.tue.mpg.de")])
def test_missing_file_names_path_source_and_licence(tmp_path, kind, url):
    with pytest.raises(MissingAssetError) as err:
        smpl_model_path(tmp_path / "nowhere", kind)
    msg = str(err.value)
    prefix = {"smpl": "SMPL", "smplh": "SMPLH", "smplx": "SMPLX"}[kind]
    assert str(tmp_path / "nowhere" / kind / f"{prefix}_NEUTRAL.npz") in msg
    assert url in msg and "non-commercial" in msg and "--model-dir" in msg and "Settings" in msg
    assert "\n" not in msg


def test_no_folder_set():
    with pytest.raises(MissingAssetError, match="No body-model folder is set.*smpl.is.tue.mpg.de"):
        smpl_model_path(None, "smpl")
    with pytest.raises(MissingAssetError, match="Unknown gender"):
        smpl_model_path("/tmp", "smpl", "other")


def test_user_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "human-studio"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "human-studio"


def test_assets_dir_is_the_repository_folder():
    assert assets.assets_dir().name == "assets"
    assert (assets.assets_dir().parent / "main.py").is_file()


def test_initializer_weights_optional(monkeypatch, tmp_path):
    monkeypatch.setattr(assets, "REPO_ROOT", tmp_path)
    assert initializer_weights_path() is None
    with pytest.raises(MissingAssetError) as err:
        initializer_weights_path(required=True)
    assert "scripts/train_initializer.py" in str(err.value)
    assert os.fspath(tmp_path / "assets" / "initializer" / "anny_initializer.pt") in str(err.value)
    weights = _touch(tmp_path / "assets" / "initializer" / "anny_initializer.pt")
    assert initializer_weights_path() == weights == initializer_weights_path(required=True)
