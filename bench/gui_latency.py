"""Scrub-step latency of the real window, idle and while jobs run, and what the job's priority
and pool sizing cost the job.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python bench/gui_latency.py [--quick]

(started without a display, the script re-runs itself under xvfb-run). For each size (taiji.mp4
at 1280x720, and the same video scaled to 1920x1080 with ffmpeg into bench/_out/) the window
(1500x920, every overlay layer on) opens a fresh copy of the video, waits for the display proxy,
then scrubs in steps of ``--step`` frames, one step every ``--cadence-ms`` (a hand dragging the
playhead), sweeping forward and back over the fitted frames with a new offset each sweep so no
frame is shown twice:
  fit          while "Fit all frames" tracks the video (720p: to the end, the job's speed is
               measured; 1080p: the first ``--frames-1080`` frames, then Cancel is pressed);
  idle         after the fit (and its autosave), over the fitted frames;
  reconstruct  while "Reconstruct surface" runs (restarted when it ends early);
  optimize     while "Optimize subject" runs (8 frames), then Cancel;
  cancel       (720p) "Fit all frames" again over the frames left, or "Detect all frames"
               when none is left, scrubbed for 20 steps, then Cancel.
A step's latency is from the timeline's ``set_index`` to the end of the events it leaves behind
(decode or proxy, layers, 3D update, the paints; four passes of the posted-event queue); the
GUI thread's time on a CPU and waiting for one (/proc schedstat) are printed beside it, so a
busy shared machine can be told from a slow window. Work the step schedules for later (the
exact frame replacing a proxy, a throttled 3D render) is counted in the window's CPU share.

Then the job's own price: "Fit all frames" on taiji (``--frames``) in a fresh window with the
background policy (gui.workers.BackgroundPolicy: lower thread priority, cv2 on one thread) and
in one without it, both while the window is scrubbed as above; with ``--repeat`` the two alternate
(with, without, with, ...) to even out a drifting machine load.

Also: the 3D view turned (azimuth + render) during jobs, playback (frames per second shown and
skipped against the source rate), Cancel to idle, the memory the frame caches hold.
Figures and the command: bench/README.md ("Window responsiveness").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLES = REPO.parent / "shared" / "samples"
OUT = REPO / "bench" / "_out" / "gui_latency"


# ---- measuring one step ---------------------------------------------------------------------------
_GUI_TID = threading.get_native_id()


def _schedstat() -> tuple[float, float]:
    """(ms on a CPU, ms waiting for one) of the GUI thread so far (Linux), else (0, 0)."""
    try:
        a = open(f"/proc/self/task/{_GUI_TID}/schedstat").read().split()
        return int(a[0]) / 1e6, int(a[1]) / 1e6
    except OSError:
        return 0.0, 0.0


@dataclass
class Phase:
    """Scrub steps of one phase. ms: latency per step; oncpu / queued: the GUI thread's ms on a
    CPU / waiting for one during each step; share: its CPU time over the phase's wall time."""

    name: str
    size: str
    ms: list[float] = field(default_factory=list)
    oncpu: list[float] = field(default_factory=list)
    queued: list[float] = field(default_factory=list)
    share: float = 0.0
    renders3d: int = 0
    turn_ms: list[float] = field(default_factory=list)
    note: str = ""

    def row(self) -> str:
        if not self.ms:
            return f"| {self.size} | {self.name} | - | - | - | - | - | - | - | {self.note} |"
        q = np.percentile
        turn = f"{statistics.median(self.turn_ms):.0f}" if self.turn_ms else "-"
        return (f"| {self.size} | {self.name} | {len(self.ms)} | {statistics.median(self.ms):.1f} "
                f"| {q(self.ms, 90):.1f} | {statistics.median(self.oncpu):.1f} "
                f"| {statistics.median(self.queued):.1f} | {100 * self.share:.0f} % "
                f"| {turn} | {self.note} |")


HEADER = ("| size | phase | steps | median ms | p90 ms | GUI on-CPU ms | GUI waiting for a CPU ms "
          "| window CPU share | 3D turn ms | note |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|")


class Driver:
    """Drives one window: steps, waits, phases."""

    def __init__(self, app, window, step: int, cadence_s: float) -> None:
        self.app, self.w, self.c = app, window, window.controller
        self.step, self.cadence = step, cadence_s
        self._sweep = 0
        self._pos: list[int] = []

    def settle(self) -> None:
        from PySide6.QtCore import QCoreApplication

        for _ in range(4):
            QCoreApplication.sendPostedEvents()
            self.app.processEvents()

    def wait(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.app.processEvents()
            time.sleep(0.002)

    def wait_until(self, cond, timeout_s: float) -> bool:
        end = time.perf_counter() + timeout_s
        while not cond():
            if time.perf_counter() > end:
                return False
            self.wait(0.02)
        return True

    def positions(self, frames: int):
        """Forward and backward sweeps over 0..frames-1 in steps of ``step``, each sweep at a
        new offset, so frames repeat only after ``step`` sweeps."""
        while True:
            if not self._pos:
                off = (self._sweep * 3) % self.step
                idx = list(range(off, frames, self.step))
                self._pos = idx if self._sweep % 2 == 0 else idx[::-1]
                self._sweep += 1
            yield self._pos.pop(0)

    def scrub(self, phase: Phase, frames: int, steps: int, while_=None, turn_every: int = 0,
              between=None) -> Phase:
        """``steps`` steps (or until ``while_()`` is False) over the first ``frames`` frames."""
        gen = self.positions(frames)
        t0, s0 = time.perf_counter(), _schedstat()
        r0 = self.w.viewer.renders
        for k in range(steps):
            if while_ is not None and not while_():
                break
            index = next(gen)
            if index == self.w.timeline.index:
                index = next(gen)
            a, t = _schedstat(), time.perf_counter()
            self.w.timeline.set_index(index)
            self.settle()
            b = _schedstat()
            phase.ms.append((time.perf_counter() - t) * 1000)
            phase.oncpu.append(b[0] - a[0])
            phase.queued.append(b[1] - a[1])
            if turn_every and k % turn_every == turn_every - 1:
                phase.turn_ms.append(self.turn())
            if between is not None:
                between()
            self.wait(self.cadence)
        wall = (time.perf_counter() - t0) * 1000
        phase.share = (_schedstat()[0] - s0[0]) / wall if wall else 0.0
        phase.renders3d = self.w.viewer.renders - r0
        return phase

    def turn(self) -> float:
        """Turn the 3D view by 15 degrees as a mouse drag does (render at once); ms."""
        p = self.w.viewer.plotter
        t = time.perf_counter()
        p.camera.azimuth += 15
        p.render()
        self.settle()
        return (time.perf_counter() - t) * 1000

    def play(self, seconds: float) -> str:
        """Play for ``seconds``; the playhead's rate and the frames shown per second."""
        tl = self.w.timeline
        shown = []
        self.c.frame_ready.connect(lambda f: shown.append(f.index))
        start, skipped = tl.index, tl.skipped
        t = time.perf_counter()
        tl.play()
        self.wait(seconds)
        tl.pause()
        dt = time.perf_counter() - t
        moved = tl.index - start
        distinct = len(set(shown))
        return (f"playhead {moved / dt:.1f} frames/s (source {tl.fps:.2f}), "
                f"{distinct / dt:.1f} shown/s, {tl.skipped - skipped} skipped")


# ---- the window -----------------------------------------------------------------------------------
def new_window(app, quality: str):
    from gui.testing import new_window as shown_window

    return shown_window(None, quality, restore_policy="never")


def fresh_copy(video: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / video.name
    shutil.copy2(video, dst)
    return dst


def video_1080p(src: Path) -> Path:
    """taiji scaled to 1920x1080 (H.264 with ffmpeg when present, else mp4v), made once."""
    dst = REPO / "bench" / "_out" / "taiji_1080p.mp4"
    if dst.exists():
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("ffmpeg"):
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-an", "-vf",
                        "scale=1920:1080", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
                        str(dst)], check=True)
        return dst
    import cv2

    cap = cv2.VideoCapture(str(src))
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS),
                          (1920, 1080))
    while True:
        ok, f = cap.read()
        if not ok:
            break
        out.write(cv2.resize(f, (1920, 1080), interpolation=cv2.INTER_CUBIC))
    out.release()
    return dst


def errors_of(w) -> str:
    last = w.errors.last
    return "" if last is None else f"{last.title}: {last.message}"


def open_video(d: Driver, path: Path) -> str:
    t = time.perf_counter()
    assert d.w.open_path(path), errors_of(d.w)
    ok = d.wait_until(lambda: d.c.display.builder.done.is_set(), 600)
    px = d.c.display.proxy
    return (f"proxy {px.size[0]}x{px.size[1]} every {px.stride}, {px.filled} frames, "
            f"{px.nbytes / 2**20:.1f} MiB, built in {time.perf_counter() - t:.1f} s"
            + ("" if ok else " (NOT finished)"))


# ---- phases ---------------------------------------------------------------------------------------
def run_size(app, label: str, video: Path, args, results: list[Phase], notes: list[str]) -> None:
    from PySide6.QtCore import QCoreApplication

    w = new_window(app, args.quality)
    d = Driver(app, w, args.step, args.cadence_ms / 1000)
    c = w.controller
    try:
        media = fresh_copy(video, Path(tempfile.mkdtemp(dir=OUT)) / label)
        notes.append(f"{label}: {open_video(d, media)}")
        frames = len(c.source)
        limit = args.frames if label == "720p" else args.frames_1080
        c.track_max_frames = limit
        tracked = min(frames, limit) if limit else frames
        cancel_fit = label != "720p"

        # fit all frames (track)
        ph = Phase("fit", label)
        t_first: list[float] = []
        c.worker.runner.progress.connect(
            lambda p: t_first.append(time.perf_counter()) if p.done or "detected" in p.message
            else None)
        assert c.fit_frames(all_frames=True), errors_of(w)
        t0 = time.perf_counter()
        d.wait_until(lambda: len(c.session.fits) >= 1 or not c.busy, 600)
        steps = args.steps if cancel_fit else 10**6
        d.scrub(ph, tracked, steps, while_=lambda: c.busy, turn_every=10)
        if cancel_fit and c.busy:
            t = time.perf_counter()
            w.cancel_button.click()
            d.wait_until(lambda: not c.busy, 120)
            ph.note = f"Cancel -> idle {time.perf_counter() - t:.2f} s"
        else:
            d.wait_until(lambda: not c.busy, 3600)
            t1 = time.perf_counter()
            start = t_first[0] if t_first else t0
            ph.note = (f"job {t1 - t0:.1f} s, {tracked} frames, "
                       f"{(tracked - 1) / max(1e-9, t1 - start):.1f} frames/s after the first")
        results.append(ph)
        fitted = max(c.session.fits) + 1 if c.session.fits else frames
        if errors_of(w):
            notes.append(f"{label} fit: {errors_of(w)}")

        # idle over the fitted frames (once the autosave after the job has landed), playback
        t = time.perf_counter()
        c.wait_saved()
        notes.append(f"{label}: the autosave after the fit took {time.perf_counter() - t:.1f} s "
                     "more (a low-priority thread; the window was usable)")
        QCoreApplication.sendPostedEvents()
        d.wait(1.0)
        hits, misses = c.overlays.hits, c.overlays.misses
        ph = d.scrub(Phase("idle", label), fitted, args.steps, turn_every=10)
        hits, misses = c.overlays.hits - hits, c.overlays.misses - misses
        ph.note = (f"frames held {c.display.nbytes / 2**20:.0f} MiB "
                   f"(bound {c.display_config.max_bytes / 2**20:.0f}), "
                   f"overlays {c.overlays.nbytes / 2**20:.1f} MiB, "
                   f"{hits} of {hits + misses} bodies drawn ahead")
        results.append(ph)
        d.w.timeline.set_index(0)
        d.settle()
        notes.append(f"{label} playback idle: {d.play(args.play_s)}")

        # reconstruct surface (restarted while steps remain)
        if "reconstruct" in args.phases:
            ph = Phase("reconstruct", label)
            runs = 0

            def restart():
                nonlocal runs
                if not c.busy and c.fit() is not None and c.fit().vertices is not None:
                    runs += c.reconstruct_surface()

            restart()
            d.wait_until(lambda: c.busy, 5)
            d.scrub(ph, fitted, args.steps, turn_every=10, between=restart)
            d.wait_until(lambda: not c.busy, 600)
            ph.note = f"{runs} run(s)" + (f"; {errors_of(w)}" if errors_of(w) else "")
            results.append(ph)

        # optimize subject (8 frames), then Cancel
        if "optimize" in args.phases:
            ph = Phase("optimize", label)
            c.subject_settings.frames = 8
            c.subject_settings.iterations = 400
            assert c.optimize_subject(), errors_of(w)
            d.wait_until(lambda: c.preview is not None or not c.busy, 600)
            d.scrub(ph, fitted, args.steps, while_=lambda: c.busy, turn_every=10)
            notes.append(f"{label} playback while optimizing: {d.play(args.play_s)}")
            if c.busy:
                t = time.perf_counter()
                w.cancel_button.click()
                d.settle()
                ack = time.perf_counter() - t
                d.wait_until(lambda: not c.busy, 600)
                ph.note = (f"Cancel acknowledged {ack * 1000:.0f} ms, best avatar kept and "
                           f"window idle {time.perf_counter() - t:.1f} s")
            results.append(ph)

        # Cancel of a running fit (or detection, when every frame is fitted) while scrubbed
        if not cancel_fit:
            unfitted = len(c.session.fits) < frames
            assert c.fit_frames(all_frames=True) if unfitted else c.detect(all_frames=True)
            ph = d.scrub(Phase("cancel " + ("fit" if unfitted else "detect"), label), fitted, 20)
            t = time.perf_counter()
            w.cancel_button.click()
            d.wait_until(lambda: not c.busy, 120)
            ph.note = (f"Cancel -> idle {time.perf_counter() - t:.2f} s (worker stopped "
                       f"{c.worker.runner.last_stop_latency or 0:.2f} s after it)")
            results.append(ph)
    finally:
        w.close()
        app.processEvents()


def track_speed(app, video: Path, args, policy: bool, label: str) -> tuple[float, Phase]:
    """Frames/s of "Fit all frames" (``--frames``) in a fresh window while it is scrubbed."""
    import cv2

    from gui.workers import BackgroundPolicy

    w = new_window(app, args.quality)
    d = Driver(app, w, args.step, args.cadence_ms / 1000)
    c = w.controller
    try:
        c.worker.runner.policy = BackgroundPolicy(enabled=policy)
        if not policy:
            cv2.setNumThreads(-1)  # OpenCV's default pool, as before the policy
        open_video(d, fresh_copy(video, Path(tempfile.mkdtemp(dir=OUT)) / label))
        c.track_max_frames = args.frames
        n = min(len(c.source), args.frames) if args.frames else len(c.source)
        first: list[float] = []
        c.worker.runner.progress.connect(
            lambda p: first.append(time.perf_counter()) if "detected" in p.message else None)
        assert c.fit_frames(all_frames=True), errors_of(w)
        d.wait_until(lambda: bool(first) or not c.busy, 600)
        ph = d.scrub(Phase("fit " + ("with" if policy else "without") + " policy", "720p"),
                     len(c.source), 10**6, while_=lambda: c.busy)
        d.wait_until(lambda: not c.busy, 3600)
        end = time.perf_counter()
        fps = (n - 1) / max(1e-9, end - first[0]) if first else float("nan")
        ph.note = (f"{fps:.1f} frames/s, worker nice {c.worker.runner.nice}"
                   + (f"; {errors_of(w)}" if errors_of(w) else ""))
        return fps, ph
    finally:
        w.close()
        app.processEvents()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--video", type=Path, default=SAMPLES / "HybrIK" / "taiji.mp4")
    ap.add_argument("--sizes", default="720,1080",
                    help="comma list of 720 and/or 1080 ('none': only the slowdown runs)")
    ap.add_argument("--phases", default="reconstruct,optimize,slowdown",
                    help="optional phases besides fit and idle: reconstruct, optimize, slowdown")
    ap.add_argument("--steps", type=int, default=60, help="scrub steps per phase")
    ap.add_argument("--step", type=int, default=7, help="frames per scrub step")
    ap.add_argument("--cadence-ms", type=float, default=100.0, help="time between steps")
    ap.add_argument("--frames", type=int, default=0, help="frames tracked at 720p (0: all)")
    ap.add_argument("--frames-1080", type=int, default=150, help="frames tracked at 1080p")
    ap.add_argument("--repeat", type=int, default=2,
                    help="with/without-policy tracking runs each (alternating)")
    ap.add_argument("--play-s", type=float, default=3.0)
    ap.add_argument("--quality", default="balanced", choices=("fast", "balanced", "best"))
    ap.add_argument("--quick", action="store_true",
                    help="short run: 720p only, 25 steps, 120 tracked frames, one each")
    args = ap.parse_args(argv)
    if args.quick:
        args.sizes, args.steps, args.frames, args.repeat, args.play_s = "720", 25, 120, 1, 2.0
        args.frames_1080 = 60
    if not os.environ.get("DISPLAY") and shutil.which("xvfb-run"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable,
               str(Path(__file__).resolve()), *(argv if argv is not None else sys.argv[1:])]
        return subprocess.call(cmd)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    OUT.mkdir(parents=True, exist_ok=True)
    settings = Path(tempfile.mkdtemp(dir=OUT))
    from core.perception.quiet import silence_native_logs
    from gui.app import make_app
    from gui.testing import use_temp_settings

    silence_native_logs()
    use_temp_settings(settings / "settings")
    app = make_app([])
    load = os.getloadavg()[0]
    results: list[Phase] = []
    notes: list[str] = []
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip() in ("720", "1080")]
    for s in sizes:
        video = args.video if s == "720" else video_1080p(args.video)
        run_size(app, f"{s}p", video, args, results, notes)
    speeds: dict[bool, list[float]] = {True: [], False: []}
    if "slowdown" in args.phases:
        for k in range(args.repeat):
            for policy in (True, False):
                fps, ph = track_speed(app, args.video, args, policy, f"speed{k}{int(policy)}")
                speeds[policy].append(fps)
                results.append(ph)
    print(f"\nbench/gui_latency.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"1-minute load average {load:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"{os.cpu_count()} CPUs; step {args.step} frames every {args.cadence_ms:.0f} ms\n")
    print(HEADER)
    for ph in results:
        print(ph.row())
    print()
    for n in notes:
        print("-", n)
    if speeds[True] and speeds[False]:
        a, b = statistics.mean(speeds[True]), statistics.mean(speeds[False])
        print(f"- tracking speed while scrubbed: with the policy {a:.1f} frames/s, without "
              f"{b:.1f} frames/s: the policy costs the job {100 * (1 - a / b):.1f} % "
              f"(target <= 15 %); runs {speeds[True]} / {speeds[False]}")
    (OUT / "result.json").write_text(json.dumps(
        {"args": {k: str(v) for k, v in vars(args).items()}, "load": load,
         "phases": [asdict(p) for p in results], "notes": notes,
         "speeds": {"with": speeds[True], "without": speeds[False]}}, indent=1))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown (VTK/Qt objects of closed windows)
