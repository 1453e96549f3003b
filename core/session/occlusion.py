"""Session file records of occlusion analyses (core.analysis), one per analysed frame, with the
fit of every patch so reopening the session shows the maps and each patch's body again.

Arrays go into the session's ``.npz`` under ``occlusion/000012/<name>``:

    displacement, error2d   (R, C, J) float32 mm / px (nan where lost or not run)
    lost, done              (R, C) uint8 flags;  region (R, C) int8 into core.analysis.REGIONS
    keypoints               (R, C, 33, 3) float32 perception under each patch
    xs, ys, area, person_box, reference_keypoints   the grid and the unoccluded detection
    reference/vertices, reference/joints, reference/landmarks    the unoccluded fit
    fit/cells (N, 2) int64 and fit/vertices (N, V, 3), fit/joints (N, J, 3), fit/landmarks
        (N, 33, 3) float32 of the N patches that have a body (camera frame, metres)

The JSON record keeps the sizes, the joint names and each fit's status, parameters and errors.
Sessions written before these records existed simply have none (they load unchanged).
"""
from __future__ import annotations

import numpy as np

from core.body.params import BodyParams
from core.types import Camera, FrameFit

_GRID = ("displacement", "error2d", "keypoints", "region", "xs", "ys", "area", "person_box",
         "reference_keypoints")
_FLAGS = ("lost", "done")
_BODY = ("vertices", "joints", "landmarks")


def _fit_json(fit: FrameFit) -> dict:
    fin = lambda x: float(x) if np.isfinite(x) else None  # noqa: E731
    return {"status": fit.status, "error": fin(fit.error), "iou": fin(fit.iou),
            "params": fit.params.to_dict() if isinstance(fit.params, BodyParams) else None}


def _fit_from(rec: dict, index: int, camera: Camera, **arrays) -> FrameFit:
    nan = lambda x: float("nan") if x is None else float(x)  # noqa: E731
    return FrameFit(index=index, status=str(rec["status"]), camera=camera,
                    params=BodyParams.from_dict(rec["params"]) if rec.get("params") else None,
                    error=nan(rec.get("error")), iou=nan(rec.get("iou")), **arrays)


def occlusion_arrays(result, index: int) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON record, arrays) of one core.analysis.OcclusionResult."""
    base = f"occlusion/{index:06d}/"
    arrays = {base + n: np.asarray(getattr(result, n)) for n in _GRID}
    arrays.update({base + n: np.asarray(getattr(result, n), np.uint8) for n in _FLAGS})
    ref = result.reference
    for n in _BODY:
        if getattr(ref, n) is not None:
            arrays[base + "reference/" + n] = np.asarray(getattr(ref, n), np.float32)
    cells = sorted(k for k, f in result.fits.items() if f.vertices is not None)
    records = [{"cell": [int(r), int(c)], **_fit_json(result.fits[(r, c)])}
               for r, c in sorted(result.fits)]
    if cells:
        arrays[base + "fit/cells"] = np.asarray(cells, np.int64)
        for n in _BODY:
            arrays[base + "fit/" + n] = np.stack([np.asarray(getattr(result.fits[k], n), np.float32)
                                                  for k in cells])
    rec = {"index": int(index), "width": int(result.width), "height": int(result.height),
           "patch": int(result.patch), "stride": int(result.stride), "grey": int(result.grey),
           "joints": list(result.joints), "seconds": float(result.seconds),
           "camera": ref.camera.to_dict(), "reference": _fit_json(ref), "fits": records}
    return rec, arrays


def occlusion_from(rec: dict, z) -> object:
    """The OcclusionResult of a JSON record and the open npz ``z``."""
    from core.analysis.result import OcclusionResult

    i = int(rec["index"])
    base = f"occlusion/{i:06d}/"
    camera = Camera.from_dict(rec["camera"])
    ref = _fit_from(rec["reference"], i, camera,
                    **{n: z[base + "reference/" + n] if base + "reference/" + n in z.files
                       else None for n in _BODY})
    bodies = {}
    if base + "fit/cells" in z.files:
        stacked = {n: z[base + "fit/" + n] for n in _BODY}
        for k, (r, c) in enumerate(z[base + "fit/cells"]):
            bodies[(int(r), int(c))] = {n: stacked[n][k] for n in _BODY}
    fits = {}
    for f in rec.get("fits", []):
        cell = (int(f["cell"][0]), int(f["cell"][1]))
        fits[cell] = _fit_from(f, i, camera, **bodies.get(cell, {}))
    grid = {n: z[base + n] for n in _GRID}
    flags = {n: z[base + n].astype(bool) for n in _FLAGS}
    return OcclusionResult(index=i, width=int(rec["width"]), height=int(rec["height"]),
                           patch=int(rec["patch"]), stride=int(rec["stride"]),
                           grey=int(rec["grey"]), joints=tuple(rec["joints"]), reference=ref,
                           fits=fits, seconds=float(rec.get("seconds", 0.0)), **grid, **flags)
