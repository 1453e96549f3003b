"""What a batch runs over: the inputs given on the command line turned into named items.

An INPUT is
  * a folder: each photo, video and sub-folder of frames directly inside it is one item (hidden
    entries, other files and the batch's own output folder are left out);
  * a text manifest (any file that is not a photo or a video): one path per line, ``#`` starts a
    comment, relative paths are relative to the manifest's folder; each line is one item as it
    is (a folder listed there is one folder of frames), and a line whose file is missing or
    broken is an item that fails alone;
  * a photo or a video: one item.

Each item's outputs go to DIR/<name>/: the file name with its dots made underscores
(photo.png -> photo_png), then _2, _3, ... where two inputs would get the same name (compared
without case, for case-insensitive disks). Names given by earlier runs of the same DIR are kept,
so a resumed run writes where the first one did.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import StudioError
from core.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from core.media.folder_source import list_image_files

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


@dataclass(frozen=True)
class BatchItem:
    """One input of a batch. input: absolute path (it may not exist: the item then fails);
    name: its folder under DIR."""

    input: str
    name: str


def _is_media_file(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_SUFFIXES


def _folder_items(folder: Path, exclude: Path | None) -> list[Path]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if exclude is not None and entry.resolve() == exclude:
                continue
            if list_image_files(entry):
                found.append(entry)
        elif entry.is_file() and _is_media_file(entry):
            found.append(entry)
    return found


def _manifest_items(manifest: Path) -> list[Path]:
    try:
        text = manifest.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        raise StudioError(f"'{manifest}' is neither a photo, a video nor a folder, and not a text "
                          "manifest (one path per line); give a folder, media files or a "
                          "manifest.") from None
    paths = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            path = Path(line).expanduser()
            paths.append(path if path.is_absolute() else manifest.parent / path)
    return paths


def collect_inputs(inputs: list[str], exclude: str | Path | None = None) -> list[Path]:
    """The item paths (absolute, in the order given, each once) of the command's INPUTs.

    exclude: a folder never taken as an item (the batch's DIR when it lies inside an input).
    raises: StudioError when an INPUT does not exist or when nothing to run is found.
    """
    skip = Path(exclude).resolve() if exclude is not None else None
    found: list[Path] = []
    for given in inputs:
        path = Path(given).expanduser()
        if path.is_dir():
            found += _folder_items(path, skip)
        elif path.is_file():
            found += [path] if _is_media_file(path) else _manifest_items(path)
        else:
            raise StudioError(f"'{given}' does not exist; give a folder, photos, videos or a "
                              "manifest (one path per line).")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise StudioError(f"No photo, video or folder of frames was found in {', '.join(inputs)}; "
                          "give a folder that holds them, the files themselves or a manifest.")
    return unique


def item_name(path: str | Path) -> str:
    """The folder name of an input under DIR before collisions: its file name, dots made
    underscores (photo.png -> photo_png)."""
    return Path(path).name.replace(".", "_") or "item"


def name_items(paths: list[Path], earlier: dict[str, str] | None = None,
               reserved: tuple[str, ...] = ()) -> list[BatchItem]:
    """Name each path uniquely (see the module docstring).

    earlier: input -> name from the DIR's batch.jsonl; those names are kept when they are still
        unique. reserved: names DIR itself uses (never given to an item).
    """
    earlier = earlier or {}
    taken = {name.lower() for name in reserved}
    names: dict[str, str] = {}
    for path in paths:                                  # earlier names first: they stay put
        old = earlier.get(str(path))
        if old and old.lower() not in taken:
            names[str(path)] = old
            taken.add(old.lower())
    for path in paths:
        if str(path) in names:
            continue
        base = name = item_name(path)
        n = 1
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        names[str(path)] = name
        taken.add(name.lower())
    return [BatchItem(str(path), names[str(path)]) for path in paths]
