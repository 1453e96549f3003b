"""Dataclasses that cross stage boundaries.

Conventions (see DESIGN.md): metres; the camera frame is OpenCV's (x right, y down, z forward);
pixel centres sit at integer coordinates and (0, 0) is the centre of the top-left pixel.
Arrays crossing a boundary are numpy; torch stays inside a stage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

#: Field of view assumed along the image's longer side when the file carries no focal length.
#: 55 degrees is close to a phone's main camera and to a normal 35 mm lens (~40 mm equivalent).
DEFAULT_FOV_DEGREES = 55.0

#: Diagonal of a 35 mm film frame (36 x 24 mm), used to turn an EXIF 35 mm-equivalent focal length
#: into pixels.
FILM_35MM_DIAGONAL_MM = 43.266615305567875


@dataclass(frozen=True)
class Camera:
    """Pinhole intrinsics of one frame source, in pixels.

    fx, fy: focal lengths in pixels. cx, cy: principal point in pixels (pixel-centre convention).
    width, height: image size in pixels. No distortion.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, fov_degrees: float = DEFAULT_FOV_DEGREES) -> "Camera":
        """Camera whose field of view along the longer image side is ``fov_degrees``."""
        f = 0.5 * max(width, height) / math.tan(math.radians(fov_degrees) / 2.0)
        return cls(f, f, (width - 1) / 2.0, (height - 1) / 2.0, int(width), int(height))

    @classmethod
    def from_focal_35mm(cls, width: int, height: int, focal_35mm: float) -> "Camera":
        """Camera from an EXIF ``FocalLengthIn35mmFilm`` value (millimetres, 35 mm equivalent)."""
        f = focal_35mm * math.hypot(width, height) / FILM_35MM_DIAGONAL_MM
        return cls(f, f, (width - 1) / 2.0, (height - 1) / 2.0, int(width), int(height))

    @property
    def K(self) -> np.ndarray:
        """(3, 3) float64 intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def project(self, points: np.ndarray) -> np.ndarray:
        """Project camera-frame points.

        points: (..., 3) float, camera frame, metres (z > 0 in front of the camera).
        returns: (..., 2) float64 pixel coordinates.
        """
        p = np.asarray(points, dtype=np.float64)
        z = np.clip(p[..., 2], 1e-6, None)
        return np.stack([self.fx * p[..., 0] / z + self.cx, self.fy * p[..., 1] / z + self.cy], -1)

    def scaled(self, factor: float) -> "Camera":
        """The same camera for an image resized by ``factor`` (pixel-centre convention kept)."""
        w, h = max(1, round(self.width * factor)), max(1, round(self.height * factor))
        return Camera(self.fx * factor, self.fy * factor, (self.cx + 0.5) * factor - 0.5,
                      (self.cy + 0.5) * factor - 0.5, w, h)

    def to_dict(self) -> dict:
        return {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
                "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, d: dict) -> "Camera":
        return cls(float(d["fx"]), float(d["fy"]), float(d["cx"]), float(d["cy"]),
                   int(d["width"]), int(d["height"]))


@dataclass
class Frame:
    """One decoded frame.

    index: frame number in its source (0-based). image: (H, W, 3) uint8 RGB, EXIF orientation
    already applied. timestamp: seconds from the start of the source (0 for a photo).
    """

    index: int
    image: np.ndarray
    timestamp: float = 0.0

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


#: Names of the 33 BlazePose keypoints, in MediaPipe's order. "left" is the subject's left.
BLAZEPOSE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
NUM_KEYPOINTS = 33

#: Bones of the skeleton drawn over frames, as pairs of BlazePose indices.
BLAZEPOSE_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (24, 26), (26, 28), (27, 29), (29, 31), (27, 31), (28, 30), (30, 32),
    (28, 32), (15, 17), (15, 19), (15, 21), (17, 19), (16, 18), (16, 20), (16, 22), (18, 20),
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
)

#: Index permutation that swaps the subject's left and right keypoints.
BLAZEPOSE_FLIP: tuple[int, ...] = (
    0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21, 24, 23,
    26, 25, 28, 27, 30, 29, 32, 31,
)


@dataclass
class Observation:
    """What perception saw of the person in one frame.

    index: frame number. width, height: frame size in pixels.
    person: False when nobody was found (then the arrays hold zeros and mask is None).
    keypoints2d: (33, 3) float32, BlazePose order, [x, y] in pixels + confidence in [0, 1].
    landmarks3d: (33, 3) float32, metric 3D landmarks in metres, origin at the hip midpoint,
        axes parallel to the camera frame (x right, y down, z away from the camera); zeros where
        the source has none (OpenPose input).
    mask: (H, W) float32 soft person mask in [0, 1] at frame resolution, or None.
    bbox: (4,) float32 [x0, y0, x1, y1] in pixels around the person (mask and keypoints).
    source: "blazepose" or "openpose".
    face: (478, 3) float32 MediaPipe face-mesh points (FaceMesh with refined eyes and lips):
        x, y in pixels (the keypoints' pixel-centre convention), z relative depth in pixels
        (MediaPipe's z times the crop scale; negative = nearer the camera, origin near the face's
        centre); None when no face was found (see ``face_checked``).
    face_checked: whether a face was looked for: the head was in the frame and large enough.
        ``face_checked and face is None`` means the head was visible but showed no face: a back
        view (or a profile turned well away).
    left_hand, right_hand: (21, 3) float32 MediaPipe hand landmarks of the subject's left and
        right hand (wrist, then four points per finger from thumb to little finger), x, y in
        pixels, z relative depth in pixels (wrist at 0, negative = nearer the camera); None when
        the hand was not found or not looked for.
    """

    index: int
    width: int
    height: int
    person: bool
    keypoints2d: np.ndarray = field(default_factory=lambda: np.zeros((NUM_KEYPOINTS, 3), np.float32))
    landmarks3d: np.ndarray = field(default_factory=lambda: np.zeros((NUM_KEYPOINTS, 3), np.float32))
    mask: np.ndarray | None = None
    bbox: np.ndarray = field(default_factory=lambda: np.zeros(4, np.float32))
    source: str = "blazepose"
    face: np.ndarray | None = None
    face_checked: bool = False
    left_hand: np.ndarray | None = None
    right_hand: np.ndarray | None = None

    @property
    def facing(self) -> str:
        """What the face cue says: "front" (a face was found), "back" (the head was looked at
        and showed no face) or "unknown" (not looked for)."""
        if self.face is not None:
            return "front"
        return "back" if self.face_checked else "unknown"

    def flipped(self) -> "Observation":
        """The observation with the subject's left and right labels swapped (keypoints, 3D
        landmarks and hands; arrays copied)."""
        flip = np.asarray(BLAZEPOSE_FLIP)
        return replace(self, keypoints2d=self.keypoints2d[flip].copy(),
                       landmarks3d=self.landmarks3d[flip].copy(), left_hand=self.right_hand,
                       right_hand=self.left_hand)

    def without_mask(self) -> "Observation":
        """A copy with copied keypoint arrays and no mask (the cues are shared, read-only)."""
        return replace(self, keypoints2d=np.array(self.keypoints2d, np.float32),
                       landmarks3d=np.array(self.landmarks3d, np.float32), mask=None)

    @classmethod
    def empty(cls, index: int, width: int, height: int, source: str = "blazepose") -> "Observation":
        """The normal result for a frame with nobody in it."""
        return cls(index=index, width=width, height=height, person=False, source=source)

    def binary_mask(self, threshold: float = 0.5) -> np.ndarray:
        """(H, W) bool person mask; all False when there is no mask."""
        if self.mask is None:
            return np.zeros((self.height, self.width), bool)
        return self.mask >= threshold

    def to_json(self) -> dict:
        """The per-frame record of observations.json (no mask: masks are written as PNG)."""
        return {
            "index": int(self.index),
            "person": bool(self.person),
            "keypoints2d": np.round(self.keypoints2d.astype(np.float64), 3).tolist(),
            "landmarks3d": np.round(self.landmarks3d.astype(np.float64), 5).tolist(),
            "bbox": np.round(self.bbox.astype(np.float64), 2).tolist(),
            "face_checked": bool(self.face_checked),
            "face": _points_json(self.face),
            "left_hand": _points_json(self.left_hand),
            "right_hand": _points_json(self.right_hand),
        }

    @classmethod
    def from_json(cls, d: dict, width: int, height: int, mask: np.ndarray | None = None,
                  source: str = "blazepose") -> "Observation":
        return cls(index=int(d["index"]), width=width, height=height, person=bool(d["person"]),
                   keypoints2d=np.asarray(d["keypoints2d"], np.float32).reshape(NUM_KEYPOINTS, 3),
                   landmarks3d=np.asarray(d["landmarks3d"], np.float32).reshape(NUM_KEYPOINTS, 3),
                   mask=mask, bbox=np.asarray(d["bbox"], np.float32).reshape(4), source=source,
                   face=_points_array(d.get("face"), 478), face_checked=bool(d.get("face_checked", False)),
                   left_hand=_points_array(d.get("left_hand"), 21),
                   right_hand=_points_array(d.get("right_hand"), 21))


def _points_json(points: np.ndarray | None) -> list | None:
    """(N, 3) points rounded to 0.01 px as nested lists, or None."""
    return None if points is None else np.round(np.asarray(points, np.float64), 2).tolist()


def _points_array(value, count: int) -> np.ndarray | None:
    """(count, 3) float32 from a JSON list, or None (also for a malformed entry)."""
    if value is None:
        return None
    a = np.asarray(value, np.float32)
    return a.reshape(count, 3) if a.size == count * 3 else None


@dataclass(frozen=True)
class Progress:
    """One step of a long job. stage: short name ("detect", "fit", ...); done/total: steps."""

    stage: str
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


@dataclass
class FrameFit:
    """The fitted body of one frame, as the GUI, the session and the exporters see it.

    index: frame number. status: "fitted", "bridged" (interpolated over a gap), "low_confidence"
        or "no_person". camera: intrinsics used by the fit.
    params: core.body.params.BodyParams (None when status is "no_person").
    vertices: (V, 3) float32 body vertices, camera frame, metres (None when no person).
    joints: (J, 3) float32 model joints, camera frame, metres.
    landmarks: (33, 3) float32 BlazePose points on the fitted body, camera frame, metres.
    error: mean confidence-weighted keypoint reprojection error in pixels (nan when unknown).
    iou: silhouette IoU between the rendered body and the person mask (nan when unknown).
    """

    index: int
    status: str
    camera: Camera
    params: "object | None" = None
    vertices: np.ndarray | None = None
    joints: np.ndarray | None = None
    landmarks: np.ndarray | None = None
    error: float = float("nan")
    iou: float = float("nan")
