"""The calibrated real captures in ../shared/realdata (see its SOURCE.md), as ``Capture``s.

    load_capture("pose2sim_single")   4 portrait videos, 100 frames at 60 fps, one person in a
                                      balance drill
    load_capture("pose2sim_multi")    the same rig, two people
    load_capture("panoptic")          CMU Panoptic: 5 HD views x 5 instants, several people
                                      (evaluation only: never train on it)

The folder is ``$STUDIO_REALDATA`` when set, else ``<repository>/../shared/realdata``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import StudioError
from core.evaluation.multiview import CalibratedView, read_panoptic, read_qualisys

CAPTURES = ("pose2sim_single", "pose2sim_multi", "panoptic")

_PANOPTIC_VIEWS = ("00_03", "00_06", "00_12", "00_13", "00_23")


def realdata_root() -> Path:
    """The folder holding the real captures."""
    env = os.environ.get("STUDIO_REALDATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[3] / "shared" / "realdata"


@dataclass
class Capture:
    """One calibrated multi-view capture.

    name: key in CAPTURES. title: what it shows. views: one CalibratedView per camera.
    media: per view, the video file or the folder of its frames (open with core.media.open_source;
        frame i of every view is the same instant). frames: frames per view. fps: frame rate
        (0 for separate instants). photos: the frames are separate instants, not a video (detect
        each as a photo, no sequence fit). up: (3,) float64 world up direction (unit).
    licence: the data's terms, as the benchmark should state them.
    """

    name: str
    title: str
    views: list[CalibratedView]
    media: list[Path]
    frames: int
    fps: float
    photos: bool
    up: np.ndarray
    licence: str

    def view_index(self, name: str) -> int:
        names = [v.name for v in self.views]
        if name not in names:
            raise StudioError(f"Capture '{self.name}' has no view '{name}'; choose from "
                              f"{', '.join(names)}.")
        return names.index(name)


def _need(path: Path) -> Path:
    if not path.exists():
        raise StudioError(f"'{path}' is missing; the real captures live in ../shared/realdata "
                          "(or set STUDIO_REALDATA to their folder).")
    return path


def _pose2sim(name: str, folder: str, title: str, root: Path) -> Capture:
    base = _need(root / "pose2sim" / folder)
    videos = [_need(base / "videos" / f"cam0{i}.mp4") for i in range(1, 5)]
    views = read_qualisys(_need(base / "calibration" / "Calib.qca.txt"), videos)
    return Capture(name, title, views, videos, frames=100, fps=60.0, photos=False,
                   up=np.array([0.0, 0.0, 1.0]), licence="BSD-3-Clause (pose2sim)")


def load_capture(name: str, root: str | Path | None = None) -> Capture:
    """The capture ``name`` (one of CAPTURES) from ``root`` (default ``realdata_root()``).

    raises: StudioError naming the missing file or the unknown capture.
    """
    root = Path(root) if root is not None else realdata_root()
    if name == "pose2sim_single":
        return _pose2sim(name, "Demo_SinglePerson", "pose2sim Demo_SinglePerson: one person in a "
                         "balance drill (on one leg, lunging, reaching) on a treadmill's deck, "
                         "seen from the front, the sides and the back (cam04 from high above); "
                         "a second person in cam01's background", root)
    if name == "pose2sim_multi":
        return _pose2sim(name, "Demo_MultiPerson", "pose2sim Demo_MultiPerson: two people", root)
    if name == "panoptic":
        base = _need(root / "panoptic_demo")
        folders = [_need(base / v) for v in _PANOPTIC_VIEWS]
        views = read_panoptic(_need(base / "camera_parameters.json"), list(_PANOPTIC_VIEWS))
        frames = min(len(list(f.glob("*.jpg"))) for f in folders)
        # Panoptic's world has y pointing down (the floor is at y ~ 0, people at negative y).
        return Capture(name, "CMU Panoptic (mmpose demo): 5 HD views x 5 instants, several "
                       "people", views, folders, frames=frames, fps=0.0, photos=True,
                       up=np.array([0.0, -1.0, 0.0]),
                       licence="CMU Panoptic: non-commercial research, evaluation only")
    raise StudioError(f"Unknown capture '{name}'; choose one of {', '.join(CAPTURES)}.")


__all__ = ["CAPTURES", "Capture", "load_capture", "realdata_root"]
