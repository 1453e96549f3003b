"""The body with its shape frozen: landmarks, joints and a vertex subset, cheap enough to run
the silhouette term on every step of the pose stage.

Why it is exact. Anny's skinning transform of bone j is T_j = A_j o T0_j, where T0_j is the
bone's transform in the zero (reference) pose and A_j the rigid motion the pose adds on top:
x -> G_j (x - head_j) + posed_head_j, heads taken in the reference pose. In Anny's "local-ref"
convention (core/body/anny_body.py) a bone whose own rotation is the identity moves rigidly
with its parent, so A_j equals the parent's motion. Only the root and the 22 pose joints ever
rotate, so every one of the 104 bones *carries* the motion of its nearest posed ancestor (or
itself). With the shape fixed, this rig therefore
- chains 23 motions instead of 104 transforms (22 small matrix products),
- skins with, per point and carrier, the precomputed sum of w_j T0_j x over the carrier's bones
  (and folds the 33 landmarks' vertex weights into the same sums),
- places bone heads (joints, hand landmarks) with their parent's carrier,
and reproduces BodyModel.forward to float precision at a fraction of the cost of a full pass
that also re-applies the shape blendshapes and chains every bone. Other body models fall back
to BodyModel.forward with ``vertex_ids`` (same result, full price).
"""
from __future__ import annotations

import numpy as np
import torch

from core.body.base import BodyModel
from core.rotations import rotvec_to_rotmat


class FrozenShapeRig:
    """``body`` posed with ``shape`` (S,) fixed; ``vertex_ids`` (K,) int64 the vertices returned."""

    def __init__(self, body: BodyModel, shape: np.ndarray | torch.Tensor,
                 vertex_ids: torch.Tensor) -> None:
        self.body = body
        self.shape = torch.as_tensor(np.asarray(shape, np.float32).reshape(1, -1), device=body.device)
        self.vertex_ids = vertex_ids
        self._fast = body.name == "anny" and hasattr(body, "_lm_wv") and hasattr(body, "model")
        if self._fast:
            self._prepare_anny()

    @torch.no_grad()
    def _prepare_anny(self) -> None:
        b, m = self.body, self.body.model
        zero_pose = b._pose_matrices(torch.zeros(1, b.num_pose_joints, 3, device=b.device))
        pose_in, rest_v, rest_bones = b.rest_model(self.shape, zero_pose)
        # Anny's zero pose is its reference pose, a few cm from the rest mesh: keep the per-bone
        # transforms T0 it applies, and chain the carriers from the reference heads.
        t0, bone_poses0 = m.get_bone_transforms(pose_in, rest_bones)
        t0, heads = t0[0, :, :3, :], bone_poses0[0, :, :3, 3]                # (J, 3, 4), (J, 3)
        parents = np.asarray(b.parents)
        pose_bones = b._pose_idx.cpu().numpy()
        # Carriers: 0 = root, r = the r-th pose joint in chain order (parents first).
        order = np.argsort(pose_bones)
        slot = {0: 0}
        for rank, k in enumerate(order, start=1):
            slot[int(pose_bones[k])] = rank
        carrier = np.zeros(len(parents), np.int64)
        for j in range(1, len(parents)):                                   # parents precede children
            carrier[j] = slot.get(j, carrier[parents[j]])
        self._order = torch.as_tensor(order, device=b.device)              # chain rank -> pose joint
        self._chain_parent = [int(carrier[parents[pose_bones[k]]]) for k in order]
        self._carrier_heads = torch.cat([heads[:1], heads[torch.as_tensor(pose_bones[order])]])
        self._levels, self._level_back = self._chain_levels()
        fold = torch.zeros(len(parents), len(order) + 1, device=b.device)
        fold[torch.arange(len(parents)), torch.as_tensor(carrier)] = 1.0   # (J, 23) bone -> carrier

        def grouped(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """Per point and carrier: the sum of w_j T0_j x over the carrier's bones (K, 23, 3)
            and the carrier's total weight (K, 23)."""
            x = rest_v[0, ids]
            w = b._weights[ids]                                            # (K, J)
            y = torch.einsum("jrc,kc->kjr", t0[:, :, :3], x) + t0[None, :, :, 3]   # (K, J, 3)
            # two-operand products (a three-operand einsum builds a (K, J, 23, 3) intermediate)
            wy = (w[:, :, None] * y).transpose(1, 2)                             # (K, 3, J)
            return (wy @ fold).transpose(1, 2), w @ fold

        z_lm, w_lm = grouped(b._lm_support)                                # fold into the landmarks
        self._lm_z = torch.einsum("lk,kcr->lcr", b._lm_wv, z_lm)            # (33, 23, 3)
        self._lm_w = b._lm_wv @ w_lm                                       # (33, 23)
        self._v_z, self._v_w = grouped(self.vertex_ids)
        # a bone's head moves with its parent's carrier (its own rotation turns about it)
        head_fold = fold[torch.as_tensor(np.maximum(parents, 0))]          # (J, 23) one-hot
        self._head_z = head_fold[:, :, None] * heads[:, None, :]           # (J, 23, 3)
        self._head_w = head_fold

    def _chain_levels(self) -> tuple[list, torch.Tensor]:
        """The chain grouped by depth, so that one batched product places every carrier of a
        level (9 products instead of 22 sequential joints: the step's cost is mostly the number
        of small operations). Returns per level (parents' slots, delta columns, bone vectors),
        the carriers being stored in level order, and the index that restores rank order."""
        depth = [0]
        for parent in self._chain_parent:
            depth.append(depth[parent] + 1)
        ranks = sorted(range(len(depth)), key=lambda r: (depth[r], r))   # level order
        pos = {r: i for i, r in enumerate(ranks)}
        dev, h = self._carrier_heads.device, self._carrier_heads
        levels = []
        for d in range(1, max(depth) + 1):
            members = [r for r in ranks if depth[r] == d]
            par = [self._chain_parent[r - 1] for r in members]
            levels.append((torch.as_tensor([pos[p] for p in par], device=dev),   # parents' slots
                           torch.as_tensor([r - 1 for r in members], device=dev),  # delta columns
                           (h[members] - h[par])[:, :, None]))                   # (M, 3, 1)
        return levels, torch.as_tensor([pos[r] for r in range(len(depth))], device=dev)

    def _carriers(self, body_pose: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(R (B, 23, 3, 3), offset (B, 23, 3)): carrier c moves x -> R_c x + offset_c (Anny frame,
        reference-pose positions)."""
        n = body_pose.shape[0]
        delta = rotvec_to_rotmat(body_pose[:, self._order] @ self.body._C)   # (B, 22, 3, 3)
        h = self._carrier_heads
        rot = torch.eye(3, dtype=body_pose.dtype, device=body_pose.device).expand(n, 1, 3, 3)
        posed = h[:1].expand(n, 1, 3)
        for parent_slots, columns, bones in self._levels:
            rp = rot[:, parent_slots]                                          # (B, M, 3, 3)
            posed = torch.cat([posed, (rp @ bones)[..., 0] + posed[:, parent_slots]], 1)
            rot = torch.cat([rot, rp @ delta[:, columns]], 1)
        rot, posed = rot[:, self._level_back], posed[:, self._level_back]
        offset = posed - (rot @ h[:, :, None])[..., 0]
        return rot, offset

    @staticmethod
    def _apply(z: torch.Tensor, w: torch.Tensor, rot: torch.Tensor, offset: torch.Tensor) -> torch.Tensor:
        """(B, K, 3): the sum over carriers c of R_c z_kc + w_kc offset_c (two matrix products)."""
        n, c = rot.shape[:2]
        stacked = rot.transpose(-1, -2).reshape(n, 3 * c, 3)               # rows (c, j), cols i
        return z.reshape(len(z), 3 * c) @ stacked + w @ offset

    def pose(self, global_orient: torch.Tensor, body_pose: torch.Tensor,
             transl: torch.Tensor, vertices: bool = True
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(landmarks (B, 33, 3), joints (B, J, 3), vertices (B, K, 3)), camera frame, metres.

        global_orient: (B, 3) axis-angle; body_pose: (B, P, 3); transl: (B, 3) metres.
        vertices: False skips the vertex subset (returned as None).
        """
        if not self._fast:
            ids = self.vertex_ids if vertices else self.vertex_ids[:0]
            out = self.body.forward(global_orient, body_pose, self.shape, transl, vertex_ids=ids)
            return out.landmarks, out.joints, out.vertices if vertices else None
        b = self.body
        n = body_pose.shape[0]
        rot, offset = self._carriers(body_pose)
        joints_a = self._apply(self._head_z, self._head_w, rot, offset)     # (B, J, 3)
        lm_a = self._apply(self._lm_z, self._lm_w, rot, offset) + b._lm_wj @ joints_a
        verts_a = self._apply(self._v_z, self._v_w, rot, offset) if vertices else None
        to_cam_rot = rotvec_to_rotmat(global_orient).expand(n, 3, 3) @ b._C
        root = joints_a[:, :1]
        shift = transl.expand(n, 3)[:, None]
        to_cam = lambda p: (p - root) @ to_cam_rot.transpose(1, 2) + shift  # noqa: E731
        return to_cam(lm_a), to_cam(joints_a), None if verts_a is None else to_cam(verts_a)
