"""Human digitization studio: photo or video of a person -> 3D body and clothed mesh.

    python main.py                 open the studio window
    python main.py PATH            open the window with PATH loaded
    python main.py detect|fit|track|reconstruct|optimize|demo ...   headless runs (see --help)
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from core.cli import COMMANDS, run_cli

    if argv and (argv[0] in COMMANDS or argv[0] in ("-h", "--help")):
        return run_cli(argv)
    from gui.app import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
