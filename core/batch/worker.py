"""The batch worker: one long-lived process (a Ray actor) that loads the job's models once and
then runs item after item through the single command's own code (core.batch.jobs.run_item).

Every item starts from an empty DIR/<item>/ (a retried or forced item leaves no stale file),
its printed output and, on failure, its traceback go to DIR/batch_logs/<item>.log, and what it
returns is its batch.jsonl record: an exception becomes ``failed`` with the one-sentence message
the single command would print. A worker process that dies is Ray's to restart and retry.

This module does not import Ray: the driver wraps ``BatchWorker`` with ``ray.remote``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
import time
import traceback
from pathlib import Path

from core.batch.items import BatchItem
from core.batch.jobs import run_item, warm_up
from core.export.batch_record import BatchRecord

#: DIR/<this>/<item>.log keeps what each item printed; never an item's name
LOG_FOLDER = "batch_logs"


def pin_threads(threads: int) -> None:
    """Keep torch and OpenCV of this process to ``threads`` threads, so workers side by side
    never oversubscribe the cores Ray reserved for them."""
    import cv2
    import torch

    torch.set_num_threads(threads)
    with contextlib.suppress(RuntimeError):      # only settable before any parallel work
        torch.set_num_interop_threads(1)
    cv2.setNumThreads(threads)


def node_label() -> str:
    """'<host name> <first 8 hex digits of the Ray node id>' (the host alone outside Ray)."""
    host = socket.gethostname()
    ray = sys.modules.get("ray")                  # a Ray worker has it; nothing else needs it
    if ray is None or not ray.is_initialized():
        return host
    return f"{host} {ray.get_runtime_context().get_node_id()[:8]}"


def item_outputs(out_dir: Path, name: str) -> list[str]:
    """The files of DIR/<name>/, relative to DIR, sorted."""
    folder = out_dir / name
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(out_dir).as_posix() for p in folder.rglob("*") if p.is_file())


class BatchWorker:
    """Runs the items of one batch: ``job`` with ``options`` (core.batch.jobs.job_options),
    writing under ``out_dir``, torch and OpenCV on ``threads`` threads."""

    def __init__(self, job: str, options: dict, out_dir: str, threads: int = 1) -> None:
        self.job = job
        self.options = options
        self.out_dir = Path(out_dir)
        self.warm_error: str | None = None
        pin_threads(threads)
        try:
            warm_up(job, options)
        except Exception as exc:  # noqa: BLE001 - reported by ready(), the driver decides
            from core.cli import one_line

            self.warm_error = one_line(exc)

    def ready(self) -> str | None:
        """None once the models are loaded, else the sentence saying why they could not be."""
        return self.warm_error

    def pid(self) -> int:
        return os.getpid()

    def run(self, item: BatchItem) -> BatchRecord:
        """Run one item and return its record (never raises for the item's own errors)."""
        from core.cli import one_line

        t0 = time.perf_counter()
        folder = self.out_dir / item.name
        shutil.rmtree(folder, ignore_errors=True)
        log_path = self.out_dir / LOG_FOLDER / f"{item.name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        error = self.warm_error
        with open(log_path, "w", encoding="utf-8") as log, \
                contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            print(f"{self.job} {item.input} -> {folder} on {node_label()} (pid {os.getpid()})")
            if error is None:
                try:
                    code = run_item(self.job, item.input, folder, self.options)
                    if code:
                        error = f"The {self.job} command ended with exit status {code}."
                except (Exception, SystemExit) as exc:  # noqa: BLE001 - the item fails alone
                    traceback.print_exc(file=log)
                    error = one_line(exc)
        return BatchRecord(input=item.input, item=item.name,
                           status="failed" if error else "done", error=error,
                           seconds=time.perf_counter() - t0,
                           outputs=item_outputs(self.out_dir, item.name), node=node_label(),
                           options=self.options)
