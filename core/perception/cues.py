"""Face and hand cues beside the pose: MediaPipe FaceMesh and Hands on crops the pose gives.

Holistic runs face and hand models over the whole frame and costs about four times the pose
alone; here the pose's own keypoints say where the head and the hands are, so each model sees a
small square crop around them (resized to a fixed side), which is both cheaper and finds smaller
faces and hands than a whole-frame pass. The crop follows the person, so in video mode each
model's own tracker keeps its region from frame to frame and skips its detector.

What the cues give (written into ``Observation``):
- ``face`` (478, 3): the face mesh, mapped back to frame pixels; ``face_checked``: the head was in
  the frame and large enough to look for a face. A head that was looked at and showed no face is
  a back view: the fit uses it to choose between facing the camera and facing away.
- ``left_hand`` / ``right_hand`` (21, 3): hand landmarks around the pose's wrists (a detection
  whose wrist is not near the pose's wrist is the other hand, and is dropped).

Cost: in video mode the hands run every ``hands_every`` frames and the face every
``face_every`` frames; in between, the last result is carried in crop coordinates (it moves with
the person). bench/perception.py measures the cost against the pose alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.types import Observation

#: BlazePose head points (nose, eyes, ears, mouth) that place the face crop.
HEAD_POINTS = np.arange(11)
#: Per hand: BlazePose (wrist, pinky, index, thumb) and the elbow, subject's left then right.
HAND_POINTS = {"left": (15, 17, 19, 21, 13), "right": (16, 18, 20, 22, 14)}


@dataclass
class CueConfig:
    """Which cues to look for and how.

    face, hands: look for the face mesh / the hand landmarks at all.
    face_every, hands_every: in video mode, run the model on every N-th frame and carry its last
        result (in crop coordinates) in between; photos always run every model.
    face_crop_px, hand_crop_px: side in pixels the crop is resized to before the model.
    face_crop_scale: side of the face crop in units of the head's size (the spread of the
        pose's head points, at least half the shoulder width).
    hand_crop_scale: side of a hand crop in units of the hand's size (wrist to the knuckles).
    min_head_px: a head smaller than this in the frame (pixels) is not looked at.
    min_confidence: pose points below this confidence do not place a crop; a crop needs its
        anchor points at or above it.
    """

    face: bool = True
    hands: bool = True
    face_every: int = 4
    hands_every: int = 6
    face_crop_px: int = 192
    hand_crop_px: int = 192
    face_crop_scale: float = 2.2
    hand_crop_scale: float = 3.2
    min_head_px: float = 20.0
    min_confidence: float = 0.3


@dataclass
class _Crop:
    """A square crop: frame point p maps to crop pixel (p - origin) * scale."""

    origin: np.ndarray   # (2,) frame pixels of the crop's top-left pixel centre
    scale: float         # crop pixels per frame pixel
    size: int            # crop side, pixels

    def image(self, frame: np.ndarray) -> np.ndarray:
        m = np.array([[self.scale, 0.0, -self.origin[0] * self.scale],
                      [0.0, self.scale, -self.origin[1] * self.scale]], np.float64)
        return cv2.warpAffine(frame, m, (self.size, self.size), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))

    def to_frame(self, normalized: np.ndarray) -> np.ndarray:
        """(N, 3) MediaPipe normalized crop points (x, y in [0, 1], z in x's units) -> (N, 3)
        frame pixels (z in frame pixels)."""
        p = np.asarray(normalized, np.float64) * self.size
        p[:, :2] -= 0.5                               # MediaPipe's edges -> pixel centres
        out = np.empty_like(p)
        out[:, :2] = p[:, :2] / self.scale + self.origin
        out[:, 2] = p[:, 2] / self.scale
        return out.astype(np.float32)

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        """Inverse of ``to_frame``: (N, 3) frame pixels -> normalized crop points."""
        p = np.asarray(points, np.float64)
        out = np.empty_like(p)
        out[:, :2] = ((p[:, :2] - self.origin) * self.scale + 0.5) / self.size
        out[:, 2] = p[:, 2] * self.scale / self.size
        return out


def _square(centre: np.ndarray, side: float, out_px: int) -> _Crop:
    side = max(float(side), 8.0)
    return _Crop(origin=np.asarray(centre, np.float64) - side / 2.0, scale=out_px / side,
                 size=int(out_px))


def face_crop(obs: Observation, config: CueConfig) -> _Crop | None:
    """Where to look for the face, or None when the head is not visible or too small."""
    kp = obs.keypoints2d
    good = kp[HEAD_POINTS, 2] >= config.min_confidence
    if good.sum() < 2:
        return None
    pts = kp[HEAD_POINTS][good, :2]
    spread = float(np.ptp(pts, axis=0).max())
    if min(kp[11, 2], kp[12, 2]) >= config.min_confidence:
        spread = max(spread, 0.5 * float(np.linalg.norm(kp[11, :2] - kp[12, :2])))
    if spread < config.min_head_px:
        return None
    centre = pts.mean(0)
    if not (0 <= centre[0] < obs.width and 0 <= centre[1] < obs.height):
        return None
    return _square(centre, config.face_crop_scale * spread, config.face_crop_px)


def hand_crop(obs: Observation, side: str, config: CueConfig) -> _Crop | None:
    """Where to look for one hand, or None when the pose does not see its wrist."""
    kp = obs.keypoints2d
    wrist, pinky, index, thumb, elbow = HAND_POINTS[side]
    if kp[wrist, 2] < config.min_confidence:
        return None
    tips = [i for i in (pinky, index, thumb) if kp[i, 2] >= config.min_confidence * 0.5]
    w = kp[wrist, :2]
    size = 0.0
    centre = w
    if tips:
        knuckles = kp[tips, :2].mean(0)
        size = 1.6 * float(np.linalg.norm(knuckles - w))
        centre = w + 0.6 * (knuckles - w)
    if kp[elbow, 2] >= config.min_confidence:
        size = max(size, 0.45 * float(np.linalg.norm(kp[elbow, :2] - w)))
    if size < 6.0:
        return None
    if not (0 <= centre[0] < obs.width and 0 <= centre[1] < obs.height):
        return None
    return _square(centre, config.hand_crop_scale * size, config.hand_crop_px)


def _swap(store: dict, a: str, b: str) -> None:
    """Exchange ``store[a]`` and ``store[b]``, either of which may be absent."""
    va, vb = store.pop(a, store), store.pop(b, store)     # the dict itself marks "absent"
    if vb is not store:
        store[a] = vb
    if va is not store:
        store[b] = va


class CueDetector:
    """FaceMesh + Hands on pose-placed crops. Not thread-safe: one per thread.

    mode: "image" (every call unrelated) or "video" (models track inside their crops, and run
    every ``face_every`` / ``hands_every`` frames). Models load lazily on first use.
    """

    def __init__(self, mode: str = "image", config: CueConfig | None = None) -> None:
        self.mode = mode
        self.config = config or CueConfig()
        self._face = None
        self._hands: dict[str, object] = {}
        self._count = 0
        self._carry: dict[str, np.ndarray | None] = {}   # last result, normalized crop coordinates
        self._wrists: dict[str, np.ndarray] = {}          # last frame's wrist per label, pixels

    # ---- models ----------------------------------------------------------------------------
    def _face_model(self):
        if self._face is None:
            from mediapipe.python.solutions import face_mesh

            from core.perception.quiet import quiet_graph

            self._face = quiet_graph(face_mesh.FaceMesh, static_image_mode=self.mode != "video",
                                     refine_landmarks=True, max_num_faces=1,
                                     min_detection_confidence=0.5, min_tracking_confidence=0.5)
        return self._face

    def _hand_model(self, side: str):
        if side not in self._hands:
            from mediapipe.python.solutions import hands

            from core.perception.quiet import quiet_graph

            self._hands[side] = quiet_graph(hands.Hands, static_image_mode=self.mode != "video",
                                            max_num_hands=1, model_complexity=1,
                                            min_detection_confidence=0.5,
                                            min_tracking_confidence=0.5)
        return self._hands[side]

    def reset(self) -> None:
        """Forget tracking state (a seek in a video, a new photo)."""
        self.close()
        self._count = 0
        self._carry = {}
        self._wrists = {}

    def close(self) -> None:
        for m in [self._face, *self._hands.values()]:
            if m is not None:
                m.close()
        self._face = None
        self._hands = {}

    # ---- one frame -------------------------------------------------------------------------
    def _due(self, every: int) -> bool:
        return self.mode != "video" or every <= 1 or self._count % every == 0

    def _face_points(self, image: np.ndarray, crop: _Crop) -> np.ndarray | None:
        if not self._due(self.config.face_every) and "face" in self._carry:
            last = self._carry["face"]
            return None if last is None else crop.to_frame(last)
        result = self._face_model().process(crop.image(image))
        found = result.multi_face_landmarks
        if not found:
            self._carry["face"] = None
            return None
        norm = np.array([[p.x, p.y, p.z] for p in found[0].landmark], np.float32)
        self._carry["face"] = norm
        return crop.to_frame(norm)

    def _hand_points(self, image: np.ndarray, crop: _Crop, side: str,
                     wrist_px: np.ndarray) -> np.ndarray | None:
        key = f"hand_{side}"
        if not self._due(self.config.hands_every) and key in self._carry:
            last = self._carry[key]
            return None if last is None else crop.to_frame(last)
        result = self._hand_model(side).process(crop.image(image))
        found = result.multi_hand_landmarks
        points = None
        if found:
            norm = np.array([[p.x, p.y, p.z] for p in found[0].landmark], np.float32)
            cand = crop.to_frame(norm)
            hand_size = float(np.linalg.norm(cand[9, :2] - cand[0, :2]))
            if np.linalg.norm(cand[0, :2] - wrist_px) <= max(0.8 * hand_size, 4.0):
                points = cand
        self._carry[key] = None if points is None else crop.to_crop(points)
        return points

    def _follow_hands(self, obs: Observation) -> None:
        """Keep each hand's carried reading and tracker with the physical hand when the pose's
        left/right labels swap between frames (a detector's mirror reading of someone seen from
        behind): a reading carried by label would put one hand's shape on the other wrist, and
        the hands' facing cue would then say the opposite of what the hands show."""
        kp = obs.keypoints2d
        now = {side: kp[HAND_POINTS[side][0], :2].astype(np.float64) for side in ("left", "right")
               if kp[HAND_POINTS[side][0], 2] >= self.config.min_confidence}
        last, self._wrists = self._wrists, now
        if len(now) < 2 or len(last) < 2:
            return
        left, right = now["left"], now["right"]
        same = np.linalg.norm(left - last["left"]) + np.linalg.norm(right - last["right"])
        swap = np.linalg.norm(left - last["right"]) + np.linalg.norm(right - last["left"])
        if swap >= same:
            return
        _swap(self._carry, "hand_left", "hand_right")
        _swap(self._hands, "left", "right")

    def detect(self, image: np.ndarray, obs: Observation) -> Observation:
        """``obs`` with ``face``, ``face_checked``, ``left_hand`` and ``right_hand`` filled in
        from ``image`` (H, W, 3) uint8 RGB; an observation without a person is returned as is."""
        if not obs.person:
            self._carry, self._wrists = {}, {}
            return obs
        c = self.config
        face, checked, hands = None, False, {"left": None, "right": None}
        if c.face:
            crop = face_crop(obs, c)
            if crop is not None:
                checked = True
                face = self._face_points(image, crop)
            else:
                self._carry.pop("face", None)
        if c.hands:
            if self.mode == "video":
                self._follow_hands(obs)
            for side in ("left", "right"):
                crop = hand_crop(obs, side, c)
                if crop is None:
                    self._carry.pop(f"hand_{side}", None)
                    continue
                wrist = obs.keypoints2d[HAND_POINTS[side][0], :2]
                hands[side] = self._hand_points(image, crop, side, wrist)
        self._count += 1
        obs.face, obs.face_checked = face, checked
        obs.left_hand, obs.right_hand = hands["left"], hands["right"]
        return obs
