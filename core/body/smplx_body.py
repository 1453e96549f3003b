"""SmplxBody: SMPL, SMPL-H and SMPL-X (licensed files the user supplies) behind BodyModel.

Files: ``core.assets.smpl_model_path`` finds the file (smplx's folder layout); this module reads
it into numpy arrays (``read_model_file``: ``.npz`` without pickle; official ``.pkl`` through a
restricted unpickler that stands in for ``chumpy``, so chumpy need not be installed) and hands
them to the ``smplx`` package's module as its ``data_struct`` (``smplx.create`` itself cannot
read SMPL ``.npz`` files nor take pre-read arrays). smplx's buffers and its ``lbs`` helpers then
pose the body; the forward pass here is smplx's linear blend skinning restricted to the
vertices asked for, so ``vertex_ids`` makes fitting cheap.

Frames: smplx's files are Y up, facing +Z, the subject's left at +X, metres. The canonical body
frame of core.body.base is y down, facing -z, left at +x, i.e. ``x_canonical = C @ x_smpl`` with
``C = diag(1, -1, -1)`` (a half turn about x), so rotation vectors convert the same way:
``aa_smpl = C @ aa_canonical``. Then, as base.py documents,
``x_camera = R(global_orient) @ (x_canonical - root_canonical) + transl``.

Parameters: ``body_pose`` is (B, 23, 3) for SMPL (joints 1..23, hands included) and (B, 21, 3)
for SMPL-H / SMPL-X (joints 1..21), axis-angle in canonical axes, zero = T-pose. ``shape`` is the
first (up to) 10 betas, unbounded, prior ||betas||^2. ``extras`` (canonical axes, zero when
absent): ``left_hand_pose`` / ``right_hand_pose`` (B, 15, 3) or (B, 45), raw axis-angle per
finger joint with a flat open hand at zero (smplx's use_pca=False, flat_hand_mean=True) for
SMPL-H and SMPL-X; ``jaw_pose``, ``leye_pose``, ``reye_pose`` (B, 3) and ``expression``
(B, E <= 10) for SMPL-X.

Joints: the model's own skeleton (24 / 52 / 55 rows of its J_regressor), not smplx's extra
regressed points. Landmarks: the 33 BlazePose points, from vertices of the official topologies
(smplx.vertex_ids, the OpenPose-calibrated points) and from joints:

| BlazePose | SMPL / SMPL-H / SMPL-X source | weight |
|---|---|---|
| 0 nose | vertex ``nose`` | 1.0 |
| 2 / 5 eyes | vertex ``leye`` / ``reye`` | 1.0 |
| 1, 3 / 4, 6 eye inner, outer | affine mix of the two eye vertices (eye width 1/2 of their distance) | 0.25 |
| 7 / 8 ears | vertex ``lear`` / ``rear`` | 0.5 |
| 9 / 10 mouth corners | affine mix of nose, eye and ear vertices (typical face proportions, +-2 cm) | 0.25 |
| 11-16 shoulders, elbows, wrists | joints | 0.75 shoulders, 1.0 others |
| 17 / 18 pinky, 19 / 20 index | SMPL: hand joint; SMPL-H/X: ``*_pinky1`` / ``*_index1`` joints | 0.25 |
| 21 / 22 thumb | SMPL: hand joint; SMPL-H/X: ``*_thumb2`` joint | 0.25 |
| 23 / 24 hips | hip joints (detector hips are not joint centres) | 0.5 |
| 25-28 knees, ankles | joints | 1.0 |
| 29 / 30 heels | vertex ``LHeel`` / ``RHeel`` | 1.0 |
| 31 / 32 foot index | vertex ``LBigToe`` / ``RBigToe`` | 0.5 |

The vertex ids only exist on the official meshes (6 890 vertices for SMPL and SMPL-H, 10 475 for
SMPL-X); a file with another vertex count is refused with a sentence.
"""
from __future__ import annotations

import contextlib
import io
import pickle
from pathlib import Path

import numpy as np
import torch

from ..assets import SMPL_FAMILY, smpl_download_hint, smpl_model_path
from ..errors import MissingAssetError
from .base import BodyModel, BodyOutput

#: Arrays every SMPL-family file must hold (the ``smplx`` package's names).
REQUIRED_KEYS = ("v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights",
                 "kintree_table")
#: Joint count of each kind: body 24 (SMPL), body 22 + 2 x 15 fingers (SMPL-H),
#: + jaw and two eyes (SMPL-X).
JOINT_COUNTS = {"smpl": 24, "smplh": 52, "smplx": 55}


class _ChumpyStandIn:
    """What a pickled ``chumpy.Ch`` becomes: its state dict; ``value()`` is the array."""

    def __init__(self, *args, **kwargs) -> None:
        self.state: dict = {}

    def __setstate__(self, state) -> None:
        self.state = state if isinstance(state, dict) else {"x": state}

    def value(self) -> np.ndarray:
        for key in ("x", "_x", "r"):
            if key in self.state:
                return np.asarray(self.state[key])
        raise ValueError("a chumpy object without a stored value")


class _ModelUnpickler(pickle.Unpickler):
    """Unpickler that builds numpy / scipy.sparse objects and stands in for chumpy's."""

    _ALLOWED_PREFIXES = ("numpy", "scipy.sparse", "copy_reg", "copyreg", "__builtin__",
                         "builtins", "_codecs", "collections")

    def find_class(self, module: str, name: str):
        if module.split(".")[0] == "chumpy":
            return _ChumpyStandIn
        if module.startswith(self._ALLOWED_PREFIXES):
            if module in ("builtins", "__builtin__") and name not in (
                    "object", "dict", "list", "tuple", "set", "frozenset", "int", "float",
                    "complex", "str", "bytes", "bytearray", "bool", "slice", "range"):
                raise pickle.UnpicklingError(f"refusing {module}.{name}")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def _to_array(value) -> np.ndarray:
    if isinstance(value, _ChumpyStandIn):
        return value.value()
    if hasattr(value, "toarray"):  # scipy.sparse (J_regressor in the official SMPL files)
        return np.asarray(value.toarray())
    return np.asarray(value)


def _bad_file(path: Path, kind: str, why: str) -> MissingAssetError:
    display = SMPL_FAMILY[kind][0]
    return MissingAssetError(f"The {display} model file {path} could not be used ({why}); "
                             f"{smpl_download_hint(kind)}.")


def _read_raw(path: Path, kind: str) -> dict[str, object]:
    if path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files if k in REQUIRED_KEYS}
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same sentence
            raise _bad_file(path, kind, f"not a valid .npz archive: {exc}") from exc
    try:
        with open(path, "rb") as fh:
            data = _ModelUnpickler(fh, encoding="latin1").load()
    except Exception as exc:  # noqa: BLE001
        raise _bad_file(path, kind, f"not a readable model pickle ({exc}); if it is an official "
                        ".pkl, convert it to .npz with a Python that has chumpy, or use the .npz "
                        "download") from exc
    if not isinstance(data, dict):
        raise _bad_file(path, kind, "the pickle does not hold a dictionary of arrays")
    return data


def read_model_file(path: str | Path, kind: str) -> dict[str, np.ndarray]:
    """The arrays of a SMPL-family file, checked for consistency.

    Returns float arrays in the file's frame (Y up, facing +Z, metres): v_template (V, 3),
    f (F, 3) int64, shapedirs (V, 3, S), posedirs (V, 3, 9 (J - 1)), J_regressor (J, V) dense,
    weights (V, J), kintree_table (2, J) int64. Raises MissingAssetError on any problem.
    """
    path = Path(path)
    raw = _read_raw(path, kind)
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise _bad_file(path, kind, f"it lacks {', '.join(missing)}")
    try:
        out = {k: _to_array(raw[k]) for k in REQUIRED_KEYS}
        out = {k: (v.astype(np.int64) if k in ("f", "kintree_table") else v.astype(np.float32))
               for k, v in out.items()}
    except Exception as exc:  # noqa: BLE001
        raise _bad_file(path, kind, f"an array could not be read: {exc}") from exc
    v, f, sd, pd = out["v_template"], out["f"], out["shapedirs"], out["posedirs"]
    jr, w, kt = out["J_regressor"], out["weights"], out["kintree_table"]
    n_v = v.shape[0] if v.ndim == 2 else -1
    n_j = jr.shape[0] if jr.ndim == 2 else -1
    if sd.ndim == 2:
        sd = out["shapedirs"] = sd[:, :, None] if sd.shape == (n_v, 3) else sd
    problems = []
    if v.ndim != 2 or v.shape[1] != 3:
        problems.append(f"v_template has shape {v.shape}, not (V, 3)")
    if f.ndim != 2 or f.shape[1] != 3 or f.size == 0 or f.min() < 0 or f.max() >= n_v:
        problems.append("f is not a (F, 3) list of triangles over the vertices")
    if sd.ndim != 3 or sd.shape[:2] != (n_v, 3):
        problems.append(f"shapedirs has shape {sd.shape}, not (V, 3, S)")
    if jr.shape != (n_j, n_v) or n_j != JOINT_COUNTS[kind]:
        problems.append(f"J_regressor has shape {jr.shape}, not ({JOINT_COUNTS[kind]}, {n_v}) "
                        f"as {SMPL_FAMILY[kind][0]} needs")
    if pd.shape != (n_v, 3, 9 * (n_j - 1)):
        problems.append(f"posedirs has shape {pd.shape}, not ({n_v}, 3, {9 * (n_j - 1)})")
    if w.shape != (n_v, n_j):
        problems.append(f"weights has shape {w.shape}, not ({n_v}, {n_j})")
    if kt.shape != (2, n_j):
        problems.append(f"kintree_table has shape {kt.shape}, not (2, {n_j})")
    if problems:
        raise _bad_file(path, kind, "; ".join(problems))
    parents = kt[0].copy()
    parents[0] = -1
    if np.any(parents[1:] < 0) or np.any(parents[1:] >= np.arange(1, n_j)):
        raise _bad_file(path, kind, "kintree_table is not a tree with parents before children")
    for k, val in out.items():
        if not np.all(np.isfinite(val)):
            raise _bad_file(path, kind, f"{k} holds NaN or infinite values")
    return out


# ---- topology: landmarks -------------------------------------------------------------------
#: Vertices per official topology, and smplx.vertex_ids' table for it.
TOPOLOGY = {"smpl": (6890, "smplh"), "smplh": (6890, "smplh"), "smplx": (10475, "smplx")}

#: smpl axes -> canonical axes (and back: C is its own inverse).
SMPL_TO_CANONICAL = np.diag([1.0, -1.0, -1.0]).astype(np.float32)

#: Mouth corner = nose + a * (eye_l - eye_r) + b * (nose - eye_mid) + c * (nose - ear_mid):
#: typical adult proportions (corners 2.5 cm out, 7 cm below the eyes, 1.5 cm behind the nose).
_MOUTH_ABC = (0.39, 1.26, -0.37)
#: Eye corners sit a quarter of the eye-to-eye distance either side of each eye point.
_EYE_CORNER = 0.25


def _landmark_table(kind: str) -> list[tuple[dict[str, float], float]]:
    """Per BlazePose landmark: ({"v:<vertex name>" | "j:<joint name>": weight}, reliability).

    The weights of one landmark sum to 1 (an affine combination, so it moves rigidly).
    """
    a, b, c = _MOUTH_ABC

    def mouth(side: str) -> dict[str, float]:
        s = 1.0 if side == "l" else -1.0
        return {"v:nose": 1.0 + b + c, "v:leye": s * a - b / 2, "v:reye": -s * a - b / 2,
                "v:lear": -c / 2, "v:rear": -c / 2}

    e = _EYE_CORNER
    if kind == "smpl":
        hand = {s: {k: {f"j:{s}_hand": 1.0} for k in ("pinky", "index", "thumb")}
                for s in ("left", "right")}
    else:
        hand = {s: {"pinky": {f"j:{s}_pinky1": 1.0}, "index": {f"j:{s}_index1": 1.0},
                    "thumb": {f"j:{s}_thumb2": 1.0}} for s in ("left", "right")}
    return [
        ({"v:nose": 1.0}, 1.0),
        ({"v:leye": 1.0 - e, "v:reye": e}, 0.25), ({"v:leye": 1.0}, 1.0),
        ({"v:leye": 1.0 + e, "v:reye": -e}, 0.25),
        ({"v:reye": 1.0 - e, "v:leye": e}, 0.25), ({"v:reye": 1.0}, 1.0),
        ({"v:reye": 1.0 + e, "v:leye": -e}, 0.25),
        ({"v:lear": 1.0}, 0.5), ({"v:rear": 1.0}, 0.5),
        (mouth("l"), 0.25), (mouth("r"), 0.25),
        ({"j:left_shoulder": 1.0}, 0.75), ({"j:right_shoulder": 1.0}, 0.75),
        ({"j:left_elbow": 1.0}, 1.0), ({"j:right_elbow": 1.0}, 1.0),
        ({"j:left_wrist": 1.0}, 1.0), ({"j:right_wrist": 1.0}, 1.0),
        (hand["left"]["pinky"], 0.25), (hand["right"]["pinky"], 0.25),
        (hand["left"]["index"], 0.25), (hand["right"]["index"], 0.25),
        (hand["left"]["thumb"], 0.25), (hand["right"]["thumb"], 0.25),
        ({"j:left_hip": 1.0}, 0.5), ({"j:right_hip": 1.0}, 0.5),
        ({"j:left_knee": 1.0}, 1.0), ({"j:right_knee": 1.0}, 1.0),
        ({"j:left_ankle": 1.0}, 1.0), ({"j:right_ankle": 1.0}, 1.0),
        ({"v:LHeel": 1.0}, 1.0), ({"v:RHeel": 1.0}, 1.0),
        ({"v:LBigToe": 1.0}, 0.5), ({"v:RBigToe": 1.0}, 0.5),
    ]


def joint_names_of(kind: str) -> list[str]:
    """Names of the model's skeleton joints (24 SMPL, 52 SMPL-H, 55 SMPL-X), smplx's spelling."""
    from smplx.joint_names import JOINT_NAMES, SMPLH_JOINT_NAMES

    if kind == "smpl":
        return list(JOINT_NAMES[:22]) + ["left_hand", "right_hand"]
    if kind == "smplh":
        return list(SMPLH_JOINT_NAMES[:52])
    return list(JOINT_NAMES[:55])


# ---- pose prior ----------------------------------------------------------------------------
#: Soft joint limits on the canonical-axis rotation-vector components (x = subject's left,
#: y = down, z = backward), radians: ((min_x, max_x), (min_y, max_y), (min_z, max_z)).
#: Knees bend one way (+x moves the foot back), elbows one way (left +y / right -y bring the
#: forearm forward), the spine a little; the other joints are free up to a half turn.
#: The penalty is 0 inside (base.py); the plain L2 pull towards the rest pose is the fitter's
#: own term (core.fitting LossWeights.pose_l2), so it is not added twice here.
POSE_LIMITS: dict[str, tuple[tuple[float, float], ...]] = {
    "left_knee": ((-0.1, 2.6), (-0.15, 0.15), (-0.15, 0.15)),
    "right_knee": ((-0.1, 2.6), (-0.15, 0.15), (-0.15, 0.15)),
    "left_elbow": ((-1.6, 1.6), (-0.1, 2.7), (-0.3, 0.3)),
    "right_elbow": ((-1.6, 1.6), (-2.7, 0.1), (-0.3, 0.3)),
    "spine1": ((-0.3, 0.6), (-0.4, 0.4), (-0.3, 0.3)),
    "spine2": ((-0.3, 0.5), (-0.4, 0.4), (-0.3, 0.3)),
    "spine3": ((-0.3, 0.5), (-0.4, 0.4), (-0.3, 0.3)),
    "neck": ((-0.6, 0.8), (-0.8, 0.8), (-0.5, 0.5)),
    "head": ((-0.5, 0.5), (-0.6, 0.6), (-0.4, 0.4)),
}
_FREE = ((-np.pi, np.pi),) * 3


class SmplxBody(BodyModel):
    """SMPL ("smpl"), SMPL-H ("smplh") or SMPL-X ("smplx") from the user's licensed file.

    name: the kind. model_dir: the folder chosen in Settings / --model-dir (or the file itself).
    gender: "neutral", "male" or "female". Raises MissingAssetError when the file is missing
    or unusable. float32 throughout; ``self.layer`` is the smplx module holding the buffers.
    """

    def __init__(self, name: str, model_dir: str | Path | None, device: torch.device | str = "cpu",
                 gender: str = "neutral") -> None:
        super().__init__(device)
        if name not in SMPL_FAMILY:
            raise MissingAssetError(f"Unknown body model '{name}': choose one of "
                                    f"{', '.join(SMPL_FAMILY)}.")
        self.name = name
        self.gender = gender
        self.path = smpl_model_path(model_dir, name, gender)
        data = read_model_file(self.path, name)
        n_verts, ids_key = TOPOLOGY[name]
        if data["v_template"].shape[0] != n_verts:
            raise _bad_file(self.path, name, f"it has {data['v_template'].shape[0]} vertices, "
                            f"not the {n_verts} of the official {SMPL_FAMILY[name][0]} mesh")

        import smplx
        from smplx.utils import Struct

        n_shape = data["shapedirs"].shape[-1]
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a warning for 10 betas
            layer = smplx.SMPL(str(self.path), data_struct=Struct(**data), num_betas=10,
                               create_betas=False, create_global_orient=False,
                               create_body_pose=False, create_transl=False, batch_size=1)
        self.layer = layer.to(self.device)
        dev, f32 = self.device, torch.float32
        self._v_template = self.layer.v_template                      # (V, 3) smpl frame
        self._shapedirs = self.layer.shapedirs                        # (V, 3, S)
        expr_lo = 300 if n_shape >= 310 else 10
        expr = data["shapedirs"][:, :, expr_lo:expr_lo + 10] if name == "smplx" else \
            np.zeros((n_verts, 3, 0), np.float32)
        self._exprdirs = torch.as_tensor(expr, dtype=f32, device=dev)  # (V, 3, E)
        self._posedirs = self.layer.posedirs.reshape(-1, n_verts, 3)  # (9 (J-1), V, 3)
        self._parents = self.layer.parents
        self._weights = self.layer.lbs_weights                        # (V, J)
        jr = self.layer.J_regressor                                   # (J, V)
        self._j_template = jr @ self._v_template                      # (J, 3)
        self._j_shapedirs = torch.einsum("jv,vcs->jcs", jr, self._shapedirs)
        self._j_exprdirs = torch.einsum("jv,vcs->jcs", jr, self._exprdirs)
        self._C = torch.as_tensor(SMPL_TO_CANONICAL, device=dev)
        self._flip = torch.tensor([1.0, -1.0, -1.0], device=dev)     # diag of C

        self.faces = data["f"].astype(np.int64)
        self.joint_names = joint_names_of(name)
        self.parents = self._parents.cpu().numpy().astype(np.int64)
        self.pose_joint_names = self.joint_names[1:24 if name == "smpl" else 22]
        self.shape_names = [f"beta{i}" for i in range(self._shapedirs.shape[-1])]
        self.shape_bounds = None
        self.uvs = None
        self.face_uvs = None
        self.num_expression = int(self._exprdirs.shape[-1])
        self._build_landmarks(ids_key)
        lim = [POSE_LIMITS.get(n, _FREE) for n in self.pose_joint_names]
        self._limits = torch.tensor(lim, dtype=f32, device=dev)       # (P, 3, 2)

    @property
    def num_vertices(self) -> int:
        return int(self._v_template.shape[0])

    def _build_landmarks(self, ids_key: str) -> None:
        from smplx.vertex_ids import vertex_ids

        vid = vertex_ids[ids_key]
        table = _landmark_table(self.name)
        names = sorted({k[2:] for mix, _ in table for k in mix if k.startswith("v:")})
        support = [int(vid[n]) for n in names]
        wv = torch.zeros(33, len(support))
        wj = torch.zeros(33, self.num_joints)
        for row, (mix, _) in enumerate(table):
            for key, w in mix.items():
                if key.startswith("v:"):
                    wv[row, names.index(key[2:])] += w
                else:
                    wj[row, self.joint_names.index(key[2:])] += w
        self._lm_support = torch.tensor(support, dtype=torch.int64, device=self.device)
        self._lm_wv = wv.to(self.device)
        self._lm_wj = wj.to(self.device)
        self.landmark_weights = np.array([r for _, r in table], np.float32)

    # ---- parameters --------------------------------------------------------------------------
    def mean_shape(self) -> np.ndarray:
        return np.zeros(self.shape_dim, np.float32)

    def shape_prior(self, shape: torch.Tensor, centre: np.ndarray | None = None) -> torch.Tensor:
        if centre is not None:
            shape = shape - torch.as_tensor(centre, dtype=shape.dtype, device=shape.device)
        return (shape ** 2).sum(-1)

    def pose_prior(self, body_pose: torch.Tensor) -> torch.Tensor:
        lim = self._limits.to(body_pose.device, body_pose.dtype)
        below = torch.relu(lim[..., 0] - body_pose)
        above = torch.relu(body_pose - lim[..., 1])
        return (below ** 2 + above ** 2).sum((-1, -2))

    def skinning_weights(self) -> torch.Tensor:
        return self._weights

    # ---- evaluation --------------------------------------------------------------------------
    def _extra(self, extras: dict | None, key: str, rows: int, b: int) -> torch.Tensor:
        """(b, rows, 3) extra rotation vectors in canonical axes (zeros when not given)."""
        val = None if extras is None else extras.get(key)
        if val is None:
            return torch.zeros(b, rows, 3, dtype=self.dtype, device=self.device)
        return torch.as_tensor(val, dtype=self.dtype, device=self.device).reshape(-1, rows, 3).expand(b, -1, -1)

    def _full_pose(self, body_pose: torch.Tensor, extras: dict | None, b: int) -> torch.Tensor:
        """(b, J, 3) rotation vectors in smpl axes, root identity (global_orient applied later)."""
        parts = [torch.zeros(b, 1, 3, dtype=self.dtype, device=self.device),
                 body_pose.expand(b, -1, -1)]
        if self.name == "smplx":
            parts += [self._extra(extras, k, 1, b) for k in ("jaw_pose", "leye_pose", "reye_pose")]
        if self.name in ("smplh", "smplx"):
            parts += [self._extra(extras, k, 15, b) for k in ("left_hand_pose", "right_hand_pose")]
        return torch.cat(parts, 1) * self._flip

    def forward(self, global_orient, body_pose, shape, transl, *, vertex_ids=None,
                vertex_offsets=None, extras=None) -> BodyOutput:
        from smplx.lbs import batch_rigid_transform, batch_rodrigues

        b = max(global_orient.shape[0], body_pose.shape[0], shape.shape[0], transl.shape[0])
        if body_pose.shape[1:] != (self.num_pose_joints, 3):
            raise ValueError(f"body_pose must be (B, {self.num_pose_joints}, 3) for {self.name}, "
                             f"got {tuple(body_pose.shape)}")
        betas = shape.to(self.dtype).expand(b, -1)
        j_rest = self._j_template + torch.einsum("bs,jcs->bjc", betas, self._j_shapedirs)
        expr = None
        if self.num_expression and extras is not None and extras.get("expression") is not None:
            expr = torch.as_tensor(extras["expression"], dtype=self.dtype,
                                   device=self.device).reshape(-1, self.num_expression).expand(b, -1)
            j_rest = j_rest + torch.einsum("be,jce->bjc", expr, self._j_exprdirs)

        rot = batch_rodrigues(self._full_pose(body_pose, extras, b).reshape(-1, 3))
        rot = rot.reshape(b, -1, 3, 3)
        joints_s, rel = batch_rigid_transform(rot, j_rest, self._parents, dtype=self.dtype)
        pose_feature = (rot[:, 1:] - torch.eye(3, dtype=self.dtype, device=self.device)).reshape(b, -1)

        ids = self._lm_support if vertex_ids is None else torch.cat(
            [self._lm_support, torch.as_tensor(vertex_ids, device=self.device).long()])

        def skin(sel: torch.Tensor | None) -> torch.Tensor:
            take = (lambda t: t) if sel is None else (lambda t: t[sel])  # noqa: E731
            v = take(self._v_template) + torch.einsum("bs,vcs->bvc", betas, take(self._shapedirs))
            if expr is not None:
                v = v + torch.einsum("be,vce->bvc", expr, take(self._exprdirs))
            pd = self._posedirs if sel is None else self._posedirs[:, sel]
            v = v + torch.einsum("bp,pvc->bvc", pose_feature, pd)
            if vertex_offsets is not None:
                off = vertex_offsets.to(self.dtype) * self._flip
                v = v + (off if sel is None else off[:, sel])
            w = take(self._weights)                                    # (K, J)
            t = torch.einsum("kj,bjrc->bkrc", w, rel)                  # (B, K, 4, 4)
            return (t[..., :3, :3] @ v[..., None])[..., 0] + t[..., :3, 3]

        if vertex_ids is None:
            verts_s = skin(None)
            lm_verts_s = verts_s[:, self._lm_support]
        else:
            both = skin(ids)
            lm_verts_s = both[:, : len(self._lm_support)]
            verts_s = both[:, len(self._lm_support):]
        lm_s = self._lm_wv @ lm_verts_s + self._lm_wj @ joints_s

        import roma

        r = roma.rotvec_to_rotmat(global_orient.to(self.dtype)).expand(b, 3, 3) @ self._C
        root = joints_s[:, :1]
        t = transl.to(self.dtype).expand(b, 3)[:, None]
        to_cam = lambda x: (x - root) @ r.transpose(1, 2) + t  # noqa: E731
        return BodyOutput(vertices=to_cam(verts_s), joints=to_cam(joints_s), landmarks=to_cam(lm_s))
