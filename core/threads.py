"""Soft priority for background threads, so long work leaves room for an interactive window.

Linux keeps a nice value per thread, and a thread it creates inherits its creator's; lowering
the priority of the one thread that runs a job (``lower_thread_priority`` called on it) therefore
also lowers every thread the job starts later: the fitting thread of a track, MediaPipe's graph
and XNNPACK threads, FFmpeg's decode threads, torch's OpenMP pool. The priority is soft: a
niced thread still gets every core nobody else wants, so an idle window costs a job nothing.

Elsewhere (macOS, Windows) per-thread nice does not exist and the calls return False.
Raising a nice value needs no privilege; lowering it again does (``CAP_SYS_NICE``), so a thread
lowered once stays lowered: give background work its own long-lived thread.
"""
from __future__ import annotations

import os
import sys
import threading

#: Highest (weakest) nice value Linux accepts.
MAX_NICE = 19


def thread_nice() -> int | None:
    """Nice value of the calling thread (Linux), None where threads have none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    except OSError:
        return None


def lower_thread_priority(by: int) -> bool:
    """Raise the calling thread's nice value by ``by`` steps (capped at 19).

    Threads this thread creates afterwards inherit the new value (Linux). returns: True when
    the value was changed, False on other platforms, for ``by`` <= 0 or when refused.
    """
    current = thread_nice()
    if current is None or by <= 0:
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(MAX_NICE, current + by))
    except OSError:
        return False
    return True
