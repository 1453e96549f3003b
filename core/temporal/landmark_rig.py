"""LandmarkRig: the body's 33 BlazePose landmarks and its joints for one fixed shape, fast.

A window fit poses one frozen-shape body for every frame of a batch on every step, so it goes
through core.fitting.frozen_shape_rig.FrozenShapeRig, which chains the 23 moving carriers
instead of Anny's 104 bones and folds the landmarks' ~8,500 support vertices onto them (exact
to float precision; about 3x cheaper forward and backward on a 27-frame batch than posing the
104 bones). This class keeps the window fit's call: landmarks and joints, and the vertex subset
only when asked.
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
        from core.fitting.frozen_shape_rig import FrozenShapeRig

        self.body = body
        self.vertex_ids = None if vertex_ids is None else torch.as_tensor(
            np.asarray(vertex_ids, np.int64), device=body.device)
        ids = self.vertex_ids if self.vertex_ids is not None else \
            torch.zeros(0, dtype=torch.int64, device=body.device)
        self._rig = FrozenShapeRig(body, shape, ids)
        self.shape = self._rig.shape

    def __call__(self, global_orient: torch.Tensor, body_pose: torch.Tensor,
                 transl: torch.Tensor, vertices: bool = False) -> tuple[torch.Tensor, ...]:
        """Pose the frozen-shape body.

        global_orient: (B, 3) axis-angle canonical -> camera. body_pose: (B, P, 3) axis-angle.
        transl: (B, 3) root position, camera frame, metres.
        returns: landmarks (B, 33, 3) and joints (B, J, 3), float32, camera frame, metres; with
            ``vertices`` (and vertex_ids given) also the (B, K, 3) vertices of ``vertex_ids``.
        """
        vertices = vertices and self.vertex_ids is not None
        lm, joints, verts = self._rig.pose(global_orient, body_pose, transl, vertices=vertices)
        return (lm, joints, verts) if vertices else (lm, joints)
