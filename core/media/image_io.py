"""Decode one image file into 8-bit RGB, whatever its colour format.

Decisions (documented for every caller):
- EXIF orientation is applied, so the array is upright as a viewer shows it.
- Transparency (RGBA, LA, palette with a transparent colour) is composited onto black:
  ``rgb * alpha``. Matted inputs such as PIFu's samples already use a black background, and the
  person keeps its exact colours while the cut-out area becomes uniform.
- 16-bit and 32-bit integer / float greyscale is scaled to 0..255 (16-bit: value / 257;
  float: clipped 0..1), then replicated to three channels. CMYK, YCbCr, LAB, palette and
  1-bit images go through Pillow's conversion to RGB.
- Files are read through Pillow from an open file object, so non-ASCII paths work everywhere
  (cv2.imread fails on them on Windows).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import MediaError

#: File name endings treated as still images (lower case).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                            ".ppm", ".pgm", ".pnm", ".jp2", ".jfif"})

#: EXIF tags (Pillow numbering).
_EXIF_IFD = 0x8769
_FOCAL_35MM = 41989  # FocalLengthIn35mmFilm, millimetres


def _to_rgb8(img: Image.Image) -> np.ndarray:
    """(H, W, 3) uint8 RGB from a Pillow image in any mode."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        a = np.asarray(img)
        if mode == "F":
            a8 = np.clip(a * 255.0 + 0.5, 0, 255).astype(np.uint8)
        elif mode == "I" and a.max(initial=0) <= 255:
            a8 = np.clip(a, 0, 255).astype(np.uint8)
        else:  # 16-bit range (Pillow stores 16-bit PNGs as I or I;16)
            a8 = np.clip((a.astype(np.float64) / 257.0) + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(a8[:, :, None], 3, axis=2)
    if mode == "P" or mode == "PA":
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "RGBa", "La"):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint16)
        rgb = (rgba[:, :, :3] * rgba[:, :, 3:4] + 127) // 255
        return rgb.astype(np.uint8)
    if mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))


def _focal_35mm(img: Image.Image) -> float | None:
    """EXIF FocalLengthIn35mmFilm in millimetres, or None when absent or zero."""
    try:
        exif = img.getexif()
        value = exif.get_ifd(_EXIF_IFD).get(_FOCAL_35MM) or exif.get(_FOCAL_35MM)
        value = float(value) if value is not None else 0.0
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop the image
        return None
    return value if value > 0 else None


def read_image(path: str | Path) -> tuple[np.ndarray, float | None]:
    """Read an image file.

    returns: image (H, W, 3) uint8 RGB, upright (EXIF orientation applied), and the EXIF
        35 mm-equivalent focal length in millimetres or None.
    raises: MediaError naming the file and what to do when it cannot be decoded.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"'{path}' does not exist or is not a file; check the path.")
    if path.stat().st_size == 0:
        raise MediaError(f"'{path}' is empty (0 bytes); the copy or download is incomplete — "
                         "copy the file again.")
    try:
        with open(path, "rb") as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fh) as img:
                img.load()
                focal = _focal_35mm(img)
                img = ImageOps.exif_transpose(img)
                rgb = _to_rgb8(img)
    except UnidentifiedImageError:
        raise MediaError(f"'{path}' is not an image this program can read (its content is not "
                         "JPEG, PNG, BMP, TIFF, WebP or GIF, whatever its name says); "
                         "open a photo or video file instead.") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise MediaError(f"'{path}' could not be decoded ({' '.join(str(exc).split())}); the "
                         "file may be truncated or damaged — export or copy it again.") from None
    if rgb.ndim != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise MediaError(f"'{path}' holds no pixels; open another image.")
    return rgb, focal
