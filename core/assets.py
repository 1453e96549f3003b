"""Where every file the app needs lives, and the sentence to show when one is missing.

One module resolves all assets (STYLE.md 8): the folder the app ships (``assets/``), the user's
cache, the optional learned initializer, and the licensed SMPL-family body models the user adds.
A missing file raises ``MissingAssetError`` whose message names the expected path, where to get
the file and its licence, so the GUI and the CLI can show it as it is.

SMPL-family layout (the ``smplx`` package's): inside the chosen model folder

    smpl/SMPL_NEUTRAL.npz  (or .pkl; also SMPL_MALE / SMPL_FEMALE, and the official
                            basicmodel_{neutral,m,f}_lbs_10_207_0_v1.*.pkl names)
    smplh/SMPLH_NEUTRAL.npz (or .pkl; also AMASS' smplh/<gender>/model.npz)
    smplx/SMPLX_NEUTRAL.npz (or .pkl)

The same files directly inside the folder are accepted too, and so is the path of a file itself.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import MissingAssetError

#: Repository root (the folder that holds main.py).
REPO_ROOT = Path(__file__).resolve().parents[1]

#: Body models the user supplies: kind -> (display name, file prefix, download page).
SMPL_FAMILY: dict[str, tuple[str, str, str]] = {
    "smpl": ("SMPL", "SMPL", "https://smpl.is.tue.mpg.de"),
    "smplh": ("SMPL-H", "SMPLH", "https://mano.is.tue.mpg.de"),
    "smplx": ("SMPL-X", "SMPLX", "https://smpl-x.is.tue.mpg.de"),
}
GENDERS = ("neutral", "male", "female")

#: The official SMPL download names the files basicmodel_<g>_lbs_10_207_0_v1.x.x.pkl.
_OFFICIAL_SMPL_GENDER = {"neutral": "neutral", "male": "m", "female": "f"}

INITIALIZER_RELPATH = Path("initializer") / "anny_initializer.pt"


def assets_dir() -> Path:
    """The ``assets/`` folder of the repository (model weights the app ships)."""
    return REPO_ROOT / "assets"


def user_cache_dir() -> Path:
    """Per-user cache folder: ``$XDG_CACHE_HOME/human-studio`` or ``~/.cache/human-studio``.

    Not created here; callers ``mkdir(parents=True, exist_ok=True)`` before writing.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "human-studio"


def initializer_weights_path(required: bool = False) -> Path | None:
    """The learned keypoint-to-body initializer, ``assets/initializer/anny_initializer.pt``.

    Optional asset: returns None when the file is absent (fits then start from the rest pose),
    unless ``required`` is True, when a MissingAssetError says how to regenerate it.
    """
    path = assets_dir() / INITIALIZER_RELPATH
    if path.is_file():
        return path
    if not required:
        return None
    raise MissingAssetError(
        f"The body initializer weights are missing: expected {path}; regenerate them with "
        "`python scripts/train_initializer.py` (it trains on bodies generated from the free "
        "Anny model, no download needed).")


def smpl_download_hint(kind: str) -> str:
    """Where to get a ``kind`` model file, its licence and where to put it (a sentence tail)."""
    display, _, url = SMPL_FAMILY[kind]
    return (f"download {display} from {url} (free registration; its licence is non-commercial, "
            f"so this app cannot ship the file) and put it there, choosing the model folder in "
            f"Settings or with --model-dir")


def _candidates(root: Path, kind: str, gender: str) -> list[Path]:
    """Every accepted location of the ``kind``/``gender`` file under ``root``, preferred first."""
    _, prefix, _ = SMPL_FAMILY[kind]
    stem = f"{prefix}_{gender.upper()}"
    out: list[Path] = []
    for folder in (root / kind, root / kind.upper(), root):
        out += [folder / f"{stem}.npz", folder / f"{stem}.pkl"]
    if kind == "smplh":  # AMASS / MANO-site layout: smplh/<gender>/model.npz
        out += [root / "smplh" / gender / "model.npz", root / gender / "model.npz"]
    if kind == "smpl":   # names of the official download
        g = _OFFICIAL_SMPL_GENDER[gender]
        for folder in (root / "smpl", root):
            if folder.is_dir():
                out += sorted(p for p in folder.iterdir()
                              if p.name.lower().startswith(f"basicmodel_{g}_lbs_10_207_0_v1.")
                              and p.suffix == ".pkl")
    return out


def smpl_model_path(model_dir: str | os.PathLike | None, kind: str = "smpl",
                    gender: str = "neutral") -> Path:
    """The licensed body-model file of ``kind`` ("smpl", "smplh", "smplx") and ``gender``.

    model_dir: the folder the user chose (smplx layout, see the module docstring), or the path
        of a model file itself. Raises MissingAssetError naming the expected path, the download
        page and the licence when nothing usable is found.
    """
    if kind not in SMPL_FAMILY:
        raise MissingAssetError(f"Unknown body model '{kind}': choose one of "
                                f"{', '.join(SMPL_FAMILY)}.")
    if gender not in GENDERS:
        raise MissingAssetError(f"Unknown gender '{gender}': choose one of {', '.join(GENDERS)}.")
    display, prefix, _ = SMPL_FAMILY[kind]
    if model_dir is None or str(model_dir).strip() == "":
        raise MissingAssetError(
            f"No body-model folder is set for {display}: expected a folder holding "
            f"{kind}/{prefix}_{gender.upper()}.npz; {smpl_download_hint(kind)}.")
    root = Path(model_dir).expanduser()
    if root.is_file() and root.suffix in (".npz", ".pkl"):
        return root
    for path in _candidates(root, kind, gender):
        if path.is_file():
            return path
    expected = root / kind / f"{prefix}_{gender.upper()}.npz"
    return_hint = smpl_download_hint(kind)
    raise MissingAssetError(f"{display} model file not found: expected {expected} (or .pkl); "
                            f"{return_hint}.")


__all__ = ["assets_dir", "user_cache_dir", "initializer_weights_path", "smpl_model_path",
           "smpl_download_hint", "SMPL_FAMILY", "GENDERS"]
