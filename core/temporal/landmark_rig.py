"""LandmarkRig: the body's 33 BlazePose landmarks and its joints for one fixed shape, fast.

Landmarks are linear in the skinned vertices and linear blend skinning is linear in each bone's
transform, so for a frozen shape every landmark collapses exactly onto the bones:

    landmark_l = sum_j T_j[:3, :] @ P_lj + sum_j b_lj * joint_j,   P_lj = sum_v a_lv W_vj [x_v; 1]

(a: the landmark's vertex weights, W: skinning weights, x: shaped rest vertices, b: joint
weights). A batched window fit then costs one kinematic chain per frame instead of skinning the
~8,500 vertices the landmarks rest on: about 10x cheaper forward and backward. Bodies other than
Anny fall back to ``BodyModel.forward`` with an empty vertex subset (same result, slower).
"""
from __future__ import annotations

import numpy as np
import torch

from core.body.base import BodyModel


class LandmarkRig:
    """Landmarks and joints of ``body`` with the shape frozen at ``shape``.

    body: the body model. shape: (S,) float shape parameters (Anny: phenotypes in [0, 1]).
    vertex_ids: (K,) int64 mesh vertices to pose as well (``__call__(..., vertices=True)``),
        collapsed onto the bones like the landmarks; None: none.
    """

    def __init__(self, body: BodyModel, shape: np.ndarray | torch.Tensor,
                 vertex_ids: np.ndarray | torch.Tensor | None = None) -> None:
        self.body = body
        self.shape = torch.as_tensor(np.asarray(shape, np.float32).reshape(1, -1),
                                     device=body.device)
        self.vertex_ids = None if vertex_ids is None else torch.as_tensor(
            np.asarray(vertex_ids, np.int64), device=body.device)
        self._fast = body.name == "anny" and hasattr(body, "_lm_wv")
        if self._fast:
            self._prepare_anny()

    @torch.no_grad()
    def _prepare_anny(self) -> None:
        b = self.body
        m = b.model
        zero_pose = torch.zeros(1, b.num_pose_joints, 3, device=b.device)
        _, pheno, local, face = m.get_tensor_inputs(b._pose_matrices(zero_pose), self.shape,
                                                    None, None)
        rest = m.get_rest_model(m._get_phenotype_blendshape_coefficients(pheno, local, face))
        self._rest_bone_poses = rest["rest_bone_poses"]
        x = rest["rest_vertices"][0, b._lm_support]                       # (K, 3) Anny frame
        xh = torch.cat([x, torch.ones_like(x[:, :1])], 1)                 # (K, 4)
        w = b._weights[b._lm_support]                                      # (K, J)
        self._P = torch.einsum("lk,kj,kc->ljc", b._lm_wv, w, xh)          # (33, J, 4)
        self._Wj = b._lm_wj                                                # (33, J)
        self._Pv = None
        if self.vertex_ids is not None:
            xv = rest["rest_vertices"][0, self.vertex_ids]                # (K, 3)
            xvh = torch.cat([xv, torch.ones_like(xv[:, :1])], 1)
            self._Pv = b._weights[self.vertex_ids][:, :, None] * xvh[:, None]   # (K, J, 4)

    def __call__(self, global_orient: torch.Tensor, body_pose: torch.Tensor,
                 transl: torch.Tensor, vertices: bool = False) -> tuple[torch.Tensor, ...]:
        """Pose the frozen-shape body.

        global_orient: (B, 3) axis-angle canonical -> camera. body_pose: (B, P, 3) axis-angle.
        transl: (B, 3) root position, camera frame, metres.
        returns: landmarks (B, 33, 3) and joints (B, J, 3), float32, camera frame, metres; with
            ``vertices`` (and vertex_ids given) also the (B, K, 3) vertices of ``vertex_ids``.
        """
        vertices = vertices and self.vertex_ids is not None
        if not self._fast:
            ids = self.vertex_ids if vertices else torch.zeros(0, dtype=torch.int64,
                                                               device=self.body.device)
            out = self.body.forward(global_orient, body_pose, self.shape, transl, vertex_ids=ids)
            return (out.landmarks, out.joints, out.vertices) if vertices else \
                (out.landmarks, out.joints)
        import roma

        b = self.body
        m = b.model
        n = body_pose.shape[0]
        pose_in, _, _, _ = m.get_tensor_inputs(b._pose_matrices(body_pose), self.shape, None, None)
        transforms, bone_poses = m.get_bone_transforms(pose_in, self._rest_bone_poses)
        joints_a = bone_poses[..., :3, 3]                                  # (B, J, 3)
        lm_a = torch.einsum("bjrc,ljc->blr", transforms[..., :3, :], self._P) + self._Wj @ joints_a
        rot = roma.rotvec_to_rotmat(global_orient).expand(n, 3, 3) @ b._C
        root = joints_a[:, :1]
        shift = transl.expand(n, 3)[:, None]
        to_cam = lambda p: (p - root) @ rot.transpose(1, 2) + shift  # noqa: E731
        if vertices:
            v_a = torch.einsum("bjrc,kjc->bkr", transforms[..., :3, :], self._Pv)
            return to_cam(lm_a), to_cam(joints_a), to_cam(v_a)
        return to_cam(lm_a), to_cam(joints_a)
