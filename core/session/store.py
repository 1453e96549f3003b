"""The session file: every observation and fit of one media file, saved as one ``.npz``.

Decision: one file, ``<media>.studio.npz`` beside the media (or wherever the user chooses). It
holds a JSON document (key ``session.json``, UTF-8 bytes as a uint8 array) with everything small
and readable (media path, settings, keypoints, body parameters, errors), plus one array per
large per-frame item:

    mask/000012        (H, W) uint8 person mask, soft value * 255
    vertices/000012    (V, 3) float32 body vertices, camera frame, metres
    joints/000012      (J, 3) float32 model joints, camera frame, metres
    landmarks/000012   (33, 3) float32 BlazePose points on the body, camera frame, metres
    topology/faces     (F, 3) int64 triangles of the body model (when a fit exists)
    surface/..., avatar/...  clothed surfaces and the avatar (see meshes.py)
    occlusion/...      occlusion analyses with their per-patch fits (see occlusion.py)

One file means one atomic write: the arrays go to a temporary file in the same folder, which is
flushed, synced and then renamed over the old file (``os.replace``), so a crash or a full disk
never leaves a half-written session behind. No pickles are used (``allow_pickle=False``).
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from core.body.params import BodyParams
from core.errors import StudioError
from core.session.meshes import avatar_arrays, avatar_from, surface_arrays, surface_from
from core.session.occlusion import occlusion_arrays, occlusion_from
from core.session.session import Session
from core.types import Camera, FrameFit, Observation

#: Bumped when the file layout changes in a way old readers cannot follow.
FORMAT_VERSION = 1
SUFFIX = ".studio.npz"
_JSON_KEY = "session.json"


class SessionError(StudioError):
    """A session file could not be read or written."""


def session_path_for(media_path: str | Path) -> Path:
    """The default session file of a media file or folder: ``<media>.studio.npz`` beside it."""
    p = Path(media_path).expanduser().resolve()
    return p.with_name(p.name + SUFFIX)


def _key(kind: str, index: int) -> str:
    return f"{kind}/{index:06d}"


def _fit_to_json(fit: FrameFit) -> dict:
    return {
        "index": int(fit.index),
        "status": fit.status,
        "camera": fit.camera.to_dict(),
        "params": fit.params.to_dict() if isinstance(fit.params, BodyParams) else None,
        "error": None if not np.isfinite(fit.error) else float(fit.error),
        "iou": None if not np.isfinite(fit.iou) else float(fit.iou),
    }


def save_session(session: Session, path: str | Path | None = None) -> Path:
    """Write ``session`` atomically to ``path`` (default: its own path or the media's default).

    returns: the path written. raises: SessionError with what to do when the folder is not
        writable or the disk is full (the previous file, if any, is left untouched).
    """
    target = Path(path) if path is not None else (session.path or session_path_for(session.media_path))
    arrays: dict[str, np.ndarray] = {}
    observations = []
    for index in sorted(session.observations):
        obs = session.observations[index]
        observations.append({**obs.to_json(), "width": obs.width, "height": obs.height,
                             "source": obs.source})
        if obs.mask is not None:
            arrays[_key("mask", index)] = np.clip(obs.mask * 255.0 + 0.5, 0, 255).astype(np.uint8)
    fits = []
    for index in sorted(session.fits):
        fit = session.fits[index]
        fits.append(_fit_to_json(fit))
        for kind in ("vertices", "joints", "landmarks"):
            value = getattr(fit, kind)
            if value is not None:
                arrays[_key(kind, index)] = np.asarray(value, np.float32)
    if session.faces is not None:
        arrays["topology/faces"] = np.asarray(session.faces, np.int64)
    surfaces = []
    for index in sorted(session.surfaces):
        rec, more = surface_arrays(session.surfaces[index], index)
        surfaces.append(rec)
        arrays.update(more)
    avatar = None
    if session.avatar is not None:
        avatar, more = avatar_arrays(session.avatar)
        arrays.update(more)
    occlusion = []
    for index in sorted(session.occlusion):
        rec, more = occlusion_arrays(session.occlusion[index], index)
        occlusion.append(rec)
        arrays.update(more)
    doc = {
        "format": "human-studio session",
        "version": FORMAT_VERSION,
        "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "media_path": str(session.media_path),
        "settings": session.settings,
        "observations": observations,
        "fits": fits,
        "surfaces": surfaces,
        "avatar": avatar,
        "occlusion": occlusion,
    }
    arrays[_JSON_KEY] = np.frombuffer(json.dumps(doc).encode("utf-8"), np.uint8)

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except OSError as exc:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise SessionError(f"The session could not be saved to '{target}' ({exc.strerror or exc}); "
                           "free some disk space or choose another folder with "
                           "File > Save session as…") from exc
    session.path = target
    return target


def load_session(path: str | Path) -> Session:
    """Read a session file written by ``save_session``.

    raises: SessionError naming the file when it is missing, damaged or from a newer version.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            doc = json.loads(bytes(z[_JSON_KEY]).decode("utf-8"))
            if int(doc.get("version", 0)) > FORMAT_VERSION:
                raise SessionError(f"'{path}' was written by a newer version of the studio; "
                                   "update the program to open it.")
            session = Session(media_path=Path(doc["media_path"]), settings=dict(doc.get("settings", {})))
            if "topology/faces" in z.files:
                session.faces = z["topology/faces"].astype(np.int64)
            for rec in doc.get("observations", []):
                i = int(rec["index"])
                mkey = _key("mask", i)
                mask = z[mkey].astype(np.float32) / 255.0 if mkey in z.files else None
                session.observations[i] = Observation.from_json(
                    rec, int(rec["width"]), int(rec["height"]), mask=mask,
                    source=rec.get("source", "blazepose"))
            for rec in doc.get("fits", []):
                i = int(rec["index"])
                extra = {k: (z[_key(k, i)] if _key(k, i) in z.files else None)
                         for k in ("vertices", "joints", "landmarks")}
                session.fits[i] = FrameFit(
                    index=i, status=str(rec["status"]), camera=Camera.from_dict(rec["camera"]),
                    params=BodyParams.from_dict(rec["params"]) if rec.get("params") else None,
                    error=float("nan") if rec.get("error") is None else float(rec["error"]),
                    iou=float("nan") if rec.get("iou") is None else float(rec["iou"]),
                    **extra)
            for rec in doc.get("surfaces", []):
                surface = surface_from(rec, z)
                session.surfaces[surface.index] = surface
            if doc.get("avatar"):
                session.avatar = avatar_from(doc["avatar"], z)
            for rec in doc.get("occlusion", []):
                session.occlusion[int(rec["index"])] = occlusion_from(rec, z)
    except SessionError:
        raise
    except FileNotFoundError:
        raise SessionError(f"The session file '{path}' does not exist.") from None
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise SessionError(f"The session file '{path}' is damaged ({type(exc).__name__}: {exc}); "
                           "rename or delete it and run the steps again.") from exc
    session.path = path
    session.dirty = False
    return session
