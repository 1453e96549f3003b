"""The files of an occlusion analysis (the one writer of occlusion.json):

    DIR/occlusion.json        the maps (layout below)
    DIR/heatmap_body.png      mean displacement of the joints, over the frame, with its scale
    DIR/heatmap_<joint>.png   one per joint (nose, left_shoulder, ..., right_ankle)

occlusion.json: ``frame``, ``width``, ``height``, ``patch`` and ``stride`` (px), ``grey``,
``area`` and ``person_box`` ([x0, y0, x1, y1] px), ``x`` (column centres, px) and ``y`` (row
centres, px), ``units``, ``body`` (a 2-D list [row][column] of the mean displacement, mm),
``joints`` (joint name -> such a 2-D list, mm, root-aligned 3D displacement from the unoccluded
fit), ``error2d`` (joint name -> 2-D list, px, projected joint vs the unoccluded keypoint),
``region`` (2-D list: what lies under each patch, one of REGIONS), ``lost`` (2-D list of
booleans: the person was lost), ``done`` (2-D list: the cell ran; all true unless cancelled),
``table`` (the joints most sensitive to each image region, see OcclusionResult.table),
``noise_floor_mm`` (median of ``body`` over background cells: what a patch hiding nothing of
the person moves the body by), ``reference`` (status and keypoint error of the unoccluded fit)
and ``seconds``. Values are null where the person was lost or the cell did not run.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np

from core.analysis.heatmap import heatmap_image
from core.analysis.result import REGIONS, OcclusionResult


def _grid(values: np.ndarray, digits: int = 1) -> list[list[float | None]]:
    return [[round(float(v), digits) if math.isfinite(float(v)) else None for v in row]
            for row in values]


def occlusion_record(result: OcclusionResult, input_path: str = "") -> dict:
    """The occlusion.json document of ``result``."""
    ref = result.reference
    return {
        "input": input_path,
        "frame": int(result.index),
        "width": int(result.width),
        "height": int(result.height),
        "patch": int(result.patch),
        "stride": int(result.stride),
        "grey": int(result.grey),
        "area": np.round(result.area.astype(np.float64), 1).tolist(),
        "person_box": np.round(result.person_box.astype(np.float64), 1).tolist(),
        "x": np.round(result.xs.astype(np.float64), 1).tolist(),
        "y": np.round(result.ys.astype(np.float64), 1).tolist(),
        "units": {"x": "px", "y": "px", "body": "mm", "joints": "mm", "error2d": "px"},
        "body": _grid(result.body),
        "joints": {name: _grid(result.displacement[:, :, j])
                   for j, name in enumerate(result.joints)},
        "error2d": {name: _grid(result.error2d[:, :, j]) for j, name in enumerate(result.joints)},
        "region": [[REGIONS[int(k)] for k in row] for row in result.region],
        "lost": result.lost.tolist(),
        "done": result.done.tolist(),
        "table": result.table(),
        "noise_floor_mm": None if not math.isfinite(result.noise_floor)
        else round(result.noise_floor, 1),
        "reference": {"status": ref.status,
                      "error_px": None if not math.isfinite(ref.error) else round(ref.error, 3)},
        "seconds": round(float(result.seconds), 2),
    }


def _write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        from core.errors import StudioError

        raise StudioError(f"Cannot write '{path}'; check that the folder is writable.")


def write_occlusion(out_dir: str | Path, result: OcclusionResult, image: np.ndarray,
                    input_path: str = "") -> list[Path]:
    """Write occlusion.json and the heat maps of ``result`` over ``image`` (H, W, 3) uint8 RGB
    into ``out_dir`` (created). returns: the files written, occlusion.json first."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "occlusion.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(occlusion_record(result, input_path)))
    tmp.replace(path)
    written = [path]
    for joint in (None, *result.joints):
        png = out / f"heatmap_{joint or 'body'}.png"
        _write_png(png, heatmap_image(image, result, joint))
        written.append(png)
    return written


def format_table(result: OcclusionResult) -> str:
    """The sensitivity table as plain text lines (for the CLI and the log)."""
    lines = []
    for row in result.table():
        joints = ", ".join(f"{j['joint']} {j['mm']:.0f} mm" for j in row["joints"]) or "-"
        lost = f", person lost in {row['lost']}" if row["lost"] else ""
        lines.append(f"{row['region']:>10} ({row['cells']} cells{lost}): {joints}")
    return "\n".join(lines)
