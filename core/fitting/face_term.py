"""Which way the head faces: terms from the face cue (core.perception.cues).

A visible face means the person faces the camera; a head that was looked at and showed no face
is a back view. Both are hemisphere facts, so ``facing_penalty`` only punishes bodies whose face
points the wrong way (towards the camera in a back view, away from it in a front view). The face
mesh also gives the head's orientation: the eye corners and mouth corners span a face frame whose
axes (across, down, back), in camera axes, ``face_loss`` compares with the same frame on the
body's own BlazePose landmarks (eye and mouth corners).

MediaPipe's face-mesh z is a relative depth in the same units as x, so differences of face-mesh
points are, up to one scale, directions in the camera frame (weak perspective over the face).
"""
from __future__ import annotations

import numpy as np
import torch

from core.types import Observation

#: Face-mesh points: right eye outer corner, left eye outer corner, right and left mouth corner.
MESH_EYES = (33, 263)
MESH_MOUTH = (61, 291)
#: The same spots among the 33 BlazePose points (right_eye_outer, left_eye_outer,
#: mouth_right, mouth_left).
BODY_EYES = (6, 3)
BODY_MOUTH = (10, 9)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-8)


def face_axes(points: torch.Tensor, eyes: tuple[int, int], mouth: tuple[int, int]) -> torch.Tensor:
    """(..., 3, 3) face frame of points (..., N, 3): rows across (right eye -> left eye, the
    subject's left), down (eyes -> mouth, made orthogonal to across) and back (across x down:
    from the face towards the back of the head), unit vectors in the points' axes."""
    across = _unit(points[..., eyes[1], :] - points[..., eyes[0], :])
    down = 0.5 * (points[..., mouth[0], :] + points[..., mouth[1], :]) \
        - 0.5 * (points[..., eyes[0], :] + points[..., eyes[1], :])
    down = _unit(down - (down * across).sum(-1, keepdim=True) * across)
    back = torch.linalg.cross(across, down, dim=-1)
    return torch.stack([across, down, back], -2)


def observed_face_axes(observation: Observation, dtype=torch.float32,
                       device="cpu") -> torch.Tensor | None:
    """(3, 3) face frame of the observation's face mesh in camera axes, or None without a face."""
    if observation.face is None:
        return None
    pts = torch.as_tensor(np.asarray(observation.face, np.float32), dtype=dtype, device=device)
    return face_axes(pts, MESH_EYES, MESH_MOUTH)


def face_loss(landmarks: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B,) mean (1 - cos) between the body's face axes and the observed ones.

    landmarks: (B, 33, 3) body landmarks, camera frame. target: (3, 3) observed face axes.
    """
    axes = face_axes(landmarks, BODY_EYES, BODY_MOUTH)
    return (1.0 - (axes * target).sum(-1)).mean(-1)


def toward_camera(landmarks: torch.Tensor) -> torch.Tensor:
    """(B,) cosine between where the body's face looks and the direction to the camera: +1 looking
    straight at the camera, -1 straight away. landmarks: (B, 33, 3) camera frame, metres."""
    axes = face_axes(landmarks, BODY_EYES, BODY_MOUTH)
    looks = -axes[:, 2]
    eyes = 0.5 * (landmarks[:, BODY_EYES[0]] + landmarks[:, BODY_EYES[1]])
    return (looks * _unit(-eyes)).sum(-1)


def facing_penalty(landmarks: torch.Tensor, facing: str, margin: float = 0.2) -> torch.Tensor:
    """(B,) hinge penalty of a body facing the wrong hemisphere: for "front" the face must look
    towards the camera by more than ``margin`` (a cosine), for "back" away from it; 0 for
    "unknown" or a body on the right side."""
    if facing not in ("front", "back"):
        return landmarks.new_zeros(landmarks.shape[0])
    c = toward_camera(landmarks)
    return torch.relu(margin - c) if facing == "front" else torch.relu(c + margin)


def rotation_faces(rotation: np.ndarray, facing: str) -> bool:
    """Whether a canonical -> camera rotation (3, 3) of an upright body agrees with ``facing``
    (the canonical body looks along -z): True for "unknown"."""
    if facing not in ("front", "back"):
        return True
    looks_z = float(-np.asarray(rotation)[2, 2])   # camera z of the body's forward direction
    return looks_z < 0 if facing == "front" else looks_z > 0
