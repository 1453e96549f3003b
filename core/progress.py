"""Cancellation for long jobs: every core generator checks a CancelToken between steps."""
from __future__ import annotations

import threading

from .errors import Cancelled


class CancelToken:
    """Thread-safe flag set by the GUI/CLI and read by core loops."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled; the results finished so far were kept.")


NEVER = CancelToken()  # a token nobody cancels, the default for non-interactive callers


# The generator protocol shared by the GUI worker, the CLI and the tests
# ----------------------------------------------------------------------
# A long core job is a generator function taking a ``cancel: CancelToken`` keyword. It
#   * yields ``Progress`` objects to report progress,
#   * yields any other object as a partial result as soon as it exists (e.g. a ``FrameFit`` per
#     fitted frame, an ``Observation`` per detected frame) so front ends can stream it,
#   * checks ``cancel`` between steps and, when cancelled, returns (not raises) what it has,
#   * ``return``s its final result (read by front ends from StopIteration.value; see drive()).


def drive(gen, on_progress=None, on_item=None):
    """Run a job generator to the end in the calling thread; returns its final value.

    on_progress(Progress) and on_item(obj) are called for what the generator yields.
    """
    from .types import Progress

    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        if isinstance(item, Progress):
            if on_progress is not None:
                on_progress(item)
        elif on_item is not None:
            on_item(item)
