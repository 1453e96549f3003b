"""MediaPipe's native log lines stay off stderr (core/perception/quiet.py), while everything else
written there (the studio's messages, Python tracebacks) still appears; and ``track`` marks its
fitted frames ``person: true`` in fits.json. The commands run in subprocesses on the bundled
samples, kept short with --frames / --max-frames."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.perception.quiet import native_logs_hidden, quiet_graph, strip_native_records

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "resources" / "samples" / "photo.png"
VIDEO = REPO / "resources" / "samples" / "video.mp4"

#: what a native log line looks like (TensorFlow Lite, absl, glog)
NATIVE = re.compile(r"Created TensorFlow Lite|W0000|All log messages before absl|"
                    r"(^|[\r\n\]])[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]")

SAMPLE_NATIVE = (b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
                 b"WARNING: All log messages before absl::InitializeLog() is called are written "
                 b"to STDERR\n"
                 b"W0000 00:00:1796116063.890947   12947 inference_feedback_manager.cc:114] "
                 b"Feedback manager requires a model with a single signature inference.\n"
                 b"I0412 10:11:12.345678  1234 gl_context.cc:357] GL version: 3.2\n")


def test_strip_keeps_everything_but_native_records():
    ours = (b"error: the input has frames 0..47; choose frames in that range.\n"
            b"Traceback (most recent call last):\n  File \"x.py\", line 1\n"
            b"WARNING:root:a Python logging line\n"
            b"E0000 00:00:1796116063.890947   12947 calculator.cc:1] a native error stays\n")
    bar = b"\rdetect:   0%|          | 0/1 [00:00<?, ?frame/s]"
    assert strip_native_records(SAMPLE_NATIVE + ours) == ours
    assert strip_native_records(bar + SAMPLE_NATIVE) == bar
    assert not NATIVE.search(strip_native_records(SAMPLE_NATIVE).decode())


def test_scope_drops_native_lines_and_keeps_python_output(capfd):
    with native_logs_hidden():
        os.write(2, SAMPLE_NATIVE)
        print("the studio's own message", file=sys.stderr)
        with native_logs_hidden():                      # nests
            os.write(2, b"W0000 00:00:1.5   7 x.cc:1] nested\nstill here\n")
    print("after", file=sys.stderr)
    err = capfd.readouterr().err
    assert err == "the studio's own message\nstill here\nafter\n"


def test_scope_restores_stderr_when_the_call_fails(capfd):
    with pytest.raises(RuntimeError):
        with native_logs_hidden():
            os.write(2, b"W0000 00:00:1.5   7 x.cc:1] dropped\nkept before the error\n")
            raise RuntimeError("graph failed")
    os.write(2, b"stderr is back\n")
    assert capfd.readouterr().err == "kept before the error\nstderr is back\n"


def test_quiet_graph_is_quiet_until_every_output_was_produced(capfd):
    class Graph:
        def __init__(self, found):
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
            self.found = list(found)

        def process(self, _image):
            found = self.found.pop(0)
            os.write(2, b"W0000 00:00:1.5   7 model.cc:1] first run of a model\n")
            return (1, 2) if found else (None, None)

    g = quiet_graph(Graph, [False, True, True])
    assert g.process(0) == (None, None) and g.process(0) == (1, 2)
    assert capfd.readouterr().err == ""
    g.process(0)                                          # warm: no redirect any more
    assert "first run" in capfd.readouterr().err
    assert g.found == []                                  # attributes pass through


def test_quiet_graph_waits_for_the_models_its_graph_opens_on_its_own_threads(capfd):
    """MediaPipe opens a graph's calculators on worker threads after the constructor returned;
    each model logs as it opens. quiet_graph waits inside the scope until the graph is idle."""
    import threading
    import time

    class Calculators:
        def __init__(self):
            self.opener = threading.Thread(target=self.open_models)
            self.opener.start()

        def open_models(self):
            time.sleep(0.2)
            os.write(2, b"W0000 00:00:1.5   7 inference_feedback_manager.cc:114] opened\n")

        def wait_until_idle(self):
            self.opener.join()

    class Solution:
        def __init__(self):
            self._graph = Calculators()

    quiet_graph(Solution)
    time.sleep(0.3)
    assert capfd.readouterr().err == ""


def run_main(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "main.py", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def native_lines(stderr: str) -> list[str]:
    return [ln for ln in re.split(r"[\r\n]", stderr) if NATIVE.search(ln)]


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    out = tmp_path_factory.mktemp("track")
    return run_main("track", str(VIDEO), "--out", str(out), "--max-frames", "12",
                    "--no-overlay"), out


def test_detect_prints_no_native_log_lines(tmp_path):
    done = run_main("detect", str(PHOTO), "--out", str(tmp_path), "--no-previews")
    assert native_lines(done.stderr) == []
    assert "Detected a person in 1 of 1 frame(s)" in done.stdout


def test_fit_prints_no_native_log_lines(tmp_path):
    done = run_main("fit", str(PHOTO), "--out", str(tmp_path), "--quality", "fast")
    assert native_lines(done.stderr) == []
    assert "Fitted the anny body to 1 of 1 frame(s)" in done.stdout


def test_track_prints_no_native_log_lines(tracked):
    done, _ = tracked
    assert native_lines(done.stderr) == []
    assert "frames tracked" in done.stderr                # the studio's own line is kept


def test_track_marks_fitted_frames_person_true(tracked):
    _, out = tracked
    data = json.loads((out / "fits.json").read_text())
    assert list(data) == ["body_model", "input", "frames", "gaps", "camera_up"]   # a video: held
    # gaps, the up its motion files stand on
    assert all(len(gap) == 2 for gap in data["gaps"])
    frames = data["frames"]
    assert [f["index"] for f in frames] == list(range(12))
    with_body = [f for f in frames if f["params"] is not None]
    assert len(with_body) >= 10                            # the person is in every frame
    for f in frames:
        assert f["person"] is (f["status"] in ("fitted", "bridged", "low_confidence"))
        assert f["person"] is (f["params"] is not None)
