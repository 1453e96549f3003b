"""MediaPipe BlazePose (legacy ``mp.solutions.pose``) -> ``Observation``.

The pose landmark model ("full", model_complexity=1, by default) and the segmentation model ship
inside the mediapipe 0.10.x wheel, so nothing is downloaded.

Conventions of the Observation it returns:
- keypoints2d (33, 3) float32: x = x_norm * W - 0.5, y = y_norm * H - 0.5 (MediaPipe's normalized
  coordinates run from the left edge of the image to the right edge; our pixel centres sit at
  integer coordinates), confidence = MediaPipe's ``visibility`` (the legacy API leaves
  ``presence`` unset, so a min with it would be 0).
- landmarks3d (33, 3) float32, metres: MediaPipe's world landmarks as they are — origin at the
  hip midpoint, x right, y down, z away from the camera (parallel to the OpenCV camera frame).
- mask (H, W) float32 in [0, 1] at frame resolution (resized back when the network saw a
  smaller image).
- bbox: around the mask (>= 0.5) and the keypoints with confidence >= 0.5, clipped to the frame.
- No person: ``Observation.empty`` — not an error.

Large frames are shrunk so their longer side is at most ``max_side`` pixels before the network
(normalized outputs map back exactly; only the mask is upsampled).
"""
from __future__ import annotations

import cv2
import numpy as np

from core.errors import MissingAssetError, StudioError
from core.perception.cues import CueConfig, CueDetector
from core.types import NUM_KEYPOINTS, Frame, Observation

#: Longer side, in pixels, of the image handed to MediaPipe.
DEFAULT_MAX_SIDE = 1280

#: Keypoints at or above this confidence count as seen (bbox, drawing).
CONFIDENT = 0.5


def _load_mediapipe_pose():
    """MediaPipe's pose solution module, its graphs built and first run with the native log
    lines hidden (core.perception.quiet)."""
    from core.perception.quiet import quiet_solution, silence_native_logs

    silence_native_logs()
    try:
        from mediapipe.python.solutions import pose as mp_pose
    except ImportError as exc:
        raise MissingAssetError(
            "MediaPipe's pose solution could not be loaded (" + str(exc) + "); install the "
            "pinned wheel with 'pip install mediapipe==0.10.21' (newer 1.x wheels carry no "
            "BlazePose model).") from None
    return quiet_solution(mp_pose)


class PoseDetector:
    """One BlazePose graph. Not thread-safe: use one detector per thread.

    mode: "image" treats every call as an unrelated photo (static_image_mode=True); "video"
        tracks across consecutive frames (smoothed landmarks and mask) and starts over by itself
        when ``frame.index`` is not the previous index + 1 or the frame size changes.
    model_complexity: 0 (lite), 1 (full, default) or 2 (heavy — not shipped in the wheel).
    cues: face and hand cues (core.perception.cues.CueConfig; default: both on), or None for
        the pose alone.
    """

    def __init__(self, mode: str = "image", model_complexity: int = 1,
                 max_side: int = DEFAULT_MAX_SIDE, min_detection_confidence: float = 0.5,
                 cues: "CueConfig | None | str" = "default") -> None:
        if mode not in ("image", "video"):
            raise ValueError("mode must be 'image' or 'video'")
        if model_complexity not in (0, 1, 2):
            raise StudioError(f"Model complexity {model_complexity} does not exist; use 0 (lite) "
                              "or 1 (full).")
        self.mode = mode
        self.model_complexity = model_complexity
        self.max_side = int(max_side)
        self.min_detection_confidence = float(min_detection_confidence)
        self._mp_pose = _load_mediapipe_pose()
        self._pose = None
        self._last: tuple[int, int, int] | None = None  # (index, width, height) of the last frame
        if isinstance(cues, str):
            cues = CueConfig()
        self._cues = None if cues is None or not (cues.face or cues.hands) else \
            CueDetector(mode, cues)

    def _new_graph(self):
        video = self.mode == "video"
        try:
            return self._mp_pose.Pose(
                static_image_mode=not video, model_complexity=self.model_complexity,
                smooth_landmarks=video, enable_segmentation=True, smooth_segmentation=video,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=0.5)
        except (RuntimeError, FileNotFoundError, ValueError) as exc:
            raise MissingAssetError(
                f"The BlazePose model (complexity {self.model_complexity}) could not be loaded "
                f"({' '.join(str(exc).split())}); complexity 2 needs a download this app does "
                "not do — use 0 or 1.") from None

    def reset(self) -> None:
        """Forget tracking state; the next frame is detected from scratch."""
        if self._pose is not None:
            self._pose.close()
        self._pose = None
        self._last = None
        if self._cues is not None:
            self._cues.reset()

    def detect(self, frame: Frame) -> Observation:
        """Observation of the person in ``frame`` (image (H, W, 3) uint8 RGB)."""
        image = frame.image
        h, w = image.shape[:2]
        key = (frame.index, w, h)
        if self.mode == "video" and self._last is not None and \
                (self._last[1:] != key[1:] or self._last[0] + 1 != frame.index):
            self.reset()
        if self._pose is None:
            self._pose = self._new_graph()
        self._last = key

        scale = min(1.0, self.max_side / max(w, h))
        net_in = image if scale >= 1.0 else cv2.resize(
            image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        result = self._pose.process(np.ascontiguousarray(net_in))
        if result.pose_landmarks is None:
            return Observation.empty(frame.index, w, h)

        kp = np.array([[lm.x, lm.y, lm.visibility] for lm in result.pose_landmarks.landmark],
                      np.float32).reshape(NUM_KEYPOINTS, 3)
        kp[:, 0] = kp[:, 0] * w - 0.5
        kp[:, 1] = kp[:, 1] * h - 0.5
        kp[:, 2] = np.clip(kp[:, 2], 0.0, 1.0)
        world = np.zeros((NUM_KEYPOINTS, 3), np.float32)
        if result.pose_world_landmarks is not None:
            world[:] = [[lm.x, lm.y, lm.z] for lm in result.pose_world_landmarks.landmark]

        mask = None
        if result.segmentation_mask is not None:
            mask = np.asarray(result.segmentation_mask, np.float32)
            if mask.shape != (h, w):
                mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
            mask = np.clip(mask, 0.0, 1.0)
        obs = Observation(index=frame.index, width=w, height=h, person=True, keypoints2d=kp,
                          landmarks3d=world, mask=mask, bbox=person_bbox(kp, mask, w, h),
                          source="blazepose")
        return obs if self._cues is None else self._cues.detect(image, obs)

    def close(self) -> None:
        self.reset()

    def __enter__(self) -> "PoseDetector":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def person_bbox(keypoints2d: np.ndarray, mask: np.ndarray | None, width: int, height: int,
                min_confidence: float = CONFIDENT) -> np.ndarray:
    """(4,) float32 [x0, y0, x1, y1] pixels around mask >= 0.5 and keypoints with confidence >=
    ``min_confidence`` (all keypoints if none is), clipped to the frame."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    if mask is not None:
        rows = np.flatnonzero((mask >= 0.5).any(axis=1))
        cols = np.flatnonzero((mask >= 0.5).any(axis=0))
        if rows.size:
            xs.append(cols[[0, -1]].astype(np.float32))
            ys.append(rows[[0, -1]].astype(np.float32))
    good = keypoints2d[:, 2] >= min_confidence
    if not good.any() and not xs:
        good = np.ones(len(keypoints2d), bool)
    if good.any():
        xs.append(keypoints2d[good, 0])
        ys.append(keypoints2d[good, 1])
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    box = np.array([x.min(), y.min(), x.max(), y.max()], np.float32)
    box[[0, 2]] = np.clip(box[[0, 2]], 0, width - 1)
    box[[1, 3]] = np.clip(box[[1, 3]], 0, height - 1)
    return box
