"""Media input: photos, videos and frame folders behind one ``FrameSource`` interface.

    from core.media import open_source
    with open_source("clip.mp4") as src:
        print(len(src), src.fps, src.width, src.height, src.camera)
        frame = src.read(120)                  # exact random access, Frame.image (H, W, 3) uint8 RGB
        for frame in src.iter_frames(0, None, 5):  # streaming, one frame in memory
            ...
        strip = src.thumbnails(count=20, height=48)

Decisions: see source.py (frame rate, threads), image_io.py (colour formats, alpha onto black,
EXIF), folder_source.py (ordering, mixed sizes letterboxed to the first frame) and
video_source.py (exact seeking, verified frame count). For a window: frame_cache.py
(``DisplayFrames``: recently shown frames and a display proxy, so scrubbing never waits for a
seek) and display_proxy.py (the JPEG proxy and its byte budget).
"""
from __future__ import annotations

from pathlib import Path

from core.errors import MediaError
from core.media.display_proxy import DisplayProxy, ProxyBuilder, ProxyConfig
from core.media.folder_source import FolderSource
from core.media.frame_cache import (DisplayConfig, DisplayFrame, DisplayFrames, FrameCache,
                                    FrameFetcher)
from core.media.image_io import IMAGE_SUFFIXES, read_image
from core.media.image_source import ImageSource
from core.media.source import FrameSource
from core.media.video_source import VIDEO_SUFFIXES, VideoSource

__all__ = ["FrameSource", "ImageSource", "VideoSource", "FolderSource", "open_source",
           "read_image", "IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "MediaError",
           "DisplayFrames", "DisplayFrame", "DisplayConfig", "DisplayProxy", "ProxyBuilder",
           "ProxyConfig", "FrameCache", "FrameFetcher"]


def open_source(path: str | Path) -> FrameSource:
    """Open a photo, a video or a folder of frames, chosen by what ``path`` is.

    A folder -> FolderSource; a known image suffix -> ImageSource; a known video suffix ->
    VideoSource; anything else is tried as an image, then as a video.
    raises: MediaError naming the path and what to do when it cannot be read.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        return FolderSource(p)
    if not p.exists():
        raise MediaError(f"'{p}' does not exist; check the path or choose another file.")
    suffix = p.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return ImageSource(p)
    if suffix in VIDEO_SUFFIXES:
        return VideoSource(p)
    try:
        return ImageSource(p)
    except MediaError:
        pass
    try:
        return VideoSource(p)
    except MediaError:
        raise MediaError(f"'{p}' is neither an image nor a video this program can read; "
                         "open a photo (.jpg, .png, ...), a video (.mp4, .mov, ...) or a folder "
                         "of frames.") from None
