"""Human digitization studio: photo or video of a person -> 3D body and clothed mesh.

    python main.py                 open the studio window
    python main.py PATH            open the window with PATH (photo, video or folder) loaded
    python main.py COMMAND ...     headless runs: detect, fit, track, reconstruct, optimize, demo
    python main.py -h | --version  the commands / the version

Exit status 2 with one sentence on stderr, and no window, when the first argument is neither a
command nor an existing path, or when the window is asked for and there is no display.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def window_problem(argv: list[str], commands: list[str]) -> str | None:
    """Why the window cannot open for ``argv`` (no command in it), as one sentence, or None."""
    listed = ", ".join(commands)
    if argv and not Path(argv[0]).expanduser().exists():
        return (f"no command or file named '{argv[0]}'; commands: {listed} "
                "(python main.py -h lists them), or give a photo, video or folder to open.")
    if sys.platform.startswith("linux") and not any(
            os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return ("there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are "
                f"unset); run a command headless (python main.py COMMAND ...; commands: "
                f"{listed}; e.g. python main.py fit photo.png --out out) or the window under a "
                "virtual display (xvfb-run -a python main.py).")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from core.cli import COMMANDS, run_cli

    if argv and argv[0] in COMMANDS:
        from core.perception.quiet import silence_native_logs

        silence_native_logs()           # before anything imports mediapipe
    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version")):
        return run_cli(argv)
    problem = window_problem(argv, list(COMMANDS))
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from gui.app import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
