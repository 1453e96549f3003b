"""core/ never imports Qt or pyvista (DESIGN.md: the core runs headless; the GUI depends on it,
never the other way round)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "core"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyvista", "pyvistaqt", "vtk", "qtawesome")


def _core_modules() -> list[str]:
    mods = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    return mods


def test_no_forbidden_import_statements():
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(
                    node.func, "id", "")) in ("import_module", "__import__") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno} imports {name}")
    assert len(list(CORE.rglob("*.py"))) > 10  # the scan saw the tree
    assert not offenders, "\n".join(offenders)


CHILD = r"""
import importlib, json, sys, traceback
sys.path.insert(0, sys.argv[1])
failed = {}
for name in json.loads(sys.argv[2]):
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
bad = sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[3]))
print(json.dumps({"failed": failed, "forbidden": bad,
                  "imported": sorted(m for m in sys.modules if m.startswith("core"))}))
"""


def test_importing_every_core_module_loads_no_gui_toolkit():
    mods = _core_modules()
    assert {"core.media", "core.perception", "core.cli.detect"} <= set(mods)
    out = subprocess.run([sys.executable, "-c", CHILD, str(REPO), json.dumps(mods),
                          json.dumps(FORBIDDEN)], capture_output=True, text=True, timeout=300,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert not result["failed"], result["failed"]
    assert set(mods) <= set(result["imported"])
    assert not result["forbidden"], result["forbidden"]
