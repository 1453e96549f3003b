"""SMPL-layout parameter files, so SMPL / SMPL-H / SMPL-X users' own code reads the studio's fits.

Our BodyParams rotate the canonical body frame (y down, facing -z) into the camera frame and
carry ``transl`` = the root joint's camera position; the SMPL files' own frame is Y up, facing
+Z (``core.body.smplx_body``). The files below are in SMPL's conventions instead, in the same
OpenCV camera frame (x right, y down, z forward, metres) that PARE, VIBE and TCMR output:

    global_orient_smpl = rotvec(R(global_orient) @ C)   C = diag(1, -1, -1)
    joint_pose_smpl    = C @ joint_pose                 (every joint's axis-angle, extras too)
    transl_smpl        = transl - J0(betas)             J0: the root joint of the shaped rest mesh

so ``smplx.create(model_dir, model_type, use_pca=False, flat_hand_mean=True)(global_orient=...,
body_pose=..., betas=..., transl=...)`` gives the exported camera-frame vertices.

``DIR/smpl_params.npz`` (``write_smpl_params``), one row per fitted frame:

    pose          (N, 72) float32 axis-angle: global orient + 23 body joints (SMPL's layout;
                  for SMPL-H / SMPL-X joints 22-23, SMPL's hands, are zero: see the hand poses)
    global_orient (N, 3); body_pose (N, 69) SMPL, (N, 63) SMPL-H / SMPL-X
    left_hand_pose, right_hand_pose (N, 45)   SMPL-H / SMPL-X (no PCA, flat hand at zero)
    jaw_pose, leye_pose, reye_pose (N, 3), expression (N, E)   SMPL-X
    betas         (N, S) float32 shape coefficients (S <= 10)
    transl        (N, 3) float32 smplx's ``transl`` (see above), metres
    frame_ids     (N,) int64 frame numbers in the input
    camera        (N, 4) float32 fx, fy, cx, cy in pixels (width / height in ``image_size``)
    image_size    (N, 2) int64 width, height in pixels
    joints3d      (N, J, 3) float32 the model's skeleton joints, camera frame, metres
    verts         (N, V, 3) float32 camera-frame vertices (only with ``vertices=True``)
    model_type, gender   str; hand_pose: "flat_hand_mean=True, use_pca=False"

``DIR/pare_output.pkl`` (``write_pare_output``), the dict PARE's, VIBE's and TCMR's demos write
(pickle; ``joblib.load`` reads it): ``{1: {...}}`` for the one tracked person, with

    pred_cam      (N, 3) weak-perspective camera [s, tx, ty] in the person's box (crop)
    orig_cam      (N, 4) [sx, sy, tx, ty] in the full image: pixel = half_size * (1 + s * (X + t))
    verts         (N, V, 3) SMPL vertices without translation (smplx with transl = 0)
    pose          (N, 72) axis-angle as above (PARE's own demo keeps (N, 24, 3, 3) matrices)
    betas         (N, 10); joints3d (N, J, 3) the skeleton joints, like ``verts``
    joints2d      (N, 33, 3) the detected BlazePose keypoints (pixels, confidence) or None
    smpl_joints2d (N, J, 2) the skeleton joints projected into the image, pixels
    bboxes        (N, 4) [cx, cy, w, h] square box around the projected body (1.1 x its extent)
    frame_ids     (N,) int64

The weak-perspective cameras are derived from ours at the depth of the root joint: with
``X = verts``, ``u = fx (X + T) / z_root + cx`` becomes ``sx = 2 fx / (W z_root)``,
``tx = T_x + (cx - W / 2) / (sx W / 2)`` (and the same for y), ``T = transl_smpl``.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from core.body.base import BodyModel
from core.body.params import stack_shapes
from core.errors import StudioError
from core.types import FrameFit, Observation

#: SMPL axes <-> canonical axes (diagonal of a half turn about x; its own inverse).
_FLIP = np.array([1.0, -1.0, -1.0])
#: rotation extras of SMPL-H / SMPL-X and their joints per row
_ROTATION_EXTRAS = {"jaw_pose": 1, "leye_pose": 1, "reye_pose": 1, "left_hand_pose": 15,
                    "right_hand_pose": 15}
#: VIBE's / PARE's box scale around the person
BOX_SCALE = 1.1


def _require_smpl(body: BodyModel) -> None:
    if body.name not in ("smpl", "smplh", "smplx"):
        raise StudioError(f"SMPL-layout files need an SMPL, SMPL-H or SMPL-X body, not "
                          f"'{body.name}'; choose one with --body and --model-dir.")


def _fitted(fits) -> list[FrameFit]:
    out = sorted((f for f in fits if f.params is not None), key=lambda f: f.index)
    if not out:
        raise StudioError("No frame has a fitted body, so there are no SMPL parameters to write.")
    return out


def root_rest_joint(body: BodyModel, betas: np.ndarray, expression: np.ndarray | None = None
                    ) -> np.ndarray:
    """(N, 3) float64 SMPL's root joint J0 of the shaped rest mesh (its own frame) per row.

    betas: (N, S); expression: (N, E) SMPL-X expression coefficients (they move J0 a little
    too). Uses the smplx module's buffers (``body.layer``) and SmplxBody's expression
    directions."""
    layer = body.layer
    with torch.no_grad():
        b = torch.as_tensor(np.asarray(betas, np.float32), device=body.device)
        sd = layer.shapedirs[..., :b.shape[1]]
        v = layer.v_template[None] + torch.einsum("ns,vcs->nvc", b, sd)
        ed = getattr(body, "_exprdirs", None)
        if expression is not None and ed is not None and ed.shape[-1]:
            e = torch.as_tensor(np.asarray(expression, np.float32)[:, :ed.shape[-1]],
                                device=body.device)
            v = v + torch.einsum("ne,vce->nvc", e, ed[..., :e.shape[1]])
        j0 = torch.einsum("v,nvc->nc", layer.J_regressor[0], v)
    return j0.double().cpu().numpy()


def smpl_parameters(body: BodyModel, fits) -> dict[str, np.ndarray]:
    """The SMPL-layout arrays of the fitted frames of ``fits`` (the npz keys above, without
    joints3d / verts / camera). raises: StudioError for a non-SMPL body or no fitted frame."""
    from scipy.spatial.transform import Rotation

    _require_smpl(body)
    done = _fitted(fits)
    params = [f.params for f in done]
    go = np.stack([p.global_orient for p in params]).astype(np.float64)
    r = Rotation.from_rotvec(go).as_matrix() @ np.diag(_FLIP)
    go_smpl = Rotation.from_matrix(r).as_rotvec()
    bp = np.stack([p.body_pose for p in params]).astype(np.float64) * _FLIP    # (N, P, 3)
    betas = stack_shapes([p.shape for p in params]).astype(np.float64)
    n = len(done)
    pose = np.zeros((n, 24, 3))
    pose[:, 0] = go_smpl
    pose[:, 1:1 + min(23, bp.shape[1])] = bp[:, :23]
    out = {"pose": pose.reshape(n, 72), "global_orient": go_smpl, "body_pose": bp.reshape(n, -1),
           "betas": betas}
    if body.name in ("smplh", "smplx"):
        keys = ["left_hand_pose", "right_hand_pose"]
        if body.name == "smplx":
            keys += ["jaw_pose", "leye_pose", "reye_pose"]
        for key in keys:
            rows = _ROTATION_EXTRAS[key]
            vals = [np.asarray(p.extras.get(key, np.zeros((rows, 3))), np.float64).reshape(rows, 3)
                    for p in params]
            out[key] = (np.stack(vals) * _FLIP).reshape(n, rows * 3)
    if body.name == "smplx":
        e = int(getattr(body, "num_expression", 10))

        def expression(q) -> np.ndarray:
            x = np.zeros(e)
            given = np.asarray(q.extras.get("expression", ()), np.float64).reshape(-1)[:e]
            x[:len(given)] = given
            return x

        out["expression"] = np.stack([expression(q) for q in params])
    out["transl"] = (np.stack([p.transl for p in params]).astype(np.float64)
                     - root_rest_joint(body, betas, out.get("expression")))
    out = {k: v.astype(np.float32) for k, v in out.items()}
    out["frame_ids"] = np.array([f.index for f in done], np.int64)
    return out


@torch.no_grad()
def _evaluate(body: BodyModel, fits: list[FrameFit]) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (N, V, 3), joints (N, J, 3)) float32 camera frame of the fits (their own arrays
    when present, else the body model's forward pass)."""
    if all(f.vertices is not None and f.joints is not None for f in fits):
        return (np.stack([f.vertices for f in fits]).astype(np.float32),
                np.stack([f.joints for f in fits]).astype(np.float32))
    verts, joints = [], []
    for s in range(0, len(fits), 32):
        out = body(**body.tensors([f.params for f in fits[s:s + 32]]))
        verts.append(out.vertices.cpu().numpy())
        joints.append(out.joints.cpu().numpy())
    return np.concatenate(verts), np.concatenate(joints)


def _cameras(fits: list[FrameFit]) -> tuple[np.ndarray, np.ndarray]:
    cam = np.array([[f.camera.fx, f.camera.fy, f.camera.cx, f.camera.cy] for f in fits],
                   np.float32)
    size = np.array([[f.camera.width, f.camera.height] for f in fits], np.int64)
    return cam, size


def write_smpl_params(path: str | Path, body: BodyModel, fits, *, vertices: bool = False
                      ) -> Path:
    """Write ``path`` (DIR/smpl_params.npz, the layout above); returns the path written.

    fits: FrameFits of ``body`` (frames without a body are left out; ``frame_ids`` says which
    are in). vertices: also write ``verts`` (N, V, 3) (large: 83 KB per SMPL frame).
    """
    _require_smpl(body)
    done = _fitted(fits)
    arrays = smpl_parameters(body, done)
    verts, joints = _evaluate(body, done)
    arrays["camera"], arrays["image_size"] = _cameras(done)
    arrays["joints3d"] = joints
    if vertices:
        arrays["verts"] = verts
    arrays["model_type"] = np.array(body.name)
    arrays["gender"] = np.array(str(getattr(body, "gender", "neutral")))
    arrays["hand_pose"] = np.array("flat_hand_mean=True, use_pca=False")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def weak_perspective(fits: list[FrameFit], transl_smpl: np.ndarray, vertices: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """PARE's cameras and boxes of the fitted frames (see the module docstring).

    transl_smpl: (N, 3) smplx translations; vertices: (N, V, 3) camera-frame vertices.
    returns: {"orig_cam" (N, 4), "pred_cam" (N, 3), "bboxes" (N, 4)} float32.
    """
    cam, size = _cameras(fits)
    fx, fy, cx, cy = (cam[:, i].astype(np.float64) for i in range(4))
    hw, hh = size[:, 0] / 2.0, size[:, 1] / 2.0
    z = np.array([f.params.transl[2] for f in fits], np.float64)
    sx, sy = fx / (z * hw), fy / (z * hh)
    tx = transl_smpl[:, 0] + (cx - hw) / (hw * sx)
    ty = transl_smpl[:, 1] + (cy - hh) / (hh * sy)
    v = np.asarray(vertices, np.float64)
    u = fx[:, None] * v[..., 0] / v[..., 2] + cx[:, None]
    w = fy[:, None] * v[..., 1] / v[..., 2] + cy[:, None]
    bcx, bcy = (u.min(1) + u.max(1)) / 2, (w.min(1) + w.max(1)) / 2
    side = np.maximum(u.max(1) - u.min(1), w.max(1) - w.min(1)) * BOX_SCALE
    s = sx * size[:, 0] / side
    pred = np.stack([s, tx - (bcx - hw) / (hw * sx), ty - (bcy - hh) / (hh * sy)], 1)
    return {"orig_cam": np.stack([sx, sy, tx, ty], 1).astype(np.float32),
            "pred_cam": pred.astype(np.float32),
            "bboxes": np.stack([bcx, bcy, side, side], 1).astype(np.float32)}


def pare_results(body: BodyModel, fits, observations: dict[int, Observation] | None = None
                 ) -> dict[int, dict]:
    """The PARE / VIBE / TCMR output dict of the fitted frames of ``fits`` (see the module
    docstring). observations: frame -> Observation for ``joints2d`` (None: joints2d is None)."""
    _require_smpl(body)
    done = _fitted(fits)
    p = smpl_parameters(body, done)
    verts, joints = _evaluate(body, done)
    t = p["transl"][:, None, :].astype(np.float32)
    cam, _ = _cameras(done)
    jz = np.clip(joints[..., 2:3], 1e-6, None)
    smpl_j2d = joints[..., :2] / jz * cam[:, None, :2] + cam[:, None, 2:]
    betas = np.zeros((len(done), 10), np.float32)
    betas[:, :min(10, p["betas"].shape[1])] = p["betas"][:, :10]
    j2d = None
    if observations is not None and all(f.index in observations for f in done):
        j2d = np.stack([observations[f.index].keypoints2d for f in done]).astype(np.float32)
    result = {"verts": verts - t, "pose": p["pose"], "betas": betas, "joints3d": joints - t,
              "joints2d": j2d, "smpl_joints2d": smpl_j2d.astype(np.float32),
              "frame_ids": p["frame_ids"]}
    result.update(weak_perspective(done, p["transl"].astype(np.float64), verts))
    return {1: result}


def write_pare_output(path: str | Path, body: BodyModel, fits,
                      observations: dict[int, Observation] | None = None) -> Path:
    """Write ``path`` (DIR/pare_output.pkl, PARE's demo dict); returns the path written."""
    data = pare_results(body, fits, observations)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(data, fh, protocol=4)
    tmp.replace(path)
    return path
