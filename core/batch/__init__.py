"""Batch: one job (fit, track, reconstruct, optimize) over many inputs, on Ray, resumable.

    from core.batch import BatchConfig, job_options, plan_batch, run_batch
    from core.progress import drive
    options = job_options("fit", ["--quality", "fast"])
    plan = plan_batch(["photos/"], "out/", options)          # skips what is already done
    summary = drive(run_batch(plan, BatchConfig(workers=2)))  # DIR/batch.jsonl as items finish

items.py names the inputs, jobs.py maps a job to its single command, plan.py decides what runs,
worker.py is the Ray actor, driver.py runs a plan, ray_session.py starts or joins Ray,
local_cluster.py starts a real cluster here (tests, benchmarks); the record is
core/export/batch_record.py.
"""
from core.batch.driver import BatchConfig, BatchSummary, run_batch
from core.batch.items import BatchItem, collect_inputs, item_name, name_items
from core.batch.jobs import JOBS, job_options
from core.batch.plan import BatchPlan, plan_batch

__all__ = ["BatchConfig", "BatchSummary", "run_batch", "BatchItem", "collect_inputs", "item_name",
           "name_items", "JOBS", "job_options", "BatchPlan", "plan_batch"]
