"""Which files a command writes (``--formats``), and the one dispatcher fit, track, reconstruct,
optimize, batch and the GUI's export call.

Formats (``FORMATS``; what opens each in ``OPENS_IN``):

    obj   Wavefront OBJ (+ MTL + PNG) meshes: per frame for fit and track (DIR/meshes/NNNNNN.obj,
          camera frame), the surfaces of reconstruct, the avatar of optimize (avatar.obj and the
          posed frames/NNNNNN.obj)
    glb   glTF 2.0 binary: fit writes DIR/meshes/NNNNNN.glb (the body of each frame), reconstruct
          DIR/surfaces/NNNNNN.glb (vertex colours) and NNNNNN_body.glb (textured body), track
          DIR/motion.glb (the body skinned to its skeleton and animated over every frame),
          optimize DIR/avatar.glb (textured, skinned, animated over the input frames)
    bvh   BVH motion on the body model's skeleton: DIR/motion.bvh (fit, track, optimize)
    smpl  SMPL-layout parameters for SMPL / SMPL-H / SMPL-X bodies: DIR/smpl_params.npz and
          DIR/pare_output.pkl (core.export.smpl_layout; fit and track)

Defaults: ``obj`` for a photo; ``glb,bvh`` for a video or a frame folder (one animated file
instead of one mesh per frame: the 17-second taiji clip as per-frame OBJs is 708 MB), plus
``smpl`` when the body is SMPL-family; formats a command does not write are dropped from its
default. GLB and BVH are upright (Y up, facing +Z, as glTF expects) unless ``--orientation
camera``; OBJ meshes stay in the camera frame, as before. FBX is not offered: writing it needs
Autodesk's FBX SDK, which no package registry here carries.

For ``batch`` (and any command): ``add_formats_argument(parser, command)`` adds ``--formats``
and ``--orientation``; ``chosen_formats(args, command, source_kind, body_name)`` turns them into
the tuple to write (a StudioError sentence for an unknown or unsupported format).
"""
from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.errors import StudioError

from .rig import frame_runs

#: every format, in the order they are listed
FORMATS: tuple[str, ...] = ("obj", "glb", "bvh", "smpl")

#: what opens each format (the export dialog and the README say the same)
OPENS_IN: dict[str, str] = {
    "obj": "any 3D tool (Blender, Maya, MeshLab, Windows 3D Viewer); one static mesh per file",
    "glb": "Blender's glTF importer, three.js and web viewers, Unity (glTFast), Unreal (glTF "
           "importer), Windows 3D Viewer; the tracked body or avatar is rigged and animated",
    "bvh": "Blender's BVH importer, MotionBuilder, Maya, Unreal and most retargeting tools; "
           "the skeleton's motion without a mesh",
    "smpl": "your own SMPL / SMPL-X code and PARE, VIBE or TCMR scripts (smpl_params.npz, "
            "pare_output.pkl); needs an SMPL-family body",
}

#: the formats each command writes
COMMAND_FORMATS: dict[str, tuple[str, ...]] = {
    "fit": ("obj", "glb", "bvh", "smpl"),
    "track": ("obj", "glb", "bvh", "smpl"),
    "reconstruct": ("obj", "glb"),
    "optimize": ("obj", "glb", "bvh"),
}

ORIENTATIONS = ("upright", "camera")
SMPL_FAMILY = ("smpl", "smplh", "smplx")


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def default_formats(command: str, source_kind: str, body_name: str = "anny") -> tuple[str, ...]:
    """``obj`` for a photo (source kind "image"); ``glb,bvh`` for a video or folder (+ ``smpl``
    for an SMPL-family body); only what ``command`` writes (reconstruct on a video: ``glb``)."""
    wanted = ["obj"] if source_kind == "image" else ["glb", "bvh"]
    if body_name in SMPL_FAMILY:
        wanted.append("smpl")
    allowed = COMMAND_FORMATS[command]
    return tuple(f for f in wanted if f in allowed) or (allowed[0],)


def parse_formats(text: str | None, command: str, source_kind: str = "video",
                  body_name: str = "anny") -> tuple[str, ...]:
    """The formats of a ``--formats`` value ("glb,bvh"; None: ``default_formats``), in FORMATS
    order. raises: StudioError (one sentence) for an empty list, an unknown format (listing the
    known ones), one the command does not write, or ``smpl`` with a body that is not SMPL."""
    if text is None:
        return default_formats(command, source_kind, body_name)
    names = [t.strip().lower().lstrip(".") for t in str(text).split(",") if t.strip()]
    if not names:
        raise StudioError(f"--formats is empty; give one or more of {_listing(FORMATS)}, "
                          "separated by commas.")
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        fbx = " (FBX needs Autodesk's SDK, so GLB and BVH are offered instead)" \
            if "fbx" in unknown else ""
        raise StudioError(f"Unknown format '{unknown[0]}' in --formats; the known formats are "
                          f"{_listing(FORMATS)}{fbx}.")
    allowed = COMMAND_FORMATS[command]
    other = [n for n in names if n not in allowed]
    if other:
        raise StudioError(f"'{command}' does not write {other[0]}; it writes "
                          f"{_listing(allowed)}.")
    if "smpl" in names and body_name not in SMPL_FAMILY:
        raise StudioError(f"--formats smpl writes SMPL-layout parameters, which need an SMPL, "
                          f"SMPL-H or SMPL-X body (--body smpl --model-dir DIR), not "
                          f"'{body_name}'.")
    return tuple(f for f in FORMATS if f in names)


def add_formats_argument(parser: argparse.ArgumentParser, command: str) -> None:
    """Add ``--formats`` and ``--orientation`` to a command's parser (batch reads them off it)."""
    allowed = COMMAND_FORMATS[command]
    parser.add_argument(
        "--formats", default=None, metavar="LIST",
        help=f"comma-separated output formats: {', '.join(allowed)} (default: obj for a photo, "
             "glb,bvh for a video or frame folder" + (", plus smpl for SMPL bodies" if "smpl"
                                                      in allowed else "") + ")")
    parser.add_argument("--orientation", default="upright", choices=ORIENTATIONS,
                        help="frame of GLB/BVH files: upright (default: Y up, facing +Z, as "
                             "glTF expects) or camera (the fit's camera frame); OBJ meshes stay "
                             "in the camera frame")


def chosen_formats(args: argparse.Namespace, command: str, source_kind: str,
                   body_name: str = "anny") -> tuple[str, ...]:
    """``parse_formats`` of a parsed command line (``args.formats``; absent: the default)."""
    return parse_formats(getattr(args, "formats", None), command, source_kind, body_name)


# ---- the dispatcher ---------------------------------------------------------------------------
def _to_file(orientation: str, up: np.ndarray | None):
    """camera frame -> the file's frame: ``camera_to_upright`` by ``up`` for "upright"."""
    from .mesh_io import camera_to_upright

    if orientation == "upright":
        return lambda v: camera_to_upright(v, up)
    return lambda v: v


def write_frame_files(out_dir: str | Path, fit, body, formats: Iterable[str], *,
                      orientation: str = "upright", glb: bool = True,
                      up: np.ndarray | None = None) -> list[Path]:
    """The per-frame mesh files of one FrameFit: DIR/meshes/NNNNNN.obj (camera frame) when
    ``obj`` is asked for, and DIR/meshes/NNNNNN.glb (``orientation``) when ``glb`` is and
    ``glb`` is true (fit; track's GLB is the motion). up: the world's up in the camera frame
    (core.export.upright); None: read off this fit's own legs. returns: the files written."""
    from .fits import write_frame_mesh
    from .gltf import write_glb
    from .upright import fits_up

    formats = set(formats)
    written: list[Path] = []
    if fit.vertices is None:
        return written
    if "obj" in formats:
        written.append(write_frame_mesh(out_dir, fit, body))
    if glb and "glb" in formats:
        v = _to_file(orientation, fits_up([fit]) if up is None else up)(fit.vertices)
        written.append(write_glb(Path(out_dir) / "meshes" / f"{fit.index:06d}.glb", v,
                                 body.faces, name=body.name, frame=orientation))
    return written


def write_sequence_files(out_dir: str | Path, body, fits, formats: Iterable[str], *, fps: float,
                         step: int = 1, orientation: str = "upright", motion_glb: bool = True,
                         observations: dict | None = None) -> dict[str, Path]:
    """The files of a whole sequence of FrameFits: DIR/motion.glb (``glb`` and ``motion_glb``),
    DIR/motion.bvh (``bvh``), DIR/smpl_params.npz and DIR/pare_output.pkl (``smpl``).

    fits: FrameFits in any order (frames without a person hold the last pose; see
    ``motion_gaps``). fps: source frame rate; step: frames between processed frames (track's
    --every). observations: frame -> Observation for PARE's joints2d. Nothing is written when no
    frame has a fitted body. returns: name -> path of what was written.
    """
    from .rig import motion_from_fits

    formats = set(formats)
    fits = list(fits)
    out = Path(out_dir)
    written: dict[str, Path] = {}
    if not any(f.params is not None for f in fits):
        return written
    if ("glb" in formats and motion_glb) or "bvh" in formats:
        from .rig import build_rig, build_skeleton

        motion = motion_from_fits(body, fits, fps, step)
        skeleton = None
        if "glb" in formats and motion_glb:
            from .gltf import write_skinned_glb

            skeleton, skin = build_rig(body, motion)
            written["motion.glb"] = write_skinned_glb(out / "motion.glb", skeleton, skin, motion,
                                                      body.faces, orientation=orientation,
                                                      name=body.name)
        if "bvh" in formats:
            from .bvh import write_bvh

            written["motion.bvh"] = write_bvh(out / "motion.bvh",
                                              skeleton or build_skeleton(body, motion.shape),
                                              motion, orientation=orientation)
    if "smpl" in formats:
        from .smpl_layout import write_pare_output, write_smpl_params

        written["smpl_params.npz"] = write_smpl_params(out / "smpl_params.npz", body, fits)
        written["pare_output.pkl"] = write_pare_output(out / "pare_output.pkl", body, fits,
                                                       observations)
    return written


def motion_gaps(fits, step: int = 1) -> list[list[int]]:
    """[first, last] frame ranges (inclusive) of a sequence of FrameFits without a fitted body,
    which the motion files hold at the last pose (fits.json lists them as ``gaps``)."""
    present = {int(f.index) for f in fits}
    have = sorted(int(f.index) for f in fits if f.params is not None)
    if not present:
        return []
    first, last = min(present), max(present)
    fitted = set(have)
    missing = [i for i in range(first, last + 1, max(1, int(step))) if i not in fitted]
    return frame_runs(missing)


def write_surface_files(out_dir: str | Path, index: int, surface, body_mesh, formats,
                        *, orientation: str = "upright", up: np.ndarray | None = None
                        ) -> list[Path]:
    """The files of one reconstructed frame in DIR/surfaces/: NNNNNN.obj / NNNNNN.glb (the clothed
    surface, vertex colours) and NNNNNN_body.obj / NNNNNN_body.glb (the fitted body with its
    texture; ``body_mesh`` None: none). OBJ stays in the camera frame; GLB follows
    ``orientation`` (by ``up``, the world's up in the camera frame; None: a level camera).
    returns: the files written."""
    from .gltf import write_glb
    from .mesh_io import write_obj

    formats = set(formats)
    base = Path(out_dir) / "surfaces"
    written: list[Path] = []
    if "obj" in formats:
        written.append(write_obj(base / f"{index:06d}.obj", surface.vertices, surface.faces,
                                 vertex_colors=surface.vertex_colors))
        if body_mesh is not None:
            written.append(write_obj(base / f"{index:06d}_body.obj", body_mesh.vertices,
                                     body_mesh.faces, uvs=body_mesh.uvs,
                                     face_uvs=body_mesh.face_uvs, texture=body_mesh.texture))
    if "glb" in formats:
        to_file = _to_file(orientation, up)
        written.append(write_glb(base / f"{index:06d}.glb", to_file(surface.vertices),
                                 surface.faces,
                                 vertex_colors=surface.vertex_colors, name="surface",
                                 frame=orientation))
        if body_mesh is not None:
            written.append(write_glb(base / f"{index:06d}_body.glb", to_file(body_mesh.vertices),
                                     body_mesh.faces, uvs=body_mesh.uvs,
                                     face_uvs=body_mesh.face_uvs, texture=body_mesh.texture,
                                     name="body", frame=orientation))
    return written


def avatar_motion(body, avatar, fps: float):
    """The Motion of an avatar (core.subject.SubjectResult): one keyframe per used frame at its
    time in the video (``index / fps``), the avatar's refined poses and shape."""
    from .rig import Motion, local_rotations

    ids = np.array(sorted(avatar.frame_params), np.int64)
    params = [avatar.frame_params[int(i)] for i in ids]
    fps = float(fps) if fps and fps > 0 else 30.0
    return Motion(frame_ids=ids, times=(ids - ids[0]) / fps, fps=fps, params=params,
                  rotations=local_rotations(body, params),
                  translations=np.stack([p.transl for p in params]).astype(np.float64),
                  shape=np.asarray(avatar.state.shape, np.float32).reshape(-1))


def write_avatar_glb(path: str | Path, body, avatar, *, fps: float,
                     orientation: str = "upright") -> Path:
    """The avatar (core.subject.SubjectResult of ``body``) textured, skinned to the body's
    skeleton and animated over its used frames, as one .glb. returns: the path written."""
    from .gltf import write_motion_glb

    textured = avatar.texture is not None and avatar.uvs is not None
    offsets = np.asarray(avatar.state.offsets, np.float32)
    return write_motion_glb(
        path, body, avatar_motion(body, avatar, fps), orientation=orientation,
        vertex_offsets=offsets if offsets.size else None,
        vertex_ids=np.asarray(avatar.body_vertex_ids, np.int64), faces=avatar.faces,
        vertex_colors=avatar.vertex_colors, uvs=avatar.uvs if textured else None,
        face_uvs=avatar.face_uvs if textured else None,
        texture=avatar.texture if textured else None, name="avatar")


def write_avatar_files(out_dir: str | Path, body, avatar, formats, *, fps: float,
                       orientation: str = "upright") -> dict[str, Path]:
    """DIR/avatar.glb (``glb``: ``write_avatar_glb``) and DIR/motion.bvh (``bvh``: the refined
    poses on the body's skeleton) of an avatar (core.subject.SubjectResult of ``body``). The
    OBJs are core.subject.write_avatar's. returns: name -> path of what was written."""
    formats = set(formats)
    written: dict[str, Path] = {}
    if not avatar.frame_params or not ({"glb", "bvh"} & formats):
        return written
    out = Path(out_dir)
    if "glb" in formats:
        written["avatar.glb"] = write_avatar_glb(out / "avatar.glb", body, avatar, fps=fps,
                                                 orientation=orientation)
    if "bvh" in formats:
        from .bvh import write_motion_bvh

        written["motion.bvh"] = write_motion_bvh(out / "motion.bvh", body,
                                                 avatar_motion(body, avatar, fps),
                                                 orientation=orientation)
    return written


#: what each exported item can be written as (the GUI's export dialog)
ITEM_FORMATS: dict[str, tuple[str, ...]] = {"body": ("obj", "glb", "bvh", "smpl"),
                                            "surface": ("obj", "glb"),
                                            "avatar": ("obj", "glb", "bvh")}
#: the file suffix of each format
SUFFIX = {"obj": ".obj", "glb": ".glb", "bvh": ".bvh", "smpl": ".npz"}


def export_file(path: str | Path, fmt: str, what: str, body, *, fits=(), index: int | None = None,
                all_frames: bool = False, surface=None, avatar=None, fps: float = 30.0,
                orientation: str = "upright", up: np.ndarray | None = None) -> list[Path]:
    """One export of the GUI in a glTF, BVH or SMPL-layout file at ``path`` (its suffix is set).

    what: "body" (fits: the fitted FrameFits; index: the current frame, or ``all_frames``: one
    animated GLB over every fitted frame), "surface" (a core.surface.SurfaceMesh, camera frame)
    or "avatar" (a core.subject.SubjectResult: GLB skinned and animated, BVH of its poses).
    bvh and smpl always take every fitted frame. smpl writes ``path`` (.npz) and
    ``<stem>_pare.pkl`` beside it. up: the world's up in the camera frame for "upright"
    (core.export.upright); None: read off ``fits``. returns: the files written.
    raises: StudioError when there is nothing of that kind to export or the format does not
    fit the item.
    """
    from .gltf import write_glb
    from .upright import fits_up

    if fmt not in ITEM_FORMATS.get(what, ()):
        raise StudioError(f"The {what} cannot be exported as {fmt.upper()}; choose "
                          f"{_listing([f.upper() for f in ITEM_FORMATS.get(what, ())])}.")
    path = Path(path).with_suffix(SUFFIX[fmt])
    if up is None:
        up = fits_up(fits)
    to_file = _to_file(orientation, up)
    if what == "surface":
        return [write_glb(path, to_file(surface.vertices), surface.faces,
                          vertex_colors=surface.vertex_colors, uvs=surface.uvs,
                          face_uvs=surface.face_uvs, texture=surface.texture, name="surface",
                          frame=orientation)]
    if what == "avatar":
        if fmt == "glb":
            return [write_avatar_glb(path, body, avatar, fps=fps, orientation=orientation)]
        from .bvh import write_motion_bvh

        return [write_motion_bvh(path, body, avatar_motion(body, avatar, fps),
                                 orientation=orientation)]
    fitted = [f for f in fits if f.params is not None]
    if not fitted:
        raise StudioError("No frame has a fitted body yet; press Fit frame (F) first, "
                          "then export.")
    if fmt == "glb" and not all_frames:
        f = next((f for f in fitted if f.index == index), None)
        if f is None or f.vertices is None:
            raise StudioError("This frame has no fitted body yet; press Fit frame (F) first, "
                              "then export.")
        return [write_glb(path, to_file(f.vertices), body.faces, name=body.name,
                          frame=orientation)]
    if fmt == "smpl":
        from .smpl_layout import write_pare_output, write_smpl_params

        return [write_smpl_params(path, body, fitted),
                write_pare_output(path.with_name(path.stem + "_pare.pkl"), body, fitted)]
    from .rig import motion_from_fits

    motion = motion_from_fits(body, fitted, fps)
    motion.up = up
    if fmt == "glb":
        from .gltf import write_motion_glb

        return [write_motion_glb(path, body, motion, orientation=orientation)]
    from .bvh import write_motion_bvh

    return [write_motion_bvh(path, body, motion, orientation=orientation)]
