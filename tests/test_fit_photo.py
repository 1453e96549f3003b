"""The fit on a real photo (PIFu's ryota.png, with its hand-made person mask) and the ``fit``
command's contract: fits.json, meshes, overlays, and one plain line on bad input."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest




def test_photo_fit_sits_on_the_person(ryota_png, ryota_mask_png, artifacts, one_thread):
    from core.body import load_body_model
    from core.fitting import FitConfig, fit_observation
    from core.fitting.metrics import mask_iou
    from core.media import open_source
    from core.perception import PoseDetector
    from core.render.overlay import draw_body
    from core.render.raster import render_mask

    with open_source(ryota_png) as source:
        frame, camera = source.read(0), source.camera
    detector = PoseDetector(mode="image")
    try:
        obs = detector.detect(frame)
    finally:
        detector.close()
    body = load_body_model("anny", device="cpu")
    fit = fit_observation(obs, camera, body, FitConfig())
    truth = cv2.imread(str(ryota_mask_png), cv2.IMREAD_GRAYSCALE) > 127
    rendered = render_mask(fit.vertices, body.faces, camera)
    overlay = draw_body(frame.image, fit.vertices, body.faces, camera, keypoints2d=obs.keypoints2d)
    cv2.imwrite(str(artifacts / "fit_ryota_overlay.png"), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
    assert fit.status == "fitted"
    assert mask_iou(rendered, truth) >= 0.80
    assert fit.error < 8.0                                   # px on a 512 px photo
    # upright, facing the camera: head above the feet, subject's left on the image's right
    lm = camera.project(fit.landmarks)
    assert lm[0, 1] < lm[27, 1] and lm[0, 1] < lm[28, 1]
    assert lm[11, 0] > lm[12, 0]
    # ryota stands straight in an A-pose: straight knees and a trunk in line with the legs
    knees, trunk = knee_flexion_deg(fit.params), trunk_to_legs_deg(fit, body)
    print(f"ryota: knee flexion {knees[0]:.1f} / {knees[1]:.1f} deg, trunk {trunk:.1f} deg off "
          "the legs' line")
    assert knees.max() < 10.0 and trunk < 10.0


def knee_flexion_deg(params) -> np.ndarray:
    """(2,) flexion of the fitted body's left and right knee, degrees: the knee joint's rotation
    about its hinge (core.body.anny_limits), 0 for the model's straight leg."""
    import torch

    from core.body.anny_body import POSE_JOINTS
    from core.body.anny_limits import to_limit_coords

    c = to_limit_coords(torch.as_tensor(params.body_pose)[None])[0].numpy()
    return np.degrees([c[POSE_JOINTS.index(f"lowerleg01.{s}"), 0] for s in "LR"])


def trunk_to_legs_deg(fit, body) -> float:
    """Angle between the trunk (hips -> neck of the body's joints) and the legs' line (ankles
    -> hips), degrees; 0 for a body standing straight."""
    j = {n: fit.joints[i] for i, n in enumerate(body.joint_names)}
    hips = 0.5 * (j["upperleg01.L"] + j["upperleg01.R"])
    ankles = 0.5 * (j["foot.L"] + j["foot.R"])
    trunk, legs = j["neck01"] - hips, hips - ankles
    cos = trunk @ legs / (np.linalg.norm(trunk) * np.linalg.norm(legs))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def test_fit_command_writes_fits_meshes_and_overlays(ryota_png, tmp_path, one_thread):
    from main import main

    out = tmp_path / "out"
    assert main(["fit", str(ryota_png), "--out", str(out), "--quality", "fast"]) == 0
    data = json.loads((out / "fits.json").read_text())
    assert data["body_model"] == "anny" and len(data["frames"]) == 1
    rec = data["frames"][0]
    assert {"index", "person", "camera", "landmarks3d", "joints3d", "params"} <= set(rec)
    assert rec["index"] == 0 and rec["person"] is True
    assert set(rec["camera"]) == {"fx", "fy", "cx", "cy", "width", "height"}
    assert np.asarray(rec["landmarks3d"]).shape == (33, 3)
    assert rec["params"]["model"] == "anny" and len(rec["params"]["body_pose"]) == 22
    assert 1.0 < rec["params"]["transl"][2] < 5.0            # metres in front of the camera
    lines = (out / "meshes" / "000000.obj").read_text().splitlines()
    vertices = np.array([ln.split()[1:4] for ln in lines if ln.startswith("v ")], float)
    assert vertices.shape == (13718, 3)                      # Anny's vertices, one OBJ row each
    assert sum(ln.startswith("f ") for ln in lines) == 27420
    # the OBJ is the body of fits.json: its mean sits near the fitted root, camera frame
    assert np.linalg.norm(vertices.mean(0) - np.asarray(rec["params"]["transl"])) < 0.3
    assert cv2.imread(str(out / "overlays" / "000000.png")).shape == (512, 512, 3)


@pytest.mark.parametrize("args", [["/no/such/photo.jpg"], ["{photo}", "--frames", "3"]])
def test_fit_command_bad_input_one_line(args, ryota_png, tmp_path, capsys):
    from main import main

    argv = ["fit"] + [a.format(photo=ryota_png) for a in args] + ["--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]
