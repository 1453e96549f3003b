"""Look at the retargeted mocap: residuals per folder and rig, where the sitting, bending,
crouching and turned-around poses are, and stick figures of chosen frames (front and side).

    nice -n 10 .venv/bin/python bench/retarget_mocap_report.py [--motions .cache/mocap/anny]
        [--png bench/_out/retarget] [--render walk=IClone-CMU-Mocap/.../002_01.bvh:20,40 ...]

Reads the .npz files and index.json of scripts/retarget_mocap.py, poses Anny with them
(core.fitting.frozen_shape_rig through core.priors.retarget.evaluate_exact) and prints:
- per folder / rig: clips, frames, valid frames, median and 95th-percentile residual (mm);
- pose categories from the body's joints (world y down): *sitting* (both thighs within 30
  degrees of horizontal, both knees bent over 60 degrees, trunk within 35 degrees of upright;
  on a seat or a ledge with the legs hanging), *crouching* (pelvis above the lower ankle under
  60 % of the clip's standing value, both knees bent over 90 degrees), *bending* (trunk over 45
  degrees from upright, pelvis above 70 %), *turned* (facing more than 135 degrees away from
  the clip's first frame): clips and frame ranges;
and writes one PNG per rendered clip: the body's skeleton (blue) over the source joints (red),
front (x-y) and side (z-y).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.body import load_body_model  # noqa: E402
from core.priors.mocap import load_clip  # noqa: E402
from core.priors.mocap_data import load_motions  # noqa: E402
from core.priors.retarget import evaluate_exact  # noqa: E402

MOCAP = ROOT.parent / "shared" / "mocap"
SOURCE_FPS = {"acLSTM_cmu/train_data_bvh/salsa/": 60.0}


def _deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.degrees(np.arccos(np.clip((a * b).sum(-1), -1, 1)))


def body_joints(body, m) -> np.ndarray:
    """(T, J, 3) world joints of a motion (Anny posed with it)."""
    import roma

    rot = roma.rotvec_to_rotmat(torch.as_tensor(m.global_orient)).numpy()
    return evaluate_exact(body, m.shape, np.zeros(0, np.int64), rot, m.transl, m.body_pose)


def categories(body, joints: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) bool masks of the pose categories (see the module docstring)."""
    j = {n: joints[:, body.joint_names.index(n)] for n in (
        "root", "neck01", "upperleg01.L", "upperleg01.R", "lowerleg01.L", "lowerleg01.R",
        "foot.L", "foot.R")}
    up = np.array([0.0, -1.0, 0.0])
    feet = np.maximum(j["foot.L"][:, 1], j["foot.R"][:, 1])           # the lower ankle
    pelvis_h = feet - j["root"][:, 1]                                 # above the lower ankle
    standing = np.percentile(pelvis_h, 90)
    trunk = _deg(j["neck01"] - j["root"], up[None])
    thigh = [np.abs(90 - _deg(j[f"lowerleg01.{s}"] - j[f"upperleg01.{s}"], up[None]))
             for s in "LR"]                           # 0 = horizontal thigh ... 90 = vertical
    knee = [180 - _deg(j[f"upperleg01.{s}"] - j[f"lowerleg01.{s}"],
                       j[f"foot.{s}"] - j[f"lowerleg01.{s}"]) for s in "LR"]
    fwd = np.cross(j["upperleg01.L"] - j["upperleg01.R"], up[None])
    yaw = np.arctan2(fwd[:, 0], fwd[:, 2])
    turned = np.degrees(np.abs((yaw - yaw[0] + np.pi) % (2 * np.pi) - np.pi)) > 135
    return {"sitting": (thigh[0] < 30) & (thigh[1] < 30) & (knee[0] > 60) & (knee[1] > 60)
            & (trunk < 35),
            "crouching": (pelvis_h < 0.6 * standing) & (knee[0] > 90) & (knee[1] > 90),
            "bending": (trunk > 45) & (pelvis_h > 0.7 * standing),
            "turned": turned}


def runs(mask: np.ndarray, min_len: int = 3) -> list[tuple[int, int]]:
    out, start = [], None
    for i, ok in enumerate(np.append(mask, False)):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= min_len:
                out.append((start, i - 1))
            start = None
    return out


def render(body, m, joints: np.ndarray, frames: list[int], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clip = None
    if (MOCAP / m.source).exists():
        fps = next((v for k, v in SOURCE_FPS.items() if m.source.startswith(k)), None)
        clip = load_clip(MOCAP / m.source, fps=m.fps, source_fps=fps)
        clip = clip if clip.num_frames == m.num_frames else None
    fig, axs = plt.subplots(2, len(frames), figsize=(2.6 * len(frames), 6.4), squeeze=False)
    for i, fr in enumerate(frames):
        for row, (a, label) in enumerate(((0, "front"), (2, "side"))):
            ax = axs[row, i]
            if clip is not None:   # the source, its hips' midpoint on the body's root height
                s = clip.positions[fr].copy()
                hips = (clip.point("hip_l")[fr] + clip.point("hip_r")[fr]) / 2
                s[:, 1] += joints[fr, 0, 1] - hips[1]
                for k, p in enumerate(clip.parents):
                    if p >= 0:
                        ax.plot([s[k, a], s[p, a]], [s[k, 1], s[p, 1]], "r-", lw=0.6, alpha=0.6)
            q = joints[fr]
            for k, p in enumerate(body.parents):
                if p >= 0:
                    ax.plot([q[k, a], q[p, a]], [q[k, 1], q[p, 1]], "b-", lw=1.2)
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_aspect("equal")
            ax.invert_yaxis()
            ax.set_title(f"{label} {fr}: {m.error_mm[fr]:.0f} mm", fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--motions", default=str(ROOT / ".cache" / "mocap" / "anny"))
    ap.add_argument("--png", default=str(ROOT / "bench" / "_out" / "retarget"))
    ap.add_argument("--render", nargs="*", default=[],
                    help="name=source:frame,frame,... clips and frames to draw")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    folder = Path(args.motions)
    index = json.loads((folder / "index.json").read_text())
    print(json.dumps(index["summary"]))
    rows: dict[tuple[str, str], list] = {}
    for e in index["clips"]:
        rows.setdefault((e["source"].split("/")[0], e["rig"]), []).append(e)
    print("| folder | rig | clips (rejected) | frames | valid | median mm | p95 mm |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (fold, rig), es in sorted(rows.items()):
        ok = [e for e in es if e["accepted"]]
        fr = sum(e["frames"] for e in ok)
        va = sum(e["valid_frames"] for e in ok)
        med = np.median([e["median_mm"] for e in ok]) if ok else float("nan")
        p95 = np.median([e["p95_mm"] for e in ok]) if ok else float("nan")
        print(f"| {fold} | {rig} | {len(ok)} ({len(es) - len(ok)}) | {fr} | {va} | {med:.1f} "
              f"| {p95:.1f} |")
    for e in index["clips"]:
        if not e["accepted"]:
            print(f"rejected: {e['source']}: {e['reason']}")

    body = load_body_model("anny", None, "cpu")
    motions = {m.source: m for m in load_motions(folder, body="anny")}
    found: dict[str, list[str]] = {k: [] for k in ("sitting", "crouching", "bending", "turned")}
    cache = {}
    for src, m in motions.items():
        joints = body_joints(body, m)
        cache[src] = joints
        for name, mask in categories(body, joints).items():
            r = runs(mask & m.valid, 3 if name != "turned" else 10)
            if r:
                n = int(sum(b - a + 1 for a, b in r))
                found[name].append(f"{src} ({n} frames: " + ", ".join(f"{a}-{b}" for a, b in r[:4])
                                   + (", ..." if len(r) > 4 else "") + ")")
    for name, items in found.items():
        print(f"\n{name}: {len(items)} clips")
        for it in items:
            print("  " + it)
    for spec in args.render:
        label, rest = spec.split("=", 1)
        src, frames = rest.rsplit(":", 1)
        m = motions[src]
        fr = [int(f) for f in frames.split(",")]
        out = Path(args.png) / f"{label}.png"
        render(body, m, cache[src], fr, out, f"{label}: {src} (blue Anny, red source)")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
