"""Shared pieces of the export tests: command runs on the bundled samples (each run once per
session, whichever test file asks first), small synthetic motions, and the glTF validator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO / "resources" / "samples" / "video.mp4"      # 48 frames of taiji, 640x360, 24 fps
PHOTO = REPO / "resources" / "samples" / "photo.png"

_RUNS: dict[str, tuple[int, Path]] = {}


def cli_run(tmp_path_factory, name: str, argv: list[str]) -> tuple[int, Path]:
    """``main.py <argv> --out DIR`` in this process, once per session per ``name``.
    returns: (exit status, DIR)."""
    if name not in _RUNS:
        from core.cli import run_cli

        out = tmp_path_factory.mktemp(name)
        _RUNS[name] = (run_cli([*argv, "--out", str(out)]), out)
    return _RUNS[name]


def validate(path: Path) -> dict:
    """The Khronos validator's report on ``path``, asserting it found no error."""
    from core.export.gltf import validate_report

    try:
        report = validate_report(path)
    except FileNotFoundError as exc:         # set-up installs it; say how when it is missing
        pytest.fail(str(exc))
    issues = report["issues"]
    errors = [m for m in issues["messages"] if m["severity"] == 0]
    assert issues["numErrors"] == 0, f"{path.name}: {errors[:5]}"
    return report


def three_pose(path: Path, seconds: float) -> np.ndarray:
    """(P, 3) the vertices of ``path`` as three.js poses them at ``seconds`` (GLTFLoader and an
    AnimationMixer in node: scripts/three_pose.mjs), in the file's frame."""
    import json

    from core.export.gltf import run_node_tool

    try:
        out = json.loads(run_node_tool("three_pose.mjs", "three", str(path), str(seconds)))
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    return np.asarray(out["positions"], np.float64).reshape(-1, 3)


def synthetic_fits(body, frames: int = 10, seed: int = 0, *, fingers: bool = True,
                   gap: tuple[int, ...] = (), fps: float = 24.0):
    """FrameFits of a smooth synthetic motion of ``body`` (core.temporal.synthetic_motion for
    Anny, with random finger angles; a random walk for SMPL bodies), no person in ``gap``."""
    from core.temporal.synthetic_motion import random_trajectory
    from core.types import Camera, FrameFit

    rng = np.random.default_rng(seed)
    if body.name == "anny":
        params = random_trajectory(body, frames, rng)
    else:                                   # SMPL family: a slow random walk of the pose
        from core.body.params import BodyParams

        walk = np.cumsum(rng.normal(0, 0.06, (frames, body.num_pose_joints, 3)), 0)
        betas = rng.normal(0, 1, body.shape_dim)
        params = [BodyParams(body.name, rng.normal(0, 0.1, 3), walk[i], betas,
                             np.array([0.05 * i, 0.1, 3.0])) for i in range(frames)]
    cam = Camera.from_fov(640, 360)
    fits = []
    for i, p in enumerate(params):
        if i in gap:
            fits.append(FrameFit(i, "no_person", cam))
            continue
        if fingers and body.name == "anny":
            p.extras["fingers"] = rng.uniform(0.0, 1.0, (2, 5, 3)).astype(np.float32)
        v, j, lm = body.evaluate(p)
        fits.append(FrameFit(i, "fitted", cam, p, v, j, lm))
    return fits
