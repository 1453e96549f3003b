"""AnnyBody: the default, freely redistributable body model (Anny, Apache-2.0, ships in its wheel).

Anny's own frame is Z-up, facing -Y, the subject's left at +X, metres. ``ANNY_TO_CANONICAL``
maps it once into the canonical body frame of core.body.base (y down, facing -z, left at +x).
Pose: ``body_pose`` holds one axis-angle rotation per joint of ``POSE_JOINTS`` (the major body
bones; fingers, toes, eyes and twist bones stay at rest), expressed in the canonical frame's axes
and chained like SMPL's (Anny's "local-ref" parameterization). The rest pose (zero pose) is
Anny's A-pose: arms about 47 degrees below horizontal, elbows slightly bent.
Shape: the six Anny phenotypes in [0, 1] (gender 0 male .. 1 female, age, muscle, weight,
height, proportions), optionally followed by a stature scale (default 1) that scales the whole
rest body, mesh and skeleton, so that a short person's proportions can have an adult's size.
Age runs baby (0), child (1/3, about 11 years), young adult (2/3, about 25), old (1, about 90):
0.5 is about 18.
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import torch

from core.rotations import rotvec_to_rotmat

from .base import BodyModel, BodyOutput

#: Anny frame -> canonical frame (rows: canonical x, y, z in Anny coordinates).
ANNY_TO_CANONICAL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], np.float32)

#: Bones that body_pose rotates, in order.
POSE_JOINTS: tuple[str, ...] = (
    "spine05", "spine04", "spine03", "spine02", "spine01", "neck01", "neck02", "head",
    "clavicle.L", "upperarm01.L", "lowerarm01.L", "wrist.L",
    "clavicle.R", "upperarm01.R", "lowerarm01.R", "wrist.R",
    "upperleg01.L", "lowerleg01.L", "foot.L",
    "upperleg01.R", "lowerleg01.R", "foot.R",
)

#: How far up the shank (a fraction of the COCO ankle -> knee distance, about 19 mm on an adult)
#: the detector's ankle sits above Anny's COCO ankle. On the triangulated BlazePose points of
#: pose2sim Demo_MultiPerson the single-frame fits' shanks measured 6 % longer than the
#: reference's, the ankles 16-19 mm low along the body's axis (the same on Demo_SinglePerson,
#: whose thighs differ from Demo_MultiPerson's); 0.05 scored best of 0, 0.05, 0.1 and 0.15 there
#: (bench/README.md, "Where the detector's ankle is").
ANKLE_RAISE = 0.05

#: Where each BlazePose landmark sits on Anny: ("coco", label) rows of Anny's COCO keypoint
#: regressor (surface points), ("coco", (label, towards, t)) the point ``t`` of the way from
#: ``label`` to ``towards`` (the ankles, ``ANKLE_RAISE`` up the shank), ("vertex", id) single
#: mesh vertices (default topology only), or ("bone", label) bone heads (joint centres). The
#: weight is how reliably the detector's point and the body's point are the same anatomical spot
#: (1 good, 0.5 medium, 0.25 low).
BLAZEPOSE_ON_ANNY: tuple[tuple[str, object, float], ...] = (
    ("coco", "nose", 1.0),
    ("vertex", 7779, 0.5), ("coco", "left_eye", 1.0), ("vertex", 7766, 0.5),
    ("vertex", 1103, 0.5), ("coco", "right_eye", 1.0), ("vertex", 1090, 0.5),
    ("coco", "left_ear", 0.5), ("coco", "right_ear", 0.5),
    ("vertex", 7256, 0.5), ("vertex", 527, 0.5),
    ("coco", "left_shoulder", 1.0), ("coco", "right_shoulder", 1.0),
    ("coco", "left_elbow", 1.0), ("coco", "right_elbow", 1.0),
    ("coco", "left_wrist", 1.0), ("coco", "right_wrist", 1.0),
    ("bone", "finger5-1.L", 0.25), ("bone", "finger5-1.R", 0.25),
    ("bone", "finger2-1.L", 0.25), ("bone", "finger2-1.R", 0.25),
    ("bone", "finger1-2.L", 0.25), ("bone", "finger1-2.R", 0.25),
    ("coco", "left_hip", 0.5), ("coco", "right_hip", 0.5),
    ("coco", "left_knee", 1.0), ("coco", "right_knee", 1.0),
    ("coco", ("left_ankle", "left_knee", ANKLE_RAISE), 1.0),
    ("coco", ("right_ankle", "right_knee", ANKLE_RAISE), 1.0),
    ("coco", "left_heel", 1.0), ("coco", "right_heel", 1.0),
    ("coco", "left_big_toe", 0.5), ("coco", "right_big_toe", 0.5),
)

#: The average adult of the body model's own parameter space (gender neutral, middle-aged): the
#: rest body of the synthetic data, the motion-capture retargeting and the body-point priors.
MEAN_PHENOTYPE = np.array([0.5, 0.8, 0.5, 0.5, 0.5, 0.5], np.float32)
#: Where every fit of a person starts (photo and video; the single-frame fit also centres its shape
#: prior there): a young adult's proportions (age 7/12, about 21 years; height 0.275; proportions
#: 0.625; gender and build neutral) brought to an average adult's stature (1.67 m) by ``FIT_SCALE``.
#: Chosen on real people: the triangulated BlazePose points of pose2sim Demo_MultiPerson measure
#: legs about 1.4 arm lengths long where MEAN_PHENOTYPE's measure 1.53 (this one 1.43; 1.57 and
#: 1.47 at Anny's COCO ankles, before ``ANKLE_RAISE``); a body whose legs are longer than the
#: detector's points must tilt them in depth to meet the 2D keypoints.
#: Anny's phenotypes shorten the legs only with the person, so the start takes a shorter person's
#: proportions and scales them: one view fixes the body only up to a scale about the camera, and the
#: 3D errors follow the proportions, not the size. It is halfway between the previous start (0.5,
#: 2/3, 0.5, 0.5, 0.35, 0.75) and a 1.32 m teenager's proportions, which score better on real people
#: still but cost the synthetic benchmark, whose bodies have Anny's long legs, more than issue 11
#: allows (bench/README.md, "the fit's start shape").
FIT_PHENOTYPE = np.array([0.5, 7.0 / 12.0, 0.5, 0.5, 0.275, 0.625], np.float32)
#: The stature scale of the fits' start: FIT_PHENOTYPE's 1.49 m made 1.67 m.
FIT_SCALE = 1.1193
#: A shape vector holds the phenotypes, then optionally a stature scale (1 when absent): the
#: whole body (mesh and bones) scaled about its origin, so proportions and size are separate.
NUM_PHENOTYPES = 6
#: Spread of plausible adult phenotypes (for the shape prior).
PHENOTYPE_STD = np.array([0.35, 0.12, 0.25, 0.25, 0.2, 0.25], np.float32)


def _build_anny():
    """Build Anny once (about 40 s the first time on a machine, then ~0.5 s from its cache)."""
    try:
        import warp  # noqa: F401  (silence its banner before anny imports it)

        warp.config.log_level = warp.LOG_WARNING
        warp.config.quiet = True
    except Exception:  # noqa: BLE001 - warp is optional, pure-torch skinning is used
        pass
    import anny

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return anny, anny.Anny(skinning_method="lbs").to(torch.float32)


def coco_keypoint_weights(model, num_vertices: int) -> dict[str, torch.Tensor]:
    """Anny's COCO keypoint regressor as one dense (V,) float32 row of vertex weights per label
    (CPU): a keypoint is ``row @ vertices``."""
    import anny

    coco = anny.KeypointsRegressor.coco(model)
    w = coco.regression_weights.detach().to(torch.float32).cpu()
    if coco.is_sparse:
        dense = torch.zeros(w.shape[0], num_vertices)
        dense.scatter_add_(1, coco.regression_indices.cpu(), w)
        w = dense
    return {label: w[i] for i, label in enumerate(coco.labels)}


def anny_cache_dir() -> str:
    """Where Anny keeps its built model data (ANNY_CACHE_DIR or ~/.cache/anny)."""
    return os.environ.get("ANNY_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "anny"))


class AnnyBody(BodyModel):
    """Anny wrapped in the BodyModel interface (float32, pure-torch linear blend skinning)."""

    name = "anny"

    def __init__(self, device: torch.device | str = "cpu") -> None:
        super().__init__(device)
        _, model = _build_anny()
        self.model = model.to(self.device)
        labels = list(model.bone_labels)
        self.joint_names = labels
        self.parents = np.asarray(model.bone_parents, np.int64)
        self.pose_joint_names = list(POSE_JOINTS)
        self.shape_names = list(model.phenotype_labels)
        self.shape_bounds = np.tile(np.array([[0.0, 1.0]], np.float32), (len(self.shape_names), 1))
        self.faces = model.faces.detach().cpu().numpy().astype(np.int64)
        self.uvs = model.texture_coordinates.detach().cpu().numpy().astype(np.float32)
        self.face_uvs = model.face_texture_coordinate_indices.detach().cpu().numpy().astype(np.int64)
        self._pose_idx = torch.tensor([labels.index(n) for n in POSE_JOINTS], device=self.device)
        self._C = torch.as_tensor(ANNY_TO_CANONICAL, device=self.device)
        self._weights = model.dense_vertex_bone_weights.to(self.device, torch.float32)

        # Landmarks = Wv @ vertices[support] + Wj @ joints, both (33, .) dense.
        coco = coco_keypoint_weights(model, self.num_vertices)
        wv = torch.zeros(33, self.num_vertices)
        wj = torch.zeros(33, len(labels))
        for row, (kind, key, _) in enumerate(BLAZEPOSE_ON_ANNY):
            if kind == "coco":
                label, towards, t = key if isinstance(key, tuple) else (key, key, 0.0)
                wv[row] = (1.0 - t) * coco[label] + t * coco[towards]
            elif kind == "vertex":
                wv[row, int(key)] = 1.0
            else:
                wj[row, labels.index(str(key))] = 1.0
        support = torch.nonzero(wv.abs().sum(0) > 0).squeeze(1)
        self._lm_support = support.to(self.device)
        self._lm_wv = wv[:, support].to(self.device)
        self._lm_wj = wj.to(self.device)
        self.landmark_weights = np.array([w for _, _, w in BLAZEPOSE_ON_ANNY], np.float32)

    # ---- parameters --------------------------------------------------------------------------
    def mean_shape(self) -> np.ndarray:
        return MEAN_PHENOTYPE.copy()

    def fit_shape(self) -> np.ndarray:
        return np.append(FIT_PHENOTYPE, np.float32(FIT_SCALE)).astype(np.float32)

    def shape_prior(self, shape: torch.Tensor, centre: np.ndarray | None = None) -> torch.Tensor:
        """Over the phenotypes only (a stature scale, one view cannot see, is not free)."""
        c = MEAN_PHENOTYPE if centre is None else np.asarray(centre, np.float32)[:NUM_PHENOTYPES]
        mean = torch.as_tensor(c, dtype=shape.dtype, device=shape.device)
        std = torch.as_tensor(PHENOTYPE_STD, device=shape.device)
        return (((shape[..., :NUM_PHENOTYPES] - mean) / std) ** 2).sum(-1)

    def rest_model(self, shape: torch.Tensor, pose_matrices: torch.Tensor | None = None):
        """Anny's inputs and rest body for shapes (B, 6 or 7): (pose inputs (None without
        ``pose_matrices``), rest vertices (B, V, 3), rest bone poses (B, J, 4, 4)), Anny frame,
        with the stature scale (column 7, when present) applied to vertices and bone heads."""
        m = self.model
        pose_in, pheno, local, face = m.get_tensor_inputs(
            pose_matrices, shape[..., :NUM_PHENOTYPES], None, None)
        rest = m.get_rest_model(m._get_phenotype_blendshape_coefficients(pheno, local, face))
        verts, bones = rest["rest_vertices"], rest["rest_bone_poses"]
        if shape.shape[-1] > NUM_PHENOTYPES:
            k = shape[..., NUM_PHENOTYPES].to(verts.dtype)
            verts = verts * k[:, None, None]
            heads = bones[..., :3, 3:] * k[:, None, None, None]
            bones = torch.cat([torch.cat([bones[..., :3, :3], heads], -1), bones[..., 3:, :]], -2)
        return pose_in, verts, bones

    def pose_prior(self, body_pose: torch.Tensor) -> torch.Tensor:
        from .anny_limits import anny_pose_prior

        return anny_pose_prior(body_pose)

    def skinning_weights(self) -> torch.Tensor:
        return self._weights

    # ---- evaluation --------------------------------------------------------------------------
    @property
    def hand_rig(self):
        """The finger rig (core.body.anny_hands.AnnyHandRig), built on first use."""
        rig = getattr(self, "_hand_rig", None)
        if rig is None:
            from .anny_hands import AnnyHandRig

            z = torch.zeros(1, 3, dtype=self.dtype, device=self.device)
            shape = torch.as_tensor(self.mean_shape(), dtype=self.dtype, device=self.device)[None]
            with torch.no_grad():
                out = self.forward(z, torch.zeros(1, len(POSE_JOINTS), 3, dtype=self.dtype,
                                                  device=self.device), shape, z)
            rig = AnnyHandRig(self.joint_names, out.joints[0].cpu().numpy(),
                              out.vertices[0].cpu().numpy(), self._weights.cpu().numpy())
            self._hand_rig = rig
        return rig

    def _pose_matrices(self, body_pose: torch.Tensor,
                       fingers: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 104, 4, 4) Anny local-ref deltas; root and unposed bones stay identity.
        fingers: (B, 2, 5, 3) finger flexion angles (core.body.anny_hands), or None (rest)."""
        b = body_pose.shape[0] if fingers is None else max(body_pose.shape[0], fingers.shape[0])
        rot = rotvec_to_rotmat(body_pose @ self._C).expand(b, -1, -1, -1)  # canonical -> Anny axes
        idx = self._pose_idx
        if fingers is not None:
            rig = self.hand_rig
            c = self._C.to(fingers.dtype)
            frot = c.T @ rig.rotations(fingers) @ c    # canonical-axis rotations -> Anny axes
            rot = torch.cat([rot, frot.expand(b, -1, -1, -1)], 1)
            idx = torch.cat([idx, torch.as_tensor(rig.bone_ids.reshape(-1), device=self.device)])
        n = len(idx)
        pose = torch.eye(4, dtype=self.dtype, device=self.device).repeat(b, self.num_joints, 1, 1)
        block = torch.cat([torch.cat([rot, rot.new_zeros(b, n, 3, 1)], -1),
                           pose[:, :n, 3:]], -2)
        return pose.index_put((torch.arange(b, device=self.device)[:, None].expand(-1, n),
                               idx[None].expand(b, -1)), block)

    def forward(self, global_orient, body_pose, shape, transl, *, vertex_ids=None,
                vertex_offsets=None, extras=None) -> BodyOutput:
        from anny.skinning.skinning import dense_linear_blend_skinning

        b = max(global_orient.shape[0], body_pose.shape[0], shape.shape[0], transl.shape[0])
        m = self.model
        fingers = None if extras is None else extras.get("fingers")
        pose_in, rest_v, rest_bones = self.rest_model(shape,
                                                      self._pose_matrices(body_pose, fingers))
        transforms, bone_poses = m.get_bone_transforms(pose_in, rest_bones)
        transforms = transforms.expand(b, -1, -1, -1)
        bone_poses = bone_poses.expand(b, -1, -1, -1)
        rest_v = rest_v.expand(b, -1, -1)
        if vertex_offsets is not None:
            rest_v = rest_v + vertex_offsets @ self._C  # canonical offsets -> Anny axes

        ids = self._lm_support if vertex_ids is None else torch.cat([self._lm_support, vertex_ids])
        if vertex_ids is None:
            verts_a = dense_linear_blend_skinning(rest_v, self._weights, transforms)
            lm_verts_a = verts_a[:, self._lm_support]
        else:
            both = dense_linear_blend_skinning(rest_v[:, ids], self._weights[ids], transforms)
            lm_verts_a = both[:, : len(self._lm_support)]
            verts_a = both[:, len(self._lm_support):]
        joints_a = bone_poses[..., :3, 3]
        lm_a = self._lm_wv @ lm_verts_a + self._lm_wj @ joints_a

        rot = rotvec_to_rotmat(global_orient).expand(b, 3, 3) @ self._C  # Anny -> camera
        root = joints_a[:, :1]
        to_cam = lambda x: (x - root) @ rot.transpose(1, 2) + transl.expand(b, 3)[:, None]  # noqa: E731
        return BodyOutput(vertices=to_cam(verts_a), joints=to_cam(joints_a), landmarks=to_cam(lm_a))
