"""BlazePose detections of every view of a Capture, detected once and cached on disk.

    dets = detect_capture(capture, cache_dir)          # detects what the cache lacks
    dets.observation(view, frame)                      # core.types.Observation (mask included)
    dets.keypoints(frame)                              # (V, 33, 3) for triangulate()
    dets.studio_camera(view)                           # the FrameSource's own camera

Detection runs as the app runs it: core.perception.detect_frames over the view's FrameSource
(tracking mode for a video; a capture of separate instants is detected photo by photo in image
mode). The cache holds each view's observations.json-style records (Observation.to_json, so
fields perception adds later travel with it) and its soft masks as uint8 at a third of the
resolution (the fits compare silhouettes at 320 px or less). A cache is reused only when the
perception code (core/perception/*.py, core/types.py) and the mediapipe version are the ones that
wrote it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.evaluation.datasets import Capture
from core.types import NUM_KEYPOINTS, Camera, Observation

#: Masks are cached at this fraction of the frame size.
MASK_SCALE = 1.0 / 3.0


def perception_version() -> str:
    """A short hash of the perception code and the mediapipe version (the cache key)."""
    import core.perception as perception

    h = hashlib.sha1()
    base = Path(perception.__file__).resolve().parent
    for p in sorted(base.glob("*.py")) + [base.parent / "types.py"]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    try:
        from importlib.metadata import version

        h.update(version("mediapipe").encode())
    except Exception:  # noqa: BLE001 - a missing wheel fails later, in the detector
        pass
    return h.hexdigest()[:12]


@dataclass
class ViewDetections:
    """One view's cached detections: records[i] is frame i's Observation.to_json(); masks (T, h, w)
    uint8 soft masks (0 where no person) at MASK_SCALE; camera: the FrameSource's camera."""

    name: str
    width: int
    height: int
    camera: Camera
    records: list[dict]
    masks: np.ndarray

    def observation(self, frame: int, mask: bool = True) -> Observation:
        rec = self.records[frame]
        m = None
        if mask and rec.get("person"):
            m = cv2.resize(self.masks[frame], (self.width, self.height),
                           interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        return Observation.from_json(rec, self.width, self.height, mask=m)


@dataclass
class CaptureDetections:
    """Detections of every view of one capture (views in the capture's order)."""

    capture: Capture
    views: list[ViewDetections]

    def observation(self, view: int, frame: int, mask: bool = True) -> Observation:
        """Frame ``frame`` of view ``view`` as perception saw it (mask at frame size if asked)."""
        return self.views[view].observation(frame, mask)

    def keypoints(self, frame: int) -> np.ndarray:
        """(V, 33, 3) float64 keypoints of every view at ``frame``; zeros where nobody was seen."""
        out = np.zeros((len(self.views), NUM_KEYPOINTS, 3))
        for i, v in enumerate(self.views):
            rec = v.records[frame]
            if rec.get("person"):
                out[i] = np.asarray(rec["keypoints2d"], np.float64).reshape(NUM_KEYPOINTS, 3)
        return out

    def studio_camera(self, view: int) -> Camera:
        """The camera the studio assumes for this view's file (no calibration)."""
        return self.views[view].camera


def _detect_view(capture: Capture, index: int, log: Callable[[str], None]) -> ViewDetections:
    from core.media import open_source
    from core.perception import PoseDetector, detect_frames

    with open_source(capture.media[index]) as src:
        detector = PoseDetector(mode="image") if capture.photos else None
        n = min(capture.frames, len(src))
        small = (max(1, round(src.width * MASK_SCALE)), max(1, round(src.height * MASK_SCALE)))
        records, masks = [], np.zeros((n, small[1], small[0]), np.uint8)
        try:
            for progress, obs in detect_frames(src, range(n), detector=detector):
                records.append(obs.to_json())
                if obs.mask is not None:
                    masks[len(records) - 1] = np.round(255.0 * cv2.resize(
                        obs.mask, small, interpolation=cv2.INTER_AREA)).astype(np.uint8)
                if progress.done % 25 == 0:
                    log(f"  detect {capture.name}/{capture.views[index].name}: "
                        f"{progress.done}/{progress.total}")
        finally:
            if detector is not None:
                detector.close()
        return ViewDetections(capture.views[index].name, src.width, src.height, src.camera,
                              records, masks)


def detect_capture(capture: Capture, cache_dir: str | Path | None,
                   log: Callable[[str], None] = print) -> CaptureDetections:
    """Detections of every view of ``capture``, from ``cache_dir/<capture>/<view>.npz`` where
    they are current, else detected now (and written there; None: no cache)."""
    version = perception_version()
    views = []
    for i, view in enumerate(capture.views):
        path = None if cache_dir is None else Path(cache_dir) / capture.name / f"{view.name}.npz"
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("version") == version and len(meta["records"]) >= capture.frames:
                    views.append(ViewDetections(view.name, meta["width"], meta["height"],
                                                Camera.from_dict(meta["camera"]),
                                                meta["records"], z["masks"]))
                    continue
        det = _detect_view(capture, i, log)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            meta = {"version": version, "width": det.width, "height": det.height,
                    "camera": det.camera.to_dict(), "records": det.records}
            np.savez_compressed(path, meta=np.array(json.dumps(meta)), masks=det.masks)
        views.append(det)
    return CaptureDetections(capture, views)


__all__ = ["CaptureDetections", "ViewDetections", "detect_capture", "perception_version",
           "MASK_SCALE"]
