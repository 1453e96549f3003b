"""First run on a fresh machine: the window says the body model is being built only when Anny's
disk cache is missing (scripts/setup.sh builds it, through scripts/build_caches.py)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gui.pipeline import ModelCache

REPO = Path(__file__).resolve().parents[1]


def test_first_run_message_only_when_the_anny_cache_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNY_CACHE_DIR", str(tmp_path / "anny"))
    models = ModelCache()
    assert "first run only" in models.body_message("anny", None, "cpu")
    (tmp_path / "anny" / "v14").mkdir(parents=True)
    (tmp_path / "anny" / "v14" / "load_data_0.safetensors").write_bytes(b"")
    assert models.body_message("anny", None, "cpu") == "Loading the body model…"
    models._bodies[("anny", None, "cpu")] = object()
    assert models.body_message("anny", None, "cpu") is None


def test_setup_builds_the_anny_cache_where_the_app_and_anny_look(tmp_path, monkeypatch):
    from core.body.anny_body import anny_cache_dir

    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "scripts/build_caches.py" in setup
    line = next(ln for ln in setup.splitlines() if ln.startswith("ANNY_DIR="))
    for env in ({"HOME": str(tmp_path / "home")},
                {"HOME": str(tmp_path / "home"), "ANNY_CACHE_DIR": str(tmp_path / "anny")},
                {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg")}):
        monkeypatch.delenv("ANNY_CACHE_DIR", raising=False)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        shell = subprocess.run(["bash", "-c", f'{line}; echo "$ANNY_DIR"'], env=dict(os.environ),
                               capture_output=True, text=True, check=True).stdout.strip()
        assert shell == anny_cache_dir()
        # anny itself: ANNY_CACHE_DIR, else Path.home() / ".cache" / "anny"
        assert shell == env.get("ANNY_CACHE_DIR", str(Path.home() / ".cache" / "anny"))
