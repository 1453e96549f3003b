"""Retargeted motions on disk: one .npz per clip, written by scripts/retarget_mocap.py.

The files are made from ../shared/mocap and never committed (default folder
``.cache/mocap/anny``, git-ignored). This module owns their format: ``save_motion`` writes one,
``load_motions`` reads a folder of them back for training scripts.

Keys of each .npz (float32 unless said):
- ``body_pose`` (T, P, 3): axis-angle per pose joint, canonical axes, exactly
  BodyParams.body_pose (Anny: P = 22 in POSE_JOINTS order);
- ``global_orient`` (T, 3): axis-angle from the canonical body frame (y down, facing -z, left
  +x) into a gravity-aligned world with **y pointing down** (gravity +y) and the ground at y = 0;
- ``transl`` (T, 3): root joint (Anny: the pelvis) position in that world, metres; the soles
  touch y = 0 where the feet are on the ground;
- ``shape`` (S,): shape parameters (Anny: 6 phenotypes); ``fps`` () float;
- ``error_mm`` (T,): mean core-joint residual of the fit; ``valid`` (T,) bool: usable frames;
- ``source`` () str: the clip's path relative to ../shared/mocap; ``rig`` () str: the source
  rig mapping (core.priors.rigs); ``body`` () str: the body model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import StudioError


@dataclass
class Motion:
    """One retargeted clip (see the module docstring for every array's meaning)."""

    name: str
    source: str
    rig: str
    body: str
    fps: float
    body_pose: np.ndarray
    global_orient: np.ndarray
    transl: np.ndarray
    shape: np.ndarray
    error_mm: np.ndarray
    valid: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.body_pose.shape[0])

    def segments(self, min_length: int = 1) -> list[slice]:
        """Runs of consecutive valid frames at least ``min_length`` long."""
        out, start = [], None
        for i, ok in enumerate(np.append(self.valid, False)):
            if ok and start is None:
                start = i
            elif not ok and start is not None:
                if i - start >= min_length:
                    out.append(slice(start, i))
                start = None
        return out


def save_motion(path: str | Path, result) -> Path:
    """Write a core.priors.retarget.RetargetResult as one motion .npz; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, body_pose=result.body_pose.astype(np.float32),
             global_orient=result.global_orient.astype(np.float32),
             transl=result.transl.astype(np.float32), shape=result.shape.astype(np.float32),
             fps=np.float32(result.fps), error_mm=result.error_mm.astype(np.float32),
             valid=result.valid.astype(bool), source=np.array(result.source),
             rig=np.array(result.rig), body=np.array(result.body))
    return path


def load_motion(path: str | Path) -> Motion:
    """One motion .npz written by save_motion."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            return Motion(path.stem, str(z["source"]), str(z["rig"]), str(z["body"]),
                          float(z["fps"]), z["body_pose"], z["global_orient"], z["transl"],
                          z["shape"], z["error_mm"], z["valid"].astype(bool))
    except (OSError, KeyError, ValueError) as exc:
        raise StudioError(f"{path} is not a retargeted motion file ({exc}); rerun "
                          "scripts/retarget_mocap.py.") from exc


def load_motions(folder: str | Path = ".cache/mocap/anny", body: str | None = None) -> list[Motion]:
    """Every motion .npz in ``folder`` (sorted by name); ``body`` keeps one body model's only.

    Raises StudioError when the folder holds none, with the command that makes them."""
    folder = Path(folder)
    files = sorted(folder.glob("*.npz")) if folder.is_dir() else []
    motions = [load_motion(f) for f in files]
    if body is not None:
        motions = [m for m in motions if m.body == body]
    if not motions:
        raise StudioError(f"No retargeted motions in {folder}; make them with "
                          "`.venv/bin/python scripts/retarget_mocap.py --out " f"{folder}`.")
    return motions
