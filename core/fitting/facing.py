"""Which way the person faces, from cues that do not depend on the detector's left/right labels.

A detector's classic failure on people seen from behind (or three-quarters) is to label them as
if they faced the camera: left and right swapped, and its 3D landmarks turned around with them.
The 2D keypoints of the two readings are mirror images, so they cannot tell which is right. What
can:
- the face: a face mesh whose eyes sit on the pose's eyes means the head faces the camera; a head
  that was looked at and showed no face counts a little towards a back view (faces can also be
  small, blurred or anonymised, so it is never decisive on its own);
- the nose against the ears in the detector's 3D landmarks (the ears' midpoint is the same
  whichever ear is called left);
- the feet: heel -> toe points where the person faces, and a camera above the ground sees toes
  that point at it lower in the image than the heels (both feet averaged: label-free; only the
  lower one when the ankles are far apart in height, the other foot being raised);
- the hands: a left and a right hand are mirror images, and the hand model reads which one it
  sees from the hand's look (its 3D points, depth included). A hand found at the detector's left
  wrist that is shaped like a right hand says the labels are swapped, so the person faces the
  other way than the labels imply.
``facing_evidence`` sums them into a score in [-1, 1] (+1: certainly facing the camera, -1:
certainly facing away, 0: unknown); ``facing_penalty`` charges a body for looking the other way,
in proportion to that certainty. The fit tries both labellings and both turns, so the labels end
up wherever the facing and the keypoints agree.

The face mesh also gives the head's orientation: the eye and mouth corners span a face frame
whose axes (across, down, back), in camera axes, ``face_loss`` compares with the same frame on the
body's own BlazePose landmarks. MediaPipe's face-mesh z is a relative depth in the same units as
x, so differences of face-mesh points are, up to one scale, directions in the camera frame.
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


def facing_penalty(landmarks: torch.Tensor, evidence: float, margin: float = 0.2) -> torch.Tensor:
    """(B,) hinge penalty of a body looking the way the evidence says it does not: with
    evidence > 0 (facing the camera) the face must look towards the camera by more than
    ``margin`` (a cosine), with evidence < 0 away from it; scaled by |evidence|, 0 at 0."""
    if abs(evidence) < 1e-6:
        return landmarks.new_zeros(landmarks.shape[0])
    c = toward_camera(landmarks)
    wrong = torch.relu(margin - c) if evidence > 0 else torch.relu(c + margin)
    return abs(float(evidence)) * wrong


#: Weights of the cues in ``facing_evidence`` (before the final clip to [-1, 1]). The nose cue
#: comes from the detector's own 3D, which turns round with its labels when it misreads a person
#: (on pose2sim it agreed with the detector's mirror readings), so it counts less than the feet.
CUE_WEIGHTS = {"face": 1.5, "no_face": 0.3, "nose": 0.3, "feet": 0.8, "hands": 0.8}
#: Scales of the cues: nose-to-ears depth (metres), heel-to-toe height (person heights), hand
#: chirality (fingertips' offset from the palm plane, in palm lengths).
NOSE_SCALE_M = 0.04
FEET_SCALE = 0.025
#: Ankles farther apart than this (in person heights, along the image's vertical): the higher
#: foot is off the ground (a raised leg, a kick, a lunge's back foot on its toes) and points
#: anywhere, so only the lower, planted one is read. On pose2sim's one-leg balance drill the
#: cue's sign goes from 94.5 to 98.6 % right (364 front and back view-frames); on its standing
#: people from 96.9 to 95.9 % (293).
RAISED_FOOT = 0.08
CHIRALITY_SCALE = 0.1


def hand_chirality(hand: np.ndarray) -> float:
    """Which hand 21 MediaPipe hand points (x, y px, z relative depth; camera axes x right, y
    down, z away) are shaped like: > 0 a right hand, < 0 a left one, near 0 a flat or edge-on
    hand. It is the fingertips' mean offset from the palm, along the palm normal
    (index base - wrist) x (little-finger base - wrist), in palm lengths: fingers curl towards
    the palm, and the normal's side of the palm swaps between a left and a right hand. Its sign
    was right for 77 % of the 412 hands found in pose2sim's drill and 88 % of the 378 in its
    two-person capture."""
    h = np.asarray(hand, np.float64)
    wrist = h[0]
    normal = np.cross(h[5] - wrist, h[17] - wrist)
    palm = h[[0, 5, 9, 13, 17]].mean(0)
    tips = h[[8, 12, 16, 20]].mean(0)
    scale = np.linalg.norm(normal) * np.linalg.norm(h[9] - wrist)
    return float((tips - palm) @ normal / scale) if scale > 1e-9 else 0.0


def hands_agree_with_labels(observation: Observation) -> float:
    """In [-1, 1]: +1 when both hands found at the detector's wrists are shaped like the hands
    its labels say they are, -1 when both look like the other hand (labels swapped), 0 without
    hands or when they disagree. One hand alone counts half: a single reading is wrong about one
    time in four (a hand holding a ball, a blurred one)."""
    votes = [side * np.tanh(hand_chirality(h) / CHIRALITY_SCALE)
             for side, h in ((-1.0, observation.left_hand), (1.0, observation.right_hand))
             if h is not None]
    return float(np.sum(votes) / 2.0)


def _face_on_pose(observation: Observation) -> bool:
    """Whether the face mesh's eyes sit on the pose's eyes (a face found on the back of a head,
    or on someone else, does not)."""
    kp, face = observation.keypoints2d, observation.face
    eyes_pose = kp[[2, 5], :2]
    if min(kp[2, 2], kp[5, 2]) < 0.3:
        return True
    eyes_mesh = np.stack([face[[362, 263], :2].mean(0), face[[33, 133], :2].mean(0)])
    span = max(float(np.linalg.norm(eyes_mesh[0] - eyes_mesh[1])), 2.0)
    d = min(np.linalg.norm(eyes_pose - eyes_mesh, axis=1).max(),
            np.linalg.norm(eyes_pose[::-1] - eyes_mesh, axis=1).max())
    return bool(d <= 0.6 * span)


def facing_cues(observation: Observation) -> dict[str, float]:
    """Each label-free facing cue of one observation in [-1, 1] (+1: faces the camera); a cue
    the observation cannot give is 0."""
    kp, lm = observation.keypoints2d, observation.landmarks3d
    cues = {"face": 0.0, "no_face": 0.0, "nose": 0.0, "feet": 0.0, "hands": 0.0}
    if observation.face is not None:
        cues["face"] = 1.0 if _face_on_pose(observation) else 0.0
    elif observation.face_checked:
        cues["no_face"] = -1.0
    if np.abs(lm).sum() > 1e-6 and min(kp[0, 2], max(kp[7, 2], kp[8, 2])) >= 0.3:
        dz = float(lm[0, 2] - 0.5 * (lm[7, 2] + lm[8, 2]))   # < 0: nose nearer the camera
        cues["nose"] = float(-np.tanh(dz / NOSE_SCALE_M))
    seen = kp[kp[:, 2] >= 0.5, :2]
    height = float(np.ptp(seen[:, 1])) if len(seen) >= 2 else 0.0
    feet = [(kp[toe, 1] - kp[heel, 1], kp[ankle, 1])
            for heel, toe, ankle in ((29, 31, 27), (30, 32, 28))
            if min(kp[heel, 2], kp[toe, 2]) >= 0.3]
    if feet and height > 0:
        if len(feet) == 2 and abs(feet[0][1] - feet[1][1]) > RAISED_FOOT * height:
            feet = [max(feet, key=lambda foot: foot[1])]          # the planted foot
        cues["feet"] = float(np.tanh(np.mean([d for d, _ in feet]) / height / FEET_SCALE))
    # the labels' own facing, confirmed or turned round by the hands' shapes
    cues["hands"] = label_facing(observation) * hands_agree_with_labels(observation)
    return cues


def facing_evidence(observation: Observation, hands: bool = True) -> float:
    """How sure the label-free cues are that the person faces the camera: in [-1, 1], +1 facing
    it, -1 facing away, 0 unknown (no person, or cues that cancel). ``hands``: count the hands
    cue (the sequence fit does not: it gained nothing there on pose2sim's drill, and one misread
    hand carried over six frames of a video turned a dribbling player a quarter round)."""
    if not observation.person:
        return 0.0
    cues = facing_cues(observation)
    if not hands:
        cues.pop("hands")
    return float(np.clip(sum(CUE_WEIGHTS[k] * v for k, v in cues.items()), -1.0, 1.0))


def label_facing(observation: Observation) -> float:
    """Which way the detector's own left/right labels say the person faces, in [-1, 1]: +1 when
    the subject's left shoulder and hip are on the image's right of the right ones (relative to
    the torso's up direction in the image: roll-proof), as for someone facing the camera; near 0
    in a side view."""
    kp = observation.keypoints2d
    if min(kp[[11, 12, 23, 24], 2]) < 0.2:
        return 0.0
    up = 0.5 * (kp[11, :2] + kp[12, :2]) - 0.5 * (kp[23, :2] + kp[24, :2])
    across = (kp[11, :2] - kp[12, :2]) + (kp[23, :2] - kp[24, :2])
    cross = float(up[0] * across[1] - up[1] * across[0])
    norm = float(np.linalg.norm(up) * np.linalg.norm(across))
    return float(np.tanh(3.0 * cross / norm)) if norm > 1e-9 else 0.0


def toward_camera_of_rotation(rotation: np.ndarray, ray: np.ndarray) -> float:
    """Cosine between where a body with canonical -> camera rotation (3, 3) looks (canonical -z)
    and the direction from the body to the camera (-ray, ray (3,) the viewing ray through the
    body)."""
    looks = -np.asarray(rotation, np.float64)[:, 2]
    r = np.asarray(ray, np.float64)
    return float(looks @ (-r / max(np.linalg.norm(r), 1e-9)))
