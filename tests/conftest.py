"""Shared fixtures. Tests run headless: Qt uses Xvfb when DISPLAY is set (the README's test
command starts one), else the offscreen platform."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
os.environ.setdefault("PYVISTA_OFF_SCREEN", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
ARTIFACTS = REPO / "tests" / "_artifacts"  # screenshots and outputs worth a look (git-ignored)


def sample(*parts: str) -> Path:
    """Path of a file under ../shared/samples; skips the test when the folder is absent."""
    path = SAMPLES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"sample {path} not present (../shared/samples is beside the repository)")
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def ryota_png() -> Path:
    return sample("PIFu", "ryota.png")


@pytest.fixture(scope="session")
def ryota_mask_png() -> Path:
    return sample("PIFu", "ryota_mask.png")


@pytest.fixture(scope="session")
def taiji_mp4() -> Path:
    return sample("HybrIK", "taiji.mp4")


@pytest.fixture(scope="session")
def dribble_mp4() -> Path:
    return sample("mmhuman3d", "single_person_demo.mp4")


@pytest.fixture(scope="session")
def lunge_jpg() -> Path:
    return sample("4D-Humans", "pexels-anete-lusina-4793258.jpg")


@pytest.fixture
def one_thread():
    """Torch on one thread for the test: per-step tensors of a fit are small, and one thread is
    several times faster than two when the cores are shared."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True)
def _gui_settings_in_tmp(request, tmp_path):
    """Tests marked ``gui`` keep QSettings in a temporary folder, never the user's."""
    if request.node.get_closest_marker("gui") is not None:
        from gui.testing import use_temp_settings

        use_temp_settings(tmp_path / "settings")
