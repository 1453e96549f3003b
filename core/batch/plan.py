"""What a batch run will do, decided before any worker starts: the named items, which of them
are skipped (done earlier with the same options, outputs still there) and which run."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.batch.items import BatchItem, collect_inputs, name_items
from core.batch.worker import LOG_FOLDER
from core.export.batch_record import (BATCH_RECORD_NAME, BatchRecord, latest_by_input,
                                      read_batch_records)


@dataclass
class BatchPlan:
    """out_dir: DIR. job, options: core.batch.jobs.job_options. items: every item, in input
    order. skipped: a ``skipped`` record per item not run again. to_run: the items to run."""

    out_dir: Path
    job: str
    options: dict
    items: list[BatchItem]
    skipped: list[BatchRecord] = field(default_factory=list)
    to_run: list[BatchItem] = field(default_factory=list)


def _still_done(record: BatchRecord | None, options: dict, out_dir: Path) -> bool:
    return (record is not None and record.status == "done" and record.options == options
            and all((out_dir / p).is_file() for p in record.outputs))


def plan_batch(inputs: list[str], out_dir: str | Path, options: dict,
               force: bool = False) -> BatchPlan:
    """Plan a run of ``options["job"]`` over ``inputs`` (folders, media files, manifests) into
    ``out_dir``. Without ``force`` an item whose latest record is ``done`` with equal options and
    whose outputs all still exist is skipped; every other item runs.

    raises: StudioError when an input does not exist or holds nothing to run.
    """
    out_dir = Path(out_dir).expanduser().resolve()
    paths = collect_inputs(inputs, exclude=out_dir)
    earlier = read_batch_records(out_dir)
    latest = latest_by_input(earlier)
    items = name_items(paths, {r.input: r.item for r in earlier},
                       reserved=(LOG_FOLDER, BATCH_RECORD_NAME))
    plan = BatchPlan(out_dir, options["job"], options, items)
    for item in items:
        record = latest.get(item.input)
        if not force and record is not None and record.item == item.name \
                and _still_done(record, options, out_dir):
            plan.skipped.append(BatchRecord(input=item.input, item=item.name, status="skipped",
                                            outputs=list(record.outputs), options=options))
        else:
            plan.to_run.append(item)
    return plan
