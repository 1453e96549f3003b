"""Keep MediaPipe's native log lines (TensorFlow Lite, absl, glog) off the terminal.

MediaPipe 0.10.x logs through absl and TensorFlow Lite's own printer, which read no environment
variable: when a graph first runs its models it writes lines such as
``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``,
``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR`` and
``W0000 00:00:... inference_feedback_manager.cc:114] ...`` straight to file descriptor 2, where
they bury the studio's own messages. So:

- ``silence_native_logs()`` sets the variables the glog/TensorFlow builds do read
  (GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL); call it before mediapipe is imported (main.py,
  gui/app.py and the perception loaders do).
- ``native_logs_hidden()`` redirects fd 2 into a temporary file for a short, scoped call (graph
  creation, a first inference); on leaving, everything captured is written back to the real
  stderr except the native log records themselves, so Python tracebacks, warnings and the
  studio's messages written meanwhile (by any thread) still appear, just a moment later. Native
  errors (``E``/``F`` records) are kept too.
- ``quiet_graph(create, ...)`` builds a MediaPipe solution graph (``pose.Pose``,
  ``face_mesh.FaceMesh``, ``hands.Hands``, ...) inside that scope, waits there until the graph
  is idle (its calculators, and so its models, are opened on the graph's own threads some 20-160
  ms after the constructor returns, and each model's opening logs a line), and wraps it so its
  ``process`` calls run inside the scope until every output has been produced once (after that
  every model of the graph has run and the graph is silent); ``quiet_solution(module)`` does the
  same for every graph class of a solution module.

Nothing here imports mediapipe; the scope nests and is safe to enter from several threads.
"""
from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Environment read by glog and TensorFlow builds of the native libraries (2: warnings and info
#: off, errors kept). setdefault: a user's own choice wins.
QUIET_ENV = {"GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "2"}

#: One native log record (up to and including its newline): glog/absl info and warning records
#: ("W0000 00:00:1712345678.123456   1234 file.cc:114] text") and TensorFlow Lite's / absl's
#: start-up notices. Matched anywhere in a line: a progress bar drawn without a newline may sit
#: in front of it.
NATIVE_RECORD = re.compile(
    rb"(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\s:\]]+:\d+\] [^\n]*"
    rb"|INFO: (?:Created|Initialized) TensorFlow Lite[^\n]*"
    rb"|WARNING: All log messages before absl::InitializeLog\(\)[^\n]*)\n?")


def silence_native_logs() -> None:
    """Set QUIET_ENV (keeping values the user set). Idempotent; call before importing mediapipe."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


def strip_native_records(data: bytes) -> bytes:
    """``data`` without its native log records (NATIVE_RECORD); everything else is kept as is."""
    return NATIVE_RECORD.sub(b"", data)


class _Fd2Redirect:
    """Reference-counted redirect of fd 2 into a temporary file (one for the whole process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: int | None = None
        self._capture = None

    def enter(self) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                return
            _flush_python_stderr()
            try:
                capture = tempfile.TemporaryFile()
                saved = os.dup(2)
            except OSError:            # no usable fd 2 (a detached GUI): nothing to hide
                return
            os.dup2(capture.fileno(), 2)
            self._saved, self._capture = saved, capture

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth > 0 or self._saved is None:
                return
            _flush_python_stderr()
            saved, capture = self._saved, self._capture
            self._saved = self._capture = None
            os.dup2(saved, 2)
            os.close(saved)
            try:
                capture.seek(0)
                kept = strip_native_records(capture.read())
            finally:
                capture.close()
            while kept:
                kept = kept[os.write(2, kept):]


_REDIRECT = _Fd2Redirect()


def _flush_python_stderr() -> None:
    for stream in (sys.stderr, sys.__stderr__):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


@contextmanager
def native_logs_hidden() -> Iterator[None]:
    """Scope in which native log records written to fd 2 are dropped (see the module docstring);
    everything else written to stderr meanwhile is written out on leaving."""
    _REDIRECT.enter()
    try:
        yield
    finally:
        _REDIRECT.leave()


class QuietGraph:
    """A MediaPipe solution graph whose ``process`` runs inside ``native_logs_hidden`` until one
    call has produced every output (each model has run once); other attributes pass through."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph
        self._warm = False

    def process(self, *args: Any, **kwargs: Any) -> Any:
        if self._warm:
            return self._graph.process(*args, **kwargs)
        with native_logs_hidden():
            result = self._graph.process(*args, **kwargs)
        fields = tuple(result) if isinstance(result, tuple) else (result,)
        self._warm = all(f is not None for f in fields)
        return result

    def close(self) -> None:
        with native_logs_hidden():
            self._graph.close()

    def __enter__(self) -> QuietGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def quiet_graph(create: Callable[..., Any], *args: Any, **kwargs: Any) -> QuietGraph:
    """``create(*args, **kwargs)`` (a MediaPipe solution class such as ``pose.Pose``) built with
    native logging hidden, wrapped in a QuietGraph."""
    silence_native_logs()
    with native_logs_hidden():
        graph = create(*args, **kwargs)
        _wait_until_opened(graph)
    return QuietGraph(graph)


def _wait_until_opened(graph: Any) -> None:
    """Block until a MediaPipe solution's calculator graph (``graph._graph``) has nothing left to
    do, i.e. has opened every calculator after ``start_run``; anything else passes."""
    wait = getattr(getattr(graph, "_graph", None), "wait_until_idle", None)
    if callable(wait):
        wait()


class _QuietSolution:
    """A MediaPipe solution module whose graph classes build QuietGraphs."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if isinstance(attr, type) and callable(getattr(attr, "process", None)):
            return functools.partial(quiet_graph, attr)
        return attr


def quiet_solution(module: Any) -> Any:
    """``module`` (e.g. ``mediapipe.python.solutions.pose``) with every graph class (a class with
    a ``process`` method, such as ``Pose``) building a QuietGraph; other names pass through."""
    return _QuietSolution(module)
