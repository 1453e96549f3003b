"""Batch benchmark: photos per minute of ``batch --job fit`` against the single ``fit`` command
run once per photo, with 1 and 2 workers on this machine, on a two-node Ray cluster started on
loopback here, and what a worker killed mid-run costs.

    .venv/bin/python bench/batch.py [--items N] [--single-items K] [--quick]
                                    [--quality fast|balanced|best] [--skip-single] [--skip-cluster]

Photos: the bundled sample, PIFu's ryota at 384 px and the 4D-Humans squat at 512 px, cycled
(tests/fixtures_batch.py). Every figure is the wall time of the whole command as a user runs it
(Python and Ray start-up, loading the models, every item); "steady" is the rate between the first
and the last item finishing (start-up left out). The kill run SIGKILLs one worker (its process id
from Ray's actor table) right after the first item is recorded and compares the run's wall time
with a clean run on the same cluster.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from core.batch.local_cluster import LocalCluster  # noqa: E402
from core.export.batch_record import read_batch_records  # noqa: E402
from fixtures_batch import sample_photos  # noqa: E402

MAIN = [sys.executable, str(REPO / "main.py")]


def _run(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return time.perf_counter() - t0


def _steady(out: Path) -> tuple[float, float, int]:
    """(items/min between the first and the last record, median item seconds, nodes used)."""
    records = [r for r in read_batch_records(out) if r.status == "done"]
    stamps = sorted(datetime.fromisoformat(r.finished).timestamp() for r in records)
    rate = 60 * (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return rate, statistics.median(r.seconds for r in records), len({r.node for r in records})


def batch_cmd(folder: Path, out: Path, quality: str, *extra: str) -> list[str]:
    return [*MAIN, "batch", str(folder), "--job", "fit", "--out", str(out), "--quality", quality,
            *extra]


def killed_run(cluster: LocalCluster, cmd: list[str], out: Path) -> tuple[float, int]:
    """Wall time of ``cmd`` when one worker is SIGKILLed after the first record; the number of
    times Ray restarted a worker."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **cluster.env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while not any(r.status == "done" for r in read_batch_records(out)):
        if proc.poll() is not None:
            raise SystemExit(f"the batch ended before the kill:\n{proc.stdout.read()[-3000:]}")
        time.sleep(0.1)
    alive = [a for a in cluster.actors() if a["State"] == "ALIVE"]
    os.kill(alive[0]["Pid"], signal.SIGKILL)
    output, _ = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"the killed batch failed ({proc.returncode}):\n{output[-3000:]}")
    records = read_batch_records(out)
    done = [r.item for r in records if r.status == "done"]
    assert len(done) == len(set(done)), "an item was recorded twice"
    return wall, sum(a["NumRestarts"] for a in cluster.actors())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=40,
                    help="photos per run (default 40: enough that start-up does not hide the rate)")
    ap.add_argument("--quality", default="balanced", choices=("fast", "balanced", "best"),
                    help="fit quality (default balanced, the fit command's own default)")
    ap.add_argument("--quick", action="store_true", help="6 photos (a smoke run, not a figure)")
    ap.add_argument("--single-items", type=int, default=8,
                    help="photos timed with the single command (each is its own process, so the "
                         "rate of a few is the rate of all; default 8)")
    ap.add_argument("--skip-single", action="store_true", help="skip the one-command-per-photo run")
    ap.add_argument("--skip-cluster", action="store_true", help="skip the two-node cluster runs")
    ap.add_argument("--out", default=str(REPO / "bench" / "_out" / "batch"))
    args = ap.parse_args()
    n = 6 if args.quick else args.items
    root = Path(args.out)
    shutil.rmtree(root, ignore_errors=True)
    folder = root / "photos"
    photos = sample_photos(folder, n)
    rows: list[tuple[str, float, float, float, int]] = []

    def row(name: str, wall: float, out: Path | None, count: int = n) -> None:
        steady, median, nodes = _steady(out) if out else (float("nan"), wall / count, 1)
        rows.append((name, 60 * count / wall, steady, median, nodes))
        print(f"{name}: {wall:.1f} s, {60 * count / wall:.1f} photos/min", flush=True)

    if not args.skip_single:
        some = photos[:max(1, min(n, args.single_items))]
        t = sum(_run([*MAIN, "fit", str(p), "--out", str(root / "single" / p.stem), "--quality",
                      args.quality]) for p in some)
        row(f"single `fit` once per photo ({len(some)} timed)", t, None, len(some))
    for workers in (1, 2):
        out = root / f"local{workers}"
        row(f"batch, {workers} worker(s), this machine",
            _run(batch_cmd(folder, out, args.quality, "--workers", str(workers))), out)
    kill = None
    if not args.skip_cluster:
        with LocalCluster(cpus=(1, 1)) as cluster:
            out = root / "cluster"
            cmd = batch_cmd(folder, out, args.quality, "--ray", cluster.address)
            clean = _run(cmd, cluster.env)
            row("batch, two 1-CPU nodes on loopback (--ray)", clean, out)
            out = root / "cluster_killed"
            wall, restarts = killed_run(cluster, batch_cmd(folder, out, args.quality, "--ray",
                                                           cluster.address), out)
            kill = (clean, wall, restarts, _steady(out)[1])

    print(f"\n{n} photos, fit --quality {args.quality}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| run | photos/min (whole command) | photos/min (steady) | median s/photo on a "
          "worker | nodes |")
    print("|---|---:|---:|---:|---:|")
    for name, rate, steady, median, nodes in rows:
        print(f"| {name} | {rate:.1f} | {steady:.1f} | {median:.2f} | {nodes} |")
    local = {r[0]: r for r in rows}
    one, two = (local.get(f"batch, {w} worker(s), this machine") for w in (1, 2))
    print(f"\n2 workers vs 1: {two[1] / one[1]:.2f}x whole command, {two[2] / one[2]:.2f}x steady")
    single = next((r for r in rows if r[0].startswith("single")), None)
    if single:
        print(f"batch vs single command: {one[1] / single[1]:.2f}x (1 worker), "
              f"{two[1] / single[1]:.2f}x (2 workers)")
    if kill:
        clean, wall, restarts, median = kill
        print(f"worker killed mid-run on the cluster: {wall:.1f} s vs {clean:.1f} s clean "
              f"(+{wall - clean:.1f} s; one photo takes {median:.2f} s on a worker, plus the "
              f"restarted worker loading its models); Ray restarted {restarts} worker(s); every "
              "photo done once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
