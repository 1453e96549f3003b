"""Headless front end. Each sub-command lives in its own module with two functions:

    add_arguments(parser: argparse.ArgumentParser) -> None
    run(args: argparse.Namespace) -> int

Errors: a StudioError (or any exception) ends the run with exit status 2 and one plain line on
stderr; ``--debug`` prints the traceback instead.
"""
from __future__ import annotations

import argparse
import importlib
import re
import sys
import traceback
from pathlib import Path

PROJECT = "human-studio"

#: sub-command -> (module under core.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "detect": ("detect", "keypoints, 3D landmarks and person masks for every frame"),
    "fit": ("fit", "fit the body model to frames of a photo or video"),
    "track": ("track", "temporally consistent body for every frame of a video"),
    "reconstruct": ("reconstruct", "clothed surface from single frames"),
    "optimize": ("optimize", "one clothed, textured avatar from a whole video"),
    "occlusion": ("occlusion", "where in the image the body comes from: occlusion heat maps"),
    "batch": ("batch", "one job over a folder, a manifest or many paths, on Ray, resumable"),
    "demo": ("demo", "run the main job on the bundled sample and say where the outputs are"),
}


def version() -> str:
    """The studio's version: pyproject.toml's beside the code (a checkout), else the installed
    package's metadata."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed(PROJECT)
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="Human digitization studio. 'main.py' alone opens the "
        "window ('main.py PATH' with a photo, video or folder loaded); a command runs headless.")
    parser.add_argument("--version", action="version", version=f"{PROJECT} {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
        p.add_argument("--device", default=None, help="auto (default), cpu or cuda")
        mod = importlib.import_module(f"core.cli.{module}")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def one_line(exc: BaseException) -> str:
    """The error as one plain line for stderr."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    from core.errors import StudioError

    return text if isinstance(exc, StudioError) else f"{type(exc).__name__}: {text}"


def run_cli(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("error: interrupted; outputs written so far were kept.", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI's one error exit
        if args.debug:
            traceback.print_exc()
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
