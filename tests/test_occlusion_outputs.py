"""Occlusion outputs: occlusion.json layout, heat maps with their scale, the sensitivity table,
the session round trip with every patch's fit, and the `occlusion` command end to end."""
from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from core.analysis import (REGIONS, SENSITIVITY_JOINTS, OcclusionResult, colour_bar,
                           heatmap_image, heatmap_layer, write_occlusion)
from core.analysis.heatmap import nice_ceiling, scale_max
from core.body.params import BodyParams
from core.session import Session, load_session, save_session
from core.types import BLAZEPOSE_NAMES, Camera, FrameFit

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def _fit(i: int, camera: Camera, shift: float) -> FrameFit:
    rng = np.random.default_rng(i)
    params = BodyParams("anny", rng.normal(size=3), rng.normal(size=(22, 3)), np.full(6, 0.5),
                        [0, 0, 3])
    return FrameFit(index=7, status="fitted", camera=camera, params=params,
                    vertices=rng.normal(size=(50, 3)).astype(np.float32) + shift,
                    joints=rng.normal(size=(20, 3)).astype(np.float32),
                    landmarks=rng.normal(size=(33, 3)).astype(np.float32), error=3.5 + shift,
                    iou=0.8)


def fake_result() -> OcclusionResult:
    """A 3 x 4 grid over a 160 x 120 frame: the left wrist moves most in cell (1, 2), the
    person is lost in cell (0, 0), cell (2, 3) did not run (cancelled)."""
    camera = Camera.from_fov(160, 120)
    rows, cols, nj = 3, 4, len(SENSITIVITY_JOINTS)
    disp = np.full((rows, cols, nj), 5.0, np.float32)
    disp[1, 2, SENSITIVITY_JOINTS.index("left_wrist")] = 300.0
    disp[0, 0] = np.nan
    disp[2, 3] = np.nan
    lost = np.zeros((rows, cols), bool)
    lost[0, 0] = True
    done = np.ones((rows, cols), bool)
    done[2, 3] = False
    region = np.full((rows, cols), REGIONS.index("background"), np.int8)
    region[1, 2] = REGIONS.index("left arm")
    region[1, 1] = REGIONS.index("torso")
    kp = np.zeros((33, 3), np.float32)
    kp[:, :2], kp[:, 2] = (80, 60), 0.9
    kp[BLAZEPOSE_NAMES.index("left_wrist"), :2] = (100, 60)
    fits = {(r, c): _fit(r * cols + c, camera, float(c)) for r in range(rows) for c in range(cols)
            if done[r, c] and not lost[r, c]}
    fits[(0, 0)] = FrameFit(index=7, status="no_person", camera=camera)
    return OcclusionResult(
        index=7, width=160, height=120, patch=40, stride=40, grey=128,
        area=np.array([0, 0, 159, 119], np.float32),
        person_box=np.array([40, 20, 120, 100], np.float32),
        xs=np.array([20, 60, 100, 140], np.float32), ys=np.array([20, 60, 100], np.float32),
        joints=SENSITIVITY_JOINTS, reference=_fit(99, camera, 0.0), reference_keypoints=kp,
        displacement=disp, error2d=np.where(np.isnan(disp), np.nan, 2.0).astype(np.float32),
        lost=lost, done=done, keypoints=np.zeros((rows, cols, 33, 3), np.float32), region=region,
        fits=fits, seconds=1.5)


def test_maps_table_and_cells():
    res = fake_result()
    body = res.body
    assert np.isnan(body[0, 0]) and np.isnan(body[2, 3])
    assert body[1, 2] == pytest.approx((300 + 5 * 12) / 13)
    assert res.cell_at(105, 61) == (1, 2) and res.cell_at(-1, 5) is None
    rows = {r["region"]: r for r in res.table()}
    assert rows["left arm"]["joints"][0] == {"joint": "left_wrist", "mm": 300.0}
    assert rows["background"]["lost"] == 1 and rows["background"]["cells"] == 9
    assert res.noise_floor == pytest.approx(5.0)
    assert nice_ceiling(31) == 40 and nice_ceiling(200) == 200 and scale_max(body) == 30


def test_heatmap_is_brightest_where_it_moved_most_and_has_a_scale():
    res = fake_result()
    layer = heatmap_layer(res, "left_wrist")
    assert layer.shape == (120, 160, 4)
    assert layer[60, 100, 3] > 0 and layer[100, 140, 3] == 0  # a cell that did not run is clear
    lum = layer[..., :3].astype(int).sum(axis=2)
    kept = np.kron(res.done & ~res.lost, np.ones((40, 40), bool))  # tiles of cells with a body
    assert lum[60, 100] == lum[kept].max() and lum[60, 100] > 2 * np.median(lum[kept])
    assert (layer[20, 20, :3] == 255).all()  # the lost cell is crossed
    image = np.full((120, 160, 3), 100, np.uint8)
    out = heatmap_image(image, res, None)
    assert out.shape[0] == 120 and out.shape[1] > 160  # the scale sits beside the frame
    bar = colour_bar(50.0, 300, "mm moved")
    assert bar.shape[0] == 300 and bar.std() > 10
    selected = heatmap_layer(res, None, selected=(1, 2))
    assert (selected[40, 80:120, 3] == 255).any()  # the chosen cell is outlined


def test_occlusion_json_and_heatmaps(tmp_path):
    res = fake_result()
    files = write_occlusion(tmp_path, res, np.full((120, 160, 3), 90, np.uint8), "x.png")
    assert {p.name for p in files} == {"occlusion.json", "heatmap_body.png",
                                       *(f"heatmap_{j}.png" for j in SENSITIVITY_JOINTS)}
    doc = json.loads((tmp_path / "occlusion.json").read_text())
    assert doc["x"] == [20, 60, 100, 140] and doc["y"] == [20, 60, 100]
    assert len(doc["body"]) == 3 and len(doc["body"][0]) == 4
    assert doc["body"][0][0] is None and doc["lost"][0][0] is True and doc["done"][2][3] is False
    assert set(doc["joints"]) == set(SENSITIVITY_JOINTS) == set(doc["error2d"])
    assert doc["joints"]["left_wrist"][1][2] == 300.0
    assert doc["region"][1][2] == "left arm" and doc["units"]["body"] == "mm"
    assert doc["patch"] == 40 and doc["table"][0]["region"] == "torso"
    png = cv2.imread(str(tmp_path / "heatmap_body.png"))
    assert png.shape[0] == 120


def test_session_keeps_the_analysis_with_every_patch_fit(tmp_path):
    res = fake_result()
    session = Session(media_path=tmp_path / "x.png")
    session.add_occlusion(res)
    assert session.dirty and not session.is_empty
    back = load_session(save_session(session, tmp_path / "x.studio.npz")).occlusion[7]
    for name in ("displacement", "error2d", "lost", "done", "region", "xs", "ys", "area",
                 "keypoints", "reference_keypoints", "person_box"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name), err_msg=name)
    assert (back.patch, back.stride, back.shape) == (40, 40, (3, 4))
    assert back.joints == SENSITIVITY_JOINTS
    assert set(back.fits) == set(res.fits)
    assert back.fits[(0, 0)].status == "no_person" and back.fits[(0, 0)].vertices is None
    for cell, fit in res.fits.items():
        if fit.vertices is None:
            continue
        got = back.fits[cell]
        np.testing.assert_array_equal(got.vertices, fit.vertices)
        np.testing.assert_array_equal(got.landmarks, fit.landmarks)
        np.testing.assert_allclose(got.params.body_pose, fit.params.body_pose)
        assert got.error == pytest.approx(fit.error) and got.camera == fit.camera
    np.testing.assert_array_equal(back.reference.vertices, res.reference.vertices)


@pytest.mark.usefixtures("one_thread")
def test_occlusion_command(tmp_path, capsys):
    from core.analysis.synthetic import shaded_person
    from core.body import load_body_model

    scene = shaded_person(load_body_model("anny"), 240, 240, depth_m=2.0)
    photo = tmp_path / "person.png"
    cv2.imwrite(str(photo), cv2.cvtColor(scene.image, cv2.COLOR_RGB2BGR))
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "main.py", "occlusion", str(photo), "--patch", "240",
                          "--stride", "240", "--out", str(out)], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "heat maps" in run.stdout
    doc = json.loads((out / "occlusion.json").read_text())
    assert doc["patch"] == 240 and doc["stride"] == 240 and doc["done"] == [[True]]
    assert (out / "heatmap_left_wrist.png").is_file() and (out / "heatmap_body.png").is_file()

    from core.cli import run_cli

    assert run_cli(["occlusion", str(photo), "--frame", "3", "--out", str(out)]) == 2
    assert "--frame 3: the input has frames 0..0" in capsys.readouterr().err
