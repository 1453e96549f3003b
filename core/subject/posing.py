"""Posing the avatar into many frames cheaply: body-model skinning with cached bone transforms.

Most of the cost of posing Anny is not the skinning but the bone chain (104 bones, one after
another) and the rest model of the shape (a Procrustes fit per bone). Both change only when a
frame's body pose or the shape changes, so ``FramePoser`` keeps, per used frame, the skinning
transforms of its current body pose and, once, the rest mesh of the current shape:

* a *rigid* step (``pose(..., full=False)``) skins a vertex subset with the cached transforms
  and applies the frame's global orientation and translation; gradients reach the clothing
  offsets, the orientation and the translation. Exactly ``BodyModel.forward`` for the cached
  pose and shape (a test checks it).
* a *full* step (``full=True``) calls ``BodyModel.forward``: gradients reach the body pose and
  the shape too. ``update`` then refreshes the caches of the frames (and the shape) it changed.

Any BodyModel works: without the Anny internals every step is a full step.
"""
from __future__ import annotations

import roma
import torch

from core.body.base import BodyModel, BodyOutput


class FramePoser:
    """Poses a displaced body into N frames (see the module docstring).

    body: the body model. shape: (1, S) current shape. body_pose: (N, P, 3) current poses.
    """

    def __init__(self, body: BodyModel, shape: torch.Tensor, body_pose: torch.Tensor) -> None:
        self.body = body
        self.fast = hasattr(body, "_pose_matrices") and hasattr(body, "model")
        self.n = body_pose.shape[0]
        if self.fast:
            with torch.no_grad():
                self._set_shape(shape)
                self.transforms = torch.empty(self.n, body.num_joints, 4, 4, dtype=body.dtype,
                                              device=body.device)
                self.joints = torch.empty(self.n, body.num_joints, 3, dtype=body.dtype,
                                          device=body.device)
                self.update(torch.arange(self.n), body_pose)

    @torch.no_grad()
    def _set_shape(self, shape: torch.Tensor) -> None:
        _, rest_v, self.rest_bone_poses = self.body.rest_model(shape.detach())
        self.rest_vertices = rest_v[0]                          # (V, 3) Anny frame

    @torch.no_grad()
    def set_shape(self, shape: torch.Tensor, body_pose: torch.Tensor) -> None:
        """Refresh every cache for a new shape (1, S); body_pose: (N, P, 3) all frames' poses."""
        if self.fast:
            self._set_shape(shape)
            self.update(torch.arange(self.n), body_pose)

    @torch.no_grad()
    def update(self, rows: torch.Tensor, body_pose: torch.Tensor) -> None:
        """Refresh the caches of frames ``rows`` from their poses (len(rows), P, 3)."""
        if not self.fast:
            return
        m = self.body.model
        for i in range(0, len(rows), 16):
            r = rows[i:i + 16]
            pose_in = self.body._pose_matrices(body_pose[i:i + 16])
            t, bone = m.get_bone_transforms(pose_in, self.rest_bone_poses)
            self.transforms[r] = t.expand(len(r), -1, -1, -1)
            self.joints[r] = bone[..., :3, 3].expand(len(r), -1, -1)

    def pose(self, rows: torch.Tensor, global_orient: torch.Tensor, body_pose: torch.Tensor,
             shape: torch.Tensor, transl: torch.Tensor, offsets: torch.Tensor,
             vertex_ids: torch.Tensor, full: bool) -> BodyOutput:
        """The avatar in frames ``rows``: BodyOutput with (B, K, 3) vertices ``vertex_ids`` and
        (B, 33, 3) landmarks, camera frame, metres.

        global_orient (B, 3), body_pose (B, P, 3), transl (B, 3): the frames' parameters;
        shape (1, S); offsets (V, 3) canonical frame, metres. full: differentiate through the
        body pose and the shape (BodyModel.forward) instead of using the cached transforms.
        """
        if full or not self.fast:
            return self.body(global_orient, body_pose, shape, transl, vertex_ids=vertex_ids,
                             vertex_offsets=offsets[None])
        from anny.skinning.skinning import dense_linear_blend_skinning

        b = self.body
        ids = torch.cat([b._lm_support, vertex_ids])
        rest = self.rest_vertices[ids] + offsets[ids] @ b._C
        T = self.transforms[rows]
        both = dense_linear_blend_skinning(rest[None].expand(len(rows), -1, -1), b._weights[ids], T)
        k = len(b._lm_support)
        joints = self.joints[rows]
        lm = b._lm_wv @ both[:, :k] + b._lm_wj @ joints
        rot = roma.rotvec_to_rotmat(global_orient) @ b._C
        root = joints[:, :1]
        to_cam = lambda x: (x - root) @ rot.transpose(1, 2) + transl[:, None]  # noqa: E731
        return BodyOutput(vertices=to_cam(both[:, k:]), joints=to_cam(joints), landmarks=to_cam(lm))
