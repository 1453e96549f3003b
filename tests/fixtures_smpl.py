"""Small, random but valid SMPL / SMPL-H / SMPL-X files for tests (the real ones are licensed).

``write_model(folder, kind)`` writes ``folder/<kind>/<PREFIX>_NEUTRAL.npz`` (or .pkl) in the
``smplx`` package's layout: a coarse body of capsules around an SMPL-like skeleton in the T-pose
(Y up, facing +Z, the subject's left at +X, metres, 1.75 m tall), with exactly the official vertex
count (6 890 / 10 475) so that smplx.vertex_ids name the right spots (nose, eyes, ears, heels,
big toes are moved there), skinning weights from the nearest bones, a J_regressor that puts each
joint back where it was designed, smooth shape blend shapes (beta0 = size, beta1 = girth) and
small smooth pose blend shapes. smplx.create loads the files too (hand PCA = identity, 51 face
landmarks on head triangles), so tests can compare against smplx's own forward pass.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

N_VERTS = {"smpl": 6890, "smplh": 6890, "smplx": 10475}
PREFIX = {"smpl": "SMPL", "smplh": "SMPLH", "smplx": "SMPLX"}

# Left half of the body skeleton (SMPL joints 0..23), T-pose; right joints mirror x.
_BODY = {
    "pelvis": (0.0, 0.0, 0.0), "spine1": (0.0, 0.10, -0.01), "spine2": (0.0, 0.23, 0.0),
    "spine3": (0.0, 0.29, 0.01), "neck": (0.0, 0.50, -0.01), "head": (0.0, 0.58, 0.02),
    "left_hip": (0.09, -0.09, 0.0), "left_knee": (0.10, -0.50, 0.01),
    "left_ankle": (0.10, -0.90, -0.03), "left_foot": (0.11, -0.96, 0.09),
    "left_collar": (0.07, 0.42, -0.01), "left_shoulder": (0.18, 0.44, -0.02),
    "left_elbow": (0.44, 0.44, -0.03), "left_wrist": (0.69, 0.44, -0.02),
    "left_hand": (0.77, 0.44, -0.02),
}
_SMPL_ORDER = ["pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
               "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
               "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
               "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hand", "right_hand"]
_SMPL_PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21]
_FINGERS = ("index", "middle", "pinky", "ring", "thumb")  # smplx's order
# Left-hand finger joints 1..3 (T-pose, palm down, thumb forward).
_FINGER_POS = {
    "index": [(0.78, 0.44, 0.005), (0.815, 0.44, 0.005), (0.84, 0.44, 0.005)],
    "middle": [(0.78, 0.44, -0.013), (0.815, 0.44, -0.013), (0.845, 0.44, -0.013)],
    "ring": [(0.78, 0.44, -0.031), (0.81, 0.44, -0.031), (0.835, 0.44, -0.031)],
    "pinky": [(0.775, 0.44, -0.047), (0.80, 0.44, -0.047), (0.82, 0.44, -0.047)],
    "thumb": [(0.715, 0.435, 0.01), (0.745, 0.435, 0.03), (0.77, 0.435, 0.045)],
}
# Where smplx.vertex_ids' points should sit (left side; right mirrors x).
_LANDMARKS = {"nose": (0.0, 0.66, 0.10), "leye": (0.032, 0.69, 0.085), "lear": (0.085, 0.66, 0.0),
              "LHeel": (0.10, -0.96, -0.07), "LBigToe": (0.09, -0.96, 0.16)}


def _mirror(p):
    return (-p[0], p[1], p[2])


def skeleton(kind: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(names, (J, 3) float64 T-pose joint positions, (J,) parents) of ``kind``."""
    pos = dict(_BODY)
    pos.update({k.replace("left", "right"): _mirror(v) for k, v in _BODY.items() if "left" in k})
    names = list(_SMPL_ORDER[:22])
    parents = list(_SMPL_PARENTS[:22])
    if kind == "smpl":
        names += ["left_hand", "right_hand"]
        parents += [20, 21]
    else:
        if kind == "smplx":
            pos.update({"jaw": (0.0, 0.63, 0.03), "left_eye_smplhf": (0.032, 0.69, 0.06),
                        "right_eye_smplhf": (-0.032, 0.69, 0.06)})
            names += ["jaw", "left_eye_smplhf", "right_eye_smplhf"]
            parents += [15, 15, 15]
        for side, wrist in (("left", 20), ("right", 21)):
            for finger in _FINGERS:
                for k in range(3):
                    p = _FINGER_POS[finger][k]
                    pos[f"{side}_{finger}{k + 1}"] = p if side == "left" else _mirror(p)
                    parents.append(wrist if k == 0 else len(names) - 1)
                    names.append(f"{side}_{finger}{k + 1}")
    return names, np.array([pos[n] for n in names], float), np.array(parents)


def _resolution(p0, p1, r, h) -> tuple[int, int, int]:
    """(vertices around, rings per cap, segments along) of a capsule at vertex spacing ~h."""
    length = float(np.linalg.norm(np.subtract(p1, p0)))
    return (max(8, int(round(2 * np.pi * r / h))), max(2, int(round(0.5 * np.pi * r / h))),
            max(1, int(round(length / h))))


def _capsule_size(p0, p1, r, h) -> int:
    n_seg, n_cap, n_body = _resolution(p0, p1, r, h)
    return n_seg * (2 * (n_cap - 1) + n_body + 1) + 2


def _capsule(p0, p1, r, h, squash=(1.0, 1.0, 1.0)):
    """Closed capsule mesh around segment p0-p1 of radius r, vertex spacing ~h."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    axis = p1 - p0
    length = np.linalg.norm(axis)
    a = axis / length
    u = np.cross(a, [0.0, 0.0, 1.0] if abs(a[2]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    w = np.cross(a, u)
    n_seg, n_cap, n_body = _resolution(p0, p1, r, h)
    rings = []  # (centre offset along axis, radius)
    for i in range(1, n_cap):
        t = -0.5 * np.pi + 0.5 * np.pi * i / n_cap
        rings.append((r * np.sin(t), r * np.cos(t)))
    for i in range(n_body + 1):
        rings.append((length * i / n_body, r))
    for i in range(1, n_cap):
        t = 0.5 * np.pi * i / n_cap
        rings.append((length + r * np.sin(t), r * np.cos(t)))
    ang = 2 * np.pi * np.arange(n_seg) / n_seg
    sq = np.asarray(squash, float)
    verts = [p0 - a * r]
    for s, rad in rings:
        off = rad * (np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * w) * sq
        verts.extend(p0 + a * s + off)
    verts.append(p1 + a * r)
    faces = []
    n_r = len(rings)
    ring = lambda i, j: 1 + i * n_seg + (j % n_seg)  # noqa: E731
    for j in range(n_seg):
        faces.append((0, ring(0, j + 1), ring(0, j)))
        for i in range(n_r - 1):
            faces.append((ring(i, j), ring(i, j + 1), ring(i + 1, j + 1)))
            faces.append((ring(i, j), ring(i + 1, j + 1), ring(i + 1, j)))
        faces.append((len(verts) - 1, ring(n_r - 1, j), ring(n_r - 1, j + 1)))
    return np.array(verts), np.array(faces)


def _parts(pos: dict) -> list[tuple]:
    parts = [((0, -0.05, 0), (0, 0.40, 0), 0.13, (1.15, 1, 0.75)),        # torso
             ((-0.08, -0.07, 0), (0.08, -0.07, 0), 0.10, (1, 1, 0.8)),    # hips
             ((0, 0.48, -0.01), (0, 0.60, 0.0), 0.05, (1, 1, 1)),          # neck
             ((0, 0.62, 0.01), (0, 0.72, 0.01), 0.085, (1, 1, 1))]         # head
    for s in (1.0, -1.0):
        p = lambda name: np.array(_BODY[name]) * (s, 1, 1)  # noqa: E731
        parts += [(p("left_hip"), p("left_knee"), 0.07, (1, 1, 1)),
                  (p("left_knee"), p("left_ankle"), 0.05, (1, 1, 1)),
                  ((0.10 * s, -0.95, -0.06), (0.10 * s, -0.95, 0.14), 0.035, (1, 0.8, 1)),
                  (p("left_collar"), p("left_shoulder"), 0.055, (1, 1, 1)),
                  (p("left_shoulder"), p("left_elbow"), 0.045, (1, 1, 1)),
                  (p("left_elbow"), p("left_wrist"), 0.038, (1, 1, 1)),
                  (p("left_wrist"), (0.85 * s, 0.44, -0.02), 0.03, (1, 0.45, 1.4)),
                  ((0.71 * s, 0.435, 0.01), (0.775 * s, 0.435, 0.05), 0.012, (1, 1, 1))]
    return parts


def _body_mesh(n_verts: int) -> tuple[np.ndarray, np.ndarray]:
    """A capsule body with exactly n_verts vertices (a hidden bead in the pelvis pads it)."""
    parts = _parts(_BODY)

    def build(h):
        vs, fs, n = [], [], 0
        for p0, p1, r, sq in parts:
            v, f = _capsule(p0, p1, r, h, sq)
            vs.append(v)
            fs.append(f + n)
            n += len(v)
        return np.concatenate(vs), np.concatenate(fs)

    lo, hi = 0.003, 0.1  # spacing: small = many vertices
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if sum(_capsule_size(p0, p1, r, mid) for p0, p1, r, _ in parts) > n_verts - 8:
            lo = mid
        else:
            hi = mid
    v, f = build(hi)
    k = n_verts - len(v) - 2  # bead: ring of k + two apexes
    ang = 2 * np.pi * np.arange(k) / k
    bead = np.concatenate([[[0, 0.03, 0]], np.stack([0.02 * np.cos(ang), np.zeros(k),
                                                     0.02 * np.sin(ang)], 1), [[0, -0.03, 0]]])
    n0 = len(v)
    bf = [(n0, n0 + 1 + (j + 1) % k, n0 + 1 + j) for j in range(k)]
    bf += [(n0 + k + 1, n0 + 1 + j, n0 + 1 + (j + 1) % k) for j in range(k)]
    return np.concatenate([v, bead]), np.concatenate([f, np.array(bf)])


def _segment_distance(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((x - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
    return np.linalg.norm(x - (a + t[:, None] * ab), axis=1)


def build_model(kind: str = "smpl", seed: int = 0) -> dict[str, np.ndarray]:
    """The arrays of a synthetic ``kind`` model file (smplx's key names and layouts)."""
    from smplx.vertex_ids import vertex_ids

    rng = np.random.default_rng(seed)
    names, joints, parents = skeleton(kind)
    n_j = len(names)
    v, f = _body_mesh(N_VERTS[kind])

    # Move the vertices nearest the named anatomical spots to smplx's vertex ids.
    ids = vertex_ids["smplh" if kind != "smplx" else "smplx"]
    targets = dict(_LANDMARKS)
    targets.update({"reye": _mirror(targets["leye"]), "rear": _mirror(targets["lear"]),
                    "RHeel": _mirror(targets["LHeel"]), "RBigToe": _mirror(targets["LBigToe"])})
    perm = np.arange(len(v))          # new index -> old index
    where = np.arange(len(v))         # old index -> new index
    taken: set[int] = set()
    for name, target in targets.items():
        d = np.linalg.norm(v - np.asarray(target), axis=1)
        d[list(taken)] = np.inf
        old = int(np.argmin(d))
        taken.add(old)
        new, displaced = ids[name], perm[ids[name]]
        perm[new], perm[where[old]] = old, displaced
        where[displaced], where[old] = where[old], new
        taken.add(old)
    v, f = v[perm], where[f]

    # Bones: joint -> mean of its children (or a tip for leaves).
    tips = {"head": (0, 0.72, 0.01), "left_foot": (0.10, -0.96, 0.15), "jaw": (0, 0.59, 0.07),
            "left_hand": (0.85, 0.44, -0.02)}
    ends = np.empty_like(joints)
    for j, name in enumerate(names):
        kids = [c for c in range(n_j) if parents[c] == j]
        tip = tips.get(name) or (tips.get(name.replace("right", "left")) and
                                 _mirror(tips[name.replace("right", "left")]))
        if tip is not None:
            ends[j] = tip
        elif kids:
            ends[j] = joints[kids].mean(0)
        elif name[-1] == "3":
            ends[j] = joints[j] + (joints[j] - joints[parents[j]]) * 0.7
        else:
            ends[j] = joints[j]
    dist = np.stack([_segment_distance(v, joints[j], ends[j]) for j in range(n_j)], 1)
    logits = -(dist / 0.02) ** 2
    weights = np.exp(logits - logits.max(1, keepdims=True))
    weights /= weights.sum(1, keepdims=True)

    # J_regressor: non-negative weights on nearby vertices that sum to 1 and hit the joint.
    j_reg = np.zeros((n_j, len(v)))
    for j in range(n_j):
        near = np.argsort(np.linalg.norm(v - joints[j], axis=1))[:60]
        a = np.vstack([v[near].T, 10.0 * np.ones(len(near))])
        w, _ = nnls(a, np.append(joints[j], 10.0))
        j_reg[j, near] = w / w.sum()

    # Shape: beta0 scales the body (6 % per unit), beta1 moves the surface away from the bones,
    # the rest are smooth random fields of a few millimetres.
    nearest = dist.argmin(1)
    radial = np.empty_like(v)
    for j in range(n_j):
        sel = nearest == j
        a_, b_ = joints[j], ends[j]
        ab = b_ - a_
        t = np.clip(((v[sel] - a_) @ ab) / max(ab @ ab, 1e-12), 0, 1)
        radial[sel] = v[sel] - (a_ + t[:, None] * ab)
    n_shape = 20 if kind == "smplx" else 10   # SMPL-X: 10 betas + 10 expression
    shapedirs = np.zeros((len(v), 3, n_shape))
    shapedirs[:, :, 0] = 0.06 * (v - [0, -0.2, 0])
    shapedirs[:, :, 1] = 0.25 * radial
    for s in range(2, n_shape):
        freq = rng.normal(0, 4.0, (3, 3))
        phase = rng.uniform(0, 2 * np.pi, 3)
        shapedirs[:, :, s] = 0.004 * np.sin(v @ freq + phase)
    n_pose = 9 * (n_j - 1)
    posedirs = np.zeros((len(v), 3, n_pose), np.float32)
    for p in range(min(n_pose, 207)):
        freq = rng.normal(0, 3.0, 3)
        posedirs[:, :, p] = 0.003 * np.sin(v @ freq + rng.uniform(0, 2 * np.pi))[:, None]

    out = {"v_template": v.astype(np.float32), "f": f.astype(np.uint32),
           "shapedirs": shapedirs.astype(np.float32), "posedirs": posedirs,
           "J_regressor": j_reg.astype(np.float32), "weights": weights.astype(np.float32),
           "kintree_table": np.stack([np.where(parents < 0, 4294967295, parents),
                                      np.arange(n_j)]).astype(np.int64)}
    if kind in ("smplh", "smplx"):
        out.update(hands_componentsl=np.eye(45, dtype=np.float32),
                   hands_componentsr=np.eye(45, dtype=np.float32),
                   hands_meanl=np.zeros(45, np.float32), hands_meanr=np.zeros(45, np.float32))
    if kind == "smplx":
        head = np.nonzero(v[f].mean(1)[:, 1] > 0.62)[0]
        out.update(lmk_faces_idx=rng.choice(head, 51, replace=False).astype(np.int64),
                   lmk_bary_coords=np.full((51, 3), 1.0 / 3.0, np.float32))
    return out


def write_model(folder: str | Path, kind: str = "smpl", gender: str = "neutral", fmt: str = "npz",
                seed: int = 0, subfolder: bool = True) -> Path:
    """Write a synthetic model file in smplx's layout and return its path.

    folder/<kind>/<PREFIX>_<GENDER>.<fmt> (or folder/<PREFIX>_<GENDER>.<fmt> without subfolder);
    fmt "npz" or "pkl" (a plain pickle of numpy arrays, as smplx.create reads SMPL).
    """
    target = Path(folder) / kind if subfolder else Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{PREFIX[kind]}_{gender.upper()}.{fmt}"
    arrays = build_model(kind, seed)
    if fmt == "npz":
        np.savez(path, **arrays)
    else:
        with open(path, "wb") as fh:
            pickle.dump(arrays, fh, protocol=2)
    return path
