"""The batch driver: runs a BatchPlan's items on Ray workers and records each as it finishes.

Ray does the work of a scheduler: ``BatchWorker`` actors (one per worker, each holding the cores
its job keeps busy) are handed items by Ray's ``ActorPool`` as they become free; an actor whose
process dies is restarted by Ray (``max_restarts``) and the item it was running is retried on it
(``max_task_retries``), wherever Ray places it, so the item still finishes and comes back
exactly once. Only an item that kills its worker on every try is recorded failed.
"""
from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from core.batch.items import BatchItem
from core.batch.jobs import worker_cpus
from core.batch.plan import BatchPlan
from core.batch.ray_session import cluster_worker_slots, local_cores, ray_session
from core.batch.worker import BatchWorker
from core.errors import StudioError
from core.export.batch_record import BATCH_RECORD_NAME, BatchRecord, BatchRecordWriter
from core.progress import NEVER, CancelToken
from core.types import Progress


@dataclass
class BatchConfig:
    """How a plan runs."""

    workers: int = 0
    """Worker processes; 0: as many as the cores hold (this machine's, or the cluster's alive
    nodes'), never more than there are items to run."""
    address: str | None = None
    """None: an embedded local Ray; "auto" or "HOST:PORT": an existing cluster."""
    max_task_retries: int = 2
    """Times Ray reruns an item whose worker process died (on the restarted worker)."""
    poll_s: float = 0.25
    """How often the driver looks at Cancel while it waits, seconds."""


@dataclass
class BatchSummary:
    """The outcome of one run. records: this run's records (skipped, done, failed) in the order
    written; cancelled: Cancel stopped it (the items not recorded run next time)."""

    out_dir: Path
    records: list[BatchRecord] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.records)

    @property
    def failures(self) -> list[BatchRecord]:
        return [r for r in self.records if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every item is done or skipped, 3 when some failed (or Cancel left some)."""
        return 3 if self.failures or self.cancelled else 0

    def line(self) -> str:
        """One line: the counts, the time and where the records are."""
        stop = " (cancelled: run it again to finish the rest)" if self.cancelled else ""
        return (f"{self.count('done')} done, {self.count('failed')} failed, "
                f"{self.count('skipped')} skipped of {len(self.records)} item(s) in "
                f"{self.seconds:.0f} s{stop}; records in {self.out_dir / BATCH_RECORD_NAME}")


def _ray_failure(item: BatchItem, exc: BaseException, options: dict, tries: int) -> BatchRecord:
    """The record of an item Ray could not finish (its worker died on every try)."""
    from ray.exceptions import OutOfMemoryError

    if isinstance(exc, OutOfMemoryError):
        error = (f"The worker ran out of memory on this item ({tries} tries); free memory or run "
                 "fewer workers (--workers).")
    else:
        error = (f"The worker process died on this item {tries} times ({type(exc).__name__}); run "
                 "the single command on this input to see why.")
    return BatchRecord(input=item.input, item=item.name, status="failed", error=error,
                       options=options)


class _InFlight:
    """Which item each submitted call carries, so that a call Ray gives up on (its worker died
    on every try) still yields that item's own failed record."""

    def __init__(self) -> None:
        self.refs: dict = {}

    def submit(self, actor, item: BatchItem):
        ref = actor.run.remote(item)
        self.refs[ref] = item
        return ref

    def finished(self, record: BatchRecord) -> None:
        for ref, item in list(self.refs.items()):
            if item.name == record.item:
                del self.refs[ref]
                return

    def given_up(self) -> list[tuple[BatchItem, BaseException]]:
        import ray
        from ray.exceptions import RayError

        if not self.refs:
            return []
        ready, _ = ray.wait(list(self.refs), num_returns=len(self.refs), timeout=0)
        lost = []
        for ref in ready:
            try:
                ray.get(ref, timeout=0)
            except RayError as exc:
                lost.append((self.refs.pop(ref), exc))
        return lost


def _default_workers(address: str | None, threads: int) -> int:
    if address:
        return max(1, cluster_worker_slots(threads))
    return max(1, local_cores() // threads)


def _run_items(plan: BatchPlan, config: BatchConfig, threads: int, cancel: CancelToken,
               ) -> Generator[BatchRecord, None, None]:
    """Yield the record of every item of ``plan.to_run`` as it finishes (inside a Ray session)."""
    import ray
    from ray.exceptions import RayError
    from ray.util import ActorPool

    count = min(len(plan.to_run), config.workers or _default_workers(config.address, threads))
    remote = ray.remote(BatchWorker).options(num_cpus=threads, max_restarts=-1,
                                             max_task_retries=config.max_task_retries)
    actors = [remote.remote(plan.job, plan.options, str(plan.out_dir), threads)
              for _ in range(count)]
    try:
        starting = {actor.ready.remote(): actor for actor in actors}
        pool, inflight = ActorPool([]), _InFlight()
        for item in plan.to_run:
            pool.submit(inflight.submit, item)
        left, started, warm_errors = len(plan.to_run), 0, []
        while left and not cancel.cancelled:
            if starting:                   # workers join the pool as their models are loaded
                ready, _ = ray.wait(list(starting), num_returns=len(starting),
                                    timeout=0 if started else config.poll_s)
                for ref in ready:
                    actor = starting.pop(ref)
                    try:
                        error = ray.get(ref)
                    except RayError as exc:
                        error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                    if error is None:
                        pool.push(actor)
                        started += 1
                    else:
                        warm_errors.append(error)
                        ray.kill(actor, no_restart=True)
                if not started and not starting:
                    raise StudioError(f"No worker could start: {warm_errors[0]}")
            if not pool.has_next():
                if not starting:                     # every worker is gone for good
                    raise StudioError(f"Every worker stopped for good with {left} item(s) not "
                                      "run; run the same command again to resume.")
                continue
            try:
                records = [pool.get_next_unordered(timeout=config.poll_s)]
                inflight.finished(records[0])
            except TimeoutError:
                continue
            except RayError:
                records = [_ray_failure(item, exc, plan.options, config.max_task_retries + 1)
                           for item, exc in inflight.given_up()]
            for record in records:
                left -= 1
                yield record
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)


def run_batch(plan: BatchPlan, config: BatchConfig | None = None, cancel: CancelToken = NEVER,
              ) -> Generator[Progress | BatchRecord, None, BatchSummary]:
    """Run ``plan``: write a ``skipped`` record for each skipped item, then run the others on
    Ray and append each item's record to DIR/batch.jsonl the moment it finishes.

    yields: each BatchRecord as written, and Progress("batch", finished, to run, "done d ·
        failed f · left l"). returns: the BatchSummary. Cancel stops at once: workers are
        stopped, the items not finished get no record and run next time.
    raises: StudioError when Ray or the workers cannot start (no record is then written for
        the items not run).
    """
    config = config or BatchConfig()
    t0 = time.perf_counter()
    summary = BatchSummary(plan.out_dir)
    total = len(plan.to_run)
    with BatchRecordWriter(plan.out_dir) as writer:
        for record in plan.skipped:
            writer.write(record)
            summary.records.append(record)
            yield record
        if total and not cancel.cancelled:
            threads = worker_cpus(plan.job, plan.options)
            slots = config.workers or _default_workers(None, threads)
            with ray_session(config.address, slots * threads, threads):
                yield Progress("batch", 0, total, "starting the workers")
                done = failed = 0
                for record in _run_items(plan, config, threads, cancel):
                    writer.write(record)
                    summary.records.append(record)
                    done += record.status == "done"
                    failed += record.status == "failed"
                    yield record
                    yield Progress("batch", done + failed, total, f"done {done} · failed "
                                   f"{failed} · left {total - done - failed}")
    summary.cancelled = cancel.cancelled and len(summary.records) < len(plan.items)
    summary.seconds = time.perf_counter() - t0
    return summary
