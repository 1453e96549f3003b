"""BVH motion files of a tracked body on the body model's own skeleton (core.export.rig).

HIERARCHY: every joint of the model (humanoid names where they exist, see rig.humanoid_names),
offsets from the fitted shape's bind pose in metres (Blender's BVH importer reads them at scale
1 as metres); the root has position and rotation channels, the others rotation channels only;
a leaf ends in an ``End Site`` a short way along its bone. MOTION: one frame per keyframe of the
Motion (frames without a person hold the last pose), ``Frame Time`` = 1 / fps of the source
(``frame_time``). The
root's position channels are the root joint's absolute position (its OFFSET is zero), so
``offset + position`` is where the root is, as BVH readers compute it.

Rotations are each joint's local rotation in the file's axes (upright: Y up, facing +Z; or the
camera frame), written as Euler angles in degrees in the channel order ``Zrotation Xrotation
Yrotation``, i.e. R = Rz(z) @ Rx(x) @ Ry(y) (intrinsic, the order of the CMU and most BVH files).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .rig import Motion, Skeleton, forward_kinematics, frame_matrix, world_matrix

#: Euler order of the rotation channels (scipy's intrinsic upper-case convention).
EULER = "ZXY"
_CHANNELS = {"Z": "Zrotation", "X": "Xrotation", "Y": "Yrotation"}
#: Length of an End Site past a leaf joint, metres (only drawn by viewers).
END_SITE = 0.05


def _euler_degrees(rotations: np.ndarray) -> np.ndarray:
    """(..., 3) Euler angles in degrees (EULER order) of (..., 3, 3) rotations."""
    from scipy.spatial.transform import Rotation

    r = rotations.reshape(-1, 3, 3)
    e = Rotation.from_matrix(r).as_euler(EULER, degrees=True)
    return e.reshape(rotations.shape[:-2] + (3,))


def _unwrap(angles: np.ndarray) -> np.ndarray:
    """Remove 360-degree jumps between consecutive frames (N, ..., 3), so interpolating readers
    do not spin a joint the long way round."""
    return np.rad2deg(np.unwrap(np.deg2rad(angles), axis=0))


def frame_time(motion: Motion) -> float:
    """Seconds between BVH frames: the keyframes' median spacing (1 / fps for a whole video;
    an avatar's evenly spread frames keep their real spacing), 1 / fps for one frame."""
    if motion.num_frames > 1:
        return float(np.median(np.diff(motion.times)))
    return 1.0 / (motion.fps if motion.fps > 0 else 30.0)


def write_bvh(path: str | Path, skeleton: Skeleton, motion: Motion, *,
              orientation: str = "upright") -> Path:
    """Write ``motion`` on ``skeleton`` as a BVH file; returns the path written.

    orientation: "upright" (Y up, facing +Z) or "camera" (the fit's camera frame).
    """
    F, W = frame_matrix(orientation), world_matrix(orientation, motion.up)
    J = skeleton.num_joints
    offsets = skeleton.offsets @ F.T
    parents = skeleton.parents
    children: list[list[int]] = [[] for _ in range(J)]
    for j, p in enumerate(parents):
        if p >= 0:
            children[p].append(j)
    channels = " ".join(_CHANNELS[a] for a in EULER)
    order: list[int] = []
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        order.append(j)
        head = "ROOT" if parents[j] < 0 else "JOINT"
        off = np.zeros(3) if parents[j] < 0 else offsets[j]
        lines.append(f"{pad}{head} {skeleton.names[j]}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {off[0]:.6f} {off[1]:.6f} {off[2]:.6f}")
        if parents[j] < 0:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition {channels}")
        else:
            lines.append(f"{pad}  CHANNELS 3 {channels}")
        for c in children[j]:
            emit(c, depth + 1)
        if not children[j]:
            d = offsets[j] if parents[j] >= 0 else np.array([0.0, 1.0, 0.0])
            n = np.linalg.norm(d)
            end = d / n * END_SITE if n > 1e-9 else np.array([0.0, END_SITE, 0.0])
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET {end[0]:.6f} {end[1]:.6f} {end[2]:.6f}")
            lines.append(f"{pad}  }}")
        lines.append(f"{pad}}}")

    for root in [j for j in range(J) if parents[j] < 0]:
        emit(root, 0)
    n = motion.num_frames
    rot = F @ motion.rotations[:, order] @ F.T                               # (N, J, 3, 3)
    for k, j in enumerate(order):                       # the roots move in the world
        if parents[j] < 0:
            rot[:, k] = W @ motion.rotations[:, j] @ F.T
    angles = _unwrap(_euler_degrees(rot))                                    # (N, J, 3)
    position = motion.translations @ W.T                                     # (N, 3)
    values = np.concatenate([position[:, None], angles], 1).reshape(n, -1)
    lines += ["MOTION", f"Frames: {n}", f"Frame Time: {frame_time(motion):.8f}"]
    row = " ".join(["%.6f"] * values.shape[1]) + "\n"
    body = (row * n) % tuple(values.ravel().tolist()) if n else ""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="ascii", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
        fh.write(body)
    tmp.replace(path)
    return path


def write_motion_bvh(path: str | Path, body, motion: Motion, *,
                     orientation: str = "upright") -> Path:
    """``write_bvh`` on the skeleton of ``body`` with the motion's shape."""
    from .rig import build_skeleton

    return write_bvh(path, build_skeleton(body, motion.shape), motion, orientation=orientation)


def joint_positions(skeleton: Skeleton, motion: Motion, orientation: str = "upright"
                    ) -> np.ndarray:
    """(N, J, 3) float64 joint positions the BVH encodes, in its frame (for checks)."""
    _, pos = forward_kinematics(skeleton, motion.rotations, motion.translations)
    return pos @ world_matrix(orientation, motion.up).T
