"""The one interface every body model implements (Anny by default, SMPL family when licensed).

Frames: a body model outputs its mesh in the **camera frame** (OpenCV: x right, y down,
z forward; metres). Every model first maps its own rest frame into a shared *canonical body
frame* that is upright and faces the camera: y down (head at -y), body facing -z, the subject's
left side at +x. ``global_orient`` rotates the canonical frame into the camera frame about the
root joint, and ``transl`` is the root joint's position in the camera frame:

    x_camera = R(global_orient) @ (x_canonical - root_canonical) + transl
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
import torch

from .params import BodyParams, stack_shapes


@dataclass
class BodyOutput:
    """Result of BodyModel.forward (torch, batched, differentiable).

    vertices: (B, V, 3) float32, camera frame, metres (only the requested vertices when the
        call passed ``vertex_ids``).
    joints: (B, J, 3) float32 joint centres, camera frame, metres (J = len(joint_names)).
    landmarks: (B, 33, 3) float32 BlazePose points on the body, camera frame, metres.
    """

    vertices: torch.Tensor
    joints: torch.Tensor
    landmarks: torch.Tensor


class BodyModel(abc.ABC):
    """A differentiable parametric body. Subclasses fill the attributes below in __init__.

    name: "anny", "smpl", "smplh" or "smplx".
    faces: (F, 3) int64 numpy triangle indices.
    joint_names: names of the J joints returned in BodyOutput.joints; parents: (J,) int, -1 root.
    pose_joint_names: the P joints that ``body_pose`` rotates, in order.
    shape_names: the S shape parameters, in order.
    shape_bounds: (S, 2) float32 [low, high] of each shape parameter, or None when unbounded.
    landmark_weights: (33,) float32 reliability in [0, 1] of each BlazePose landmark on this
        body (multiply with the detector's confidence).
    uvs, face_uvs: optional (T, 2) float32 texture coordinates (v up) and (F, 3) int64 per-corner
        indices into ``uvs``; None when the model has no UV layout.
    """

    name: str
    faces: np.ndarray
    joint_names: list[str]
    parents: np.ndarray
    pose_joint_names: list[str]
    shape_names: list[str]
    shape_bounds: np.ndarray | None
    landmark_weights: np.ndarray
    uvs: np.ndarray | None = None
    face_uvs: np.ndarray | None = None

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.dtype = torch.float32

    # ---- sizes -------------------------------------------------------------------------------
    @property
    def num_vertices(self) -> int:
        return int(self.faces.max()) + 1

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def num_pose_joints(self) -> int:
        return len(self.pose_joint_names)

    @property
    def shape_dim(self) -> int:
        return len(self.shape_names)

    @property
    def faces_t(self) -> torch.Tensor:
        """(F, 3) int64 faces on the model's device."""
        cached = getattr(self, "_faces_t", None)
        if cached is None or cached.device != self.device:
            cached = torch.as_tensor(self.faces, dtype=torch.int64, device=self.device)
            self._faces_t = cached
        return cached

    # ---- parameters --------------------------------------------------------------------------
    @abc.abstractmethod
    def mean_shape(self) -> np.ndarray:
        """(S,) float32 the model's average adult (rest bodies, synthetic data, priors)."""

    def fit_shape(self) -> np.ndarray:
        """(S,) or (S + k,) float32 the shape the fits of a person start from (the single-frame
        fit also centres its shape prior on it): the model's average adult unless the model
        says otherwise (Anny's is chosen on real people's detected proportions and carries a
        stature scale as a 7th column, which the fits keep: FreeShape)."""
        return self.mean_shape()

    def default_params(self, transl=(0.0, 0.0, 3.0)) -> BodyParams:
        """An average adult in the rest pose, upright, facing the camera, root at ``transl``."""
        return BodyParams(self.name, np.zeros(3), np.zeros((self.num_pose_joints, 3)),
                          self.mean_shape(), np.asarray(transl, np.float32))

    @abc.abstractmethod
    def shape_prior(self, shape: torch.Tensor, centre: np.ndarray | None = None) -> torch.Tensor:
        """(B,) negative log prior of shapes (B, S); 0 at ``centre`` (S,) (default: the model's
        average adult, ``mean_shape``), ~1 per std away."""

    @abc.abstractmethod
    def pose_prior(self, body_pose: torch.Tensor) -> torch.Tensor:
        """(B,) penalty of body poses (B, P, 3): joint limits and implausible angles, 0 inside."""

    # ---- evaluation --------------------------------------------------------------------------
    @abc.abstractmethod
    def forward(self, global_orient: torch.Tensor, body_pose: torch.Tensor, shape: torch.Tensor,
                transl: torch.Tensor, *, vertex_ids: torch.Tensor | None = None,
                vertex_offsets: torch.Tensor | None = None,
                extras: dict[str, torch.Tensor] | None = None) -> BodyOutput:
        """Pose the body.

        global_orient: (B, 3) axis-angle, canonical -> camera rotation about the root.
        body_pose: (B, P, 3) axis-angle per pose joint. shape: (B, S). transl: (B, 3) root
        position in the camera frame, metres. Batches of 1 broadcast.
        vertex_ids: (K,) int64, return only these vertices (cheaper; landmarks stay exact).
        vertex_offsets: (B, V, 3) displacements added to the rest mesh before skinning, in the
            canonical frame, metres (clothing offsets, SMPL+D style).
        extras: model-specific tensors (SMPL-X hands/jaw/expression), batch-first.
        """

    def __call__(self, *args, **kwargs) -> BodyOutput:
        return self.forward(*args, **kwargs)

    def rest_vertices(self, shape: torch.Tensor) -> torch.Tensor:
        """(B, V, 3) shaped mesh in the rest pose, canonical frame, root at the origin."""
        b = shape.shape[0]
        z = torch.zeros(b, 3, dtype=self.dtype, device=self.device)
        pose = torch.zeros(b, self.num_pose_joints, 3, dtype=self.dtype, device=self.device)
        return self.forward(z, pose, shape, z).vertices

    @abc.abstractmethod
    def skinning_weights(self) -> torch.Tensor:
        """(V, J) float32 linear-blend skinning weights over ``joint_names``."""

    # ---- numpy convenience --------------------------------------------------------------------
    def tensors(self, params: BodyParams | list[BodyParams]) -> dict[str, torch.Tensor]:
        """Batched tensors (B first) on the model's device from one or more BodyParams."""
        plist = [params] if isinstance(params, BodyParams) else list(params)
        t = lambda xs: torch.as_tensor(np.stack(xs), dtype=self.dtype, device=self.device)  # noqa: E731
        out = {"global_orient": t([p.global_orient for p in plist]),
               "body_pose": t([p.body_pose for p in plist]),
               "shape": t(stack_shapes([p.shape for p in plist])),
               "transl": t([p.transl for p in plist])}
        keys = set().union(*(p.extras for p in plist)) if plist else set()
        extras = {k: t([p.extras[k] for p in plist]) for k in keys if all(k in p.extras for p in plist)}
        if extras:
            out["extras"] = extras
        return out

    @torch.no_grad()
    def evaluate(self, params: BodyParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vertices (V,3), joints (J,3), landmarks (33,3)) float32 numpy, camera frame, metres."""
        out = self.forward(**self.tensors(params))
        return (out.vertices[0].cpu().numpy(), out.joints[0].cpu().numpy(),
                out.landmarks[0].cpu().numpy())


class FreeShape:
    """A shape vector as optimisation variables: ``free`` (1, S) are logits where the model
    bounds its S parameters (Anny's phenotypes in [0, 1]), the parameters themselves otherwise;
    columns past the model's own (Anny's stature scale) stay as given: one view, or one video
    of one person, cannot see the person's size.

    shape0: (S,) or (S + k,). margin: how near a bound a logit may start (0.02: 2 % in).
    """

    def __init__(self, body: BodyModel, shape0, margin: float = 0.02) -> None:
        dev, dt = body.device, body.dtype
        self.margin = margin
        self.n = body.shape_dim
        self.bounds = None
        if body.shape_bounds is not None:
            b = torch.as_tensor(body.shape_bounds, dtype=dt, device=dev)
            self.bounds = (b[:, 0], b[:, 1] - b[:, 0])
        s0 = torch.as_tensor(np.asarray(shape0, np.float32), dtype=dt, device=dev).reshape(1, -1)
        self.fixed = s0[:, self.n:].clone()
        self.free = self._free(s0[:, :self.n]).requires_grad_(True)

    def _free(self, s: torch.Tensor) -> torch.Tensor:
        if self.bounds is None:
            return s.clone()
        u = ((s - self.bounds[0]) / self.bounds[1]).clamp(self.margin, 1 - self.margin)
        return torch.log(u / (1 - u))

    @torch.no_grad()
    def set(self, shape) -> None:
        """Take the values of ``shape`` (S,) or (S + k,) (the fixed columns too)."""
        s = torch.as_tensor(np.asarray(shape, np.float32), dtype=self.free.dtype,
                            device=self.free.device).reshape(1, -1)
        self.free.copy_(self._free(s[:, :self.n]))
        self.fixed = s[:, self.n:].clone()

    def value(self) -> torch.Tensor:
        """(1, S + k) the shape."""
        s = self.free if self.bounds is None else \
            self.bounds[0] + self.bounds[1] * torch.sigmoid(self.free)
        return torch.cat([s, self.fixed], 1) if self.fixed.shape[1] else s

