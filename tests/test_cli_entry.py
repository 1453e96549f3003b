"""``main.py`` as a new user meets it in a terminal without a display: a typo, no command, a file
to open, --version and -h. Each runs in a subprocess with DISPLAY, WAYLAND_DISPLAY and
QT_QPA_PLATFORM unset, so a Qt abort (exit 134) would show."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "resources" / "samples" / "photo.png"


def run_main(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "main.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def one_sentence(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0]
    return lines[0]


def test_unknown_first_argument_is_one_sentence_naming_the_commands():
    from core.cli import COMMANDS

    done = run_main("nonsense")
    assert done.returncode == 2
    line = one_sentence(done.stderr)
    assert "no command or file named 'nonsense'" in line
    assert all(name in line for name in COMMANDS)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY matters on Linux only")
@pytest.mark.parametrize("args", [[], [str(PHOTO)]], ids=["no-command", "photo"])
def test_window_without_display_says_how_to_run_headless(args):
    done = run_main(*args)
    assert done.returncode == 2, done.stderr
    line = one_sentence(done.stderr)
    assert "no display" in line and "xvfb-run" in line and "fit" in line


def test_version_prints_the_project_version():
    done = run_main("--version")
    assert done.returncode == 0, done.stderr
    pyproject = (REPO / "pyproject.toml").read_text()
    expected = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.MULTILINE).group(1)
    assert done.stdout.strip() == f"human-studio {expected}"


def test_help_lists_every_command():
    from core.cli import COMMANDS

    done = run_main("-h")
    assert done.returncode == 0, done.stderr
    assert all(re.search(rf"^\s+{name}\b", done.stdout, re.MULTILINE) for name in COMMANDS)
    assert "--version" in done.stdout


def test_every_command_is_wired_to_its_module():
    import argparse

    from core.cli import COMMANDS, build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)
    assert all(callable(p.get_default("_run")) for p in sub.choices.values())
