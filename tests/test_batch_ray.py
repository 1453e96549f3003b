"""batch on a real Ray cluster started on this machine with ``ray start --head`` (one cluster for
the module): good photos come out exactly as the single ``fit`` makes them, broken files fail
alone with the single command's sentence, and a worker killed mid-run costs nothing but time."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.batch.local_cluster import LocalCluster
from core.export.batch_record import read_batch_records
from fixtures_batch import sample_photos

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(cpus=(2,)) as c:
        yield c


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _batch(cluster: LocalCluster, folder: Path, out: Path, *extra: str) -> subprocess.Popen:
    """``main.py batch`` over ``folder`` on ``cluster``, as a user runs it (its own process: a
    process keeps the Ray authentication mode it first saw); stderr goes to out.parent/stderr.txt
    (the progress bar), stdout (the summary) to a pipe."""
    cmd = [sys.executable, "main.py", "batch", str(folder), "--job", "fit", "--out", str(out),
           "--ray", cluster.address, "--quality", "fast", *extra]
    with open(out.parent / "stderr.txt", "w") as err:
        return subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **cluster.env},
                                stdout=subprocess.PIPE, stderr=err, text=True)


def _stderr(out: Path) -> str:
    return (out.parent / "stderr.txt").read_text(errors="replace")[-3000:]


def test_batch_on_a_cluster_fits_good_photos_and_fails_bad_ones(cluster, tmp_path, capsys):
    from main import main

    folder = tmp_path / "in"
    good = sample_photos(folder, 2)
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.png").write_text("not a photo at all\n")
    out = tmp_path / "out"
    proc = _batch(cluster, folder, out)
    stdout, _ = proc.communicate(timeout=300)
    assert proc.returncode == 3, _stderr(out)
    records = {r.item: r for r in read_batch_records(out)}
    assert sorted(records) == ["empty_png", "notes_png", "person0_png", "person1_jpg"]
    assert "2 done, 2 failed, 0 skipped of 4 item(s)" in stdout
    assert "empty_png" in stdout and "notes_png" in stdout                # the failure table

    # the single command on the same inputs: its layout, and the sentence it prints
    single = tmp_path / "single"
    assert main(["fit", str(good[0]), "--out", str(single), "--quality", "fast"]) == 0
    for name, path in (("person0_png", good[0]), ("person1_jpg", good[1])):
        rec = records[name]
        assert rec.status == "done" and rec.error is None and rec.input == str(path.resolve())
        assert _files(out / name) == _files(single)
        assert rec.outputs == [f"{name}/{f}" for f in _files(single)]
        assert rec.node and rec.seconds > 0 and rec.options["quality"] == "fast"
    a = json.loads((out / "person0_png" / "fits.json").read_text())
    b = json.loads((single / "fits.json").read_text())
    assert a.keys() == b.keys() and len(a["frames"]) == len(b["frames"]) == 1
    assert np.allclose(a["frames"][0]["landmarks3d"], b["frames"][0]["landmarks3d"], atol=0.02)
    for name in ("empty_png", "notes_png"):
        rec = records[name]
        capsys.readouterr()
        assert main(["fit", rec.input, "--out", str(tmp_path / name), "--quality", "fast"]) == 2
        said = capsys.readouterr().err.strip().splitlines()[-1]
        assert rec.status == "failed" and said == f"error: {rec.error}"
        assert "\n" not in rec.error and "Traceback" not in rec.error
        assert rec.error.endswith(".")


def test_a_worker_killed_mid_run_still_finishes_every_item_once(cluster, tmp_path):
    folder = tmp_path / "in"
    photos = sample_photos(folder, 4)
    out = tmp_path / "out"
    proc = _batch(cluster, folder, out, "--workers", "2")
    try:
        deadline = time.monotonic() + 240
        alive: list[dict] = []
        while not any(r.status == "done" for r in read_batch_records(out)):
            assert proc.poll() is None, _stderr(out)
            assert time.monotonic() < deadline, "no item finished within 4 minutes"
            if len(alive) < 2:                          # the workers' process ids, from Ray
                alive = [a for a in cluster.actors() if a["State"] == "ALIVE"]
            time.sleep(0.1)
        alive = alive or [a for a in cluster.actors() if a["State"] == "ALIVE"]
        assert alive
        os.kill(alive[-1]["Pid"], signal.SIGKILL)       # mid-run: items are still left
        proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, _stderr(out)
    records = read_batch_records(out)
    done = [r.item for r in records if r.status == "done"]
    assert sorted(done) == sorted(p.name.replace(".", "_") for p in photos)
    assert len(done) == len(set(done)) == len(records)       # each item recorded once, done
    restarted = [a for a in cluster.actors() if a["NumRestarts"] >= 1]
    assert restarted, "Ray never restarted the killed worker"
    assert all((out / name / "fits.json").is_file() for name in done)
    shutil.rmtree(out, ignore_errors=True)
