"""The body with its shape frozen: landmarks, joints and a vertex subset, cheap enough to run
the silhouette term on every step of the pose stage.

core.temporal.landmark_rig.LandmarkRig folds the landmarks onto Anny's bones for a fixed shape.
This adds the silhouette's vertex subset: with the shape fixed, the shaped rest positions of
those vertices are computed once, and each step only chains the bones and skins the subset
(about 5 ms forward and backward for 3000 vertices on one CPU thread, against ~18 ms for a
full body-model pass that re-applies the shape blendshapes). Other body models fall back to
BodyModel.forward with ``vertex_ids`` (same result, full price).
"""
from __future__ import annotations

import numpy as np
import torch

from core.body.base import BodyModel
from core.temporal.landmark_rig import LandmarkRig


class FrozenShapeRig(LandmarkRig):
    """``body`` posed with ``shape`` (S,) fixed; ``vertex_ids`` (K,) int64 the vertices returned."""

    def __init__(self, body: BodyModel, shape: np.ndarray | torch.Tensor,
                 vertex_ids: torch.Tensor) -> None:
        super().__init__(body, shape)
        self.vertex_ids = vertex_ids
        if self._fast:
            self._prepare_vertices()

    @torch.no_grad()
    def _prepare_vertices(self) -> None:
        b = self.body
        m = b.model
        zero_pose = torch.zeros(1, b.num_pose_joints, 3, device=b.device)
        _, pheno, local, face = m.get_tensor_inputs(b._pose_matrices(zero_pose), self.shape,
                                                    None, None)
        rest = m.get_rest_model(m._get_phenotype_blendshape_coefficients(pheno, local, face))
        self._rest_v = rest["rest_vertices"][:1, self.vertex_ids]           # (1, K, 3) Anny frame
        self._w_v = b._weights[self.vertex_ids]                             # (K, J)

    def pose(self, global_orient: torch.Tensor, body_pose: torch.Tensor,
             transl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(landmarks (B, 33, 3), joints (B, J, 3), vertices (B, K, 3)), camera frame, metres.

        global_orient: (B, 3) axis-angle; body_pose: (B, P, 3); transl: (B, 3) metres.
        """
        if not self._fast:
            out = self.body.forward(global_orient, body_pose, self.shape, transl,
                                    vertex_ids=self.vertex_ids)
            return out.landmarks, out.joints, out.vertices
        import roma
        from anny.skinning.skinning import dense_linear_blend_skinning

        b = self.body
        m = b.model
        n = body_pose.shape[0]
        pose_in, _, _, _ = m.get_tensor_inputs(b._pose_matrices(body_pose), self.shape, None, None)
        transforms, bone_poses = m.get_bone_transforms(pose_in, self._rest_bone_poses)
        joints_a = bone_poses[..., :3, 3]
        lm_a = torch.einsum("bjrc,ljc->blr", transforms[..., :3, :], self._P) + self._Wj @ joints_a
        verts_a = dense_linear_blend_skinning(self._rest_v.expand(n, -1, -1), self._w_v, transforms)
        rot = roma.rotvec_to_rotmat(global_orient).expand(n, 3, 3) @ b._C
        root = joints_a[:, :1]
        shift = transl.expand(n, 3)[:, None]
        to_cam = lambda p: (p - root) @ rot.transpose(1, 2) + shift  # noqa: E731
        return to_cam(lm_a), to_cam(joints_a), to_cam(verts_a)
