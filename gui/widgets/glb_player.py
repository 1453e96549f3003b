"""GlbPlayer: a .glb opened in the 3D viewer (layer "animation"), posed at the timeline's time.

The file is read by core.export.gltf.read_glb, which skins it from its own joints, inverse bind
matrices, weights and animation, so what plays is what Blender or three.js would play. A GLB the
studio wrote records its frame ("upright", glTF's Y up, or "camera") and its source's frame rate
and first frame; other files are taken as upright. With media open, timeline frame ``i`` shows
the file at ``(i - first_frame) / fps``; without media the timeline takes the file's own frames.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import StudioError

LAYER = "animation"


class GlbPlayer:
    """Shows one GLB on ``viewer`` (a gui.widgets.viewer3d.Viewer3D)."""

    def __init__(self, viewer) -> None:
        self.viewer = viewer
        self.glb = None
        self.path: Path | None = None
        self.first_frame = 0

    def open(self, path: str | Path) -> None:
        """Read ``path`` and show it at its first keyframe. raises: StudioError (a sentence)."""
        from core.export.gltf import read_glb

        try:
            glb = read_glb(path)
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise StudioError(f"'{Path(path).name}' could not be read as a glTF binary "
                              f"({exc}); choose a .glb file.") from exc
        self.glb, self.path = glb, Path(path)
        self.first_frame = glb.first_frame
        self.viewer.set_layer_visible(LAYER, True)
        self.show_time(float(glb.times[0]) if len(glb.times) else 0.0)
        self.viewer.view("front")

    @property
    def fps(self) -> float:
        """Keyframes per second of the file (its recorded source rate, else from its times)."""
        if self.glb is None:
            return 0.0
        if self.glb.fps > 0:
            return self.glb.fps
        t = self.glb.times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else 30.0

    @property
    def frame_count(self) -> int:
        """Frames the file spans at ``fps`` (1 for a static mesh)."""
        if self.glb is None or not self.glb.animated:
            return 1
        return int(round(self.glb.duration * self.fps)) + 1

    def show_frame(self, index: int, media_fps: float = 0.0, from_media: bool = True) -> None:
        """Pose the file at timeline frame ``index`` (media frames at ``media_fps`` when
        ``from_media``, else the file's own frames)."""
        if self.glb is None:
            return
        first = self.first_frame if from_media else 0
        fps = media_fps if from_media and media_fps > 0 else self.fps
        t0 = float(self.glb.times[0]) if len(self.glb.times) else 0.0
        self.show_time(t0 + (index - first) / max(fps, 1e-9))

    def show_time(self, t: float) -> None:
        """Pose the file at ``t`` seconds (clamped to its animation) on the viewer."""
        g = self.glb
        if g is None:
            return
        v = g.pose(float(np.clip(t, g.times[0], g.times[-1])) if len(g.times) else 0.0)
        textured = g.texture is not None and g.uvs is not None
        self.viewer.set_clothed(LAYER, v, g.faces, g.colors, g.uvs if textured else None,
                                g.faces if textured else None, g.texture if textured else None,
                                key=("glb", id(g)),
                                frame="upright" if g.frame == "upright" else "camera")

    def close(self) -> None:
        """Forget the file and clear its layer."""
        self.glb, self.path = None, None
        self.viewer.set_clothed(LAYER, None)
