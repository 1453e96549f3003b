"""``python main.py batch INPUT... --job fit|track|reconstruct|optimize --out DIR [--workers N]
[--ray ADDRESS] [--force] [job options]``: one job over many inputs, on Ray, resumable.

INPUT: a folder (each photo, video or sub-folder of frames in it is one item), a text manifest
(one path per line, # comments) or several paths. The job's options are its own command's, as
that command spells them (``--quality fast`` for fit, ``--mode``/``--fit-quality`` for
reconstruct, ...). Each item writes DIR/<item>/ exactly as the single command does; DIR/batch.jsonl
gets one line per item as it finishes (core/export/batch_record.py). Running the same command
again skips the items done with the same options (--force runs them again).

Exit status: 0 when every item is done or skipped, 3 when some failed, 2 (one sentence) when the
command itself cannot run.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.batch.jobs import JOBS, job_option_actions
from core.export.batch_record import BatchRecord
from core.types import Progress


class _JobToken(argparse.Action):
    """Collects a job option, as given, into ``args.job_tokens`` (in order) for the job's own
    parser to read once --job is known."""

    def __call__(self, parser, namespace, values, option_string=None):
        tokens = list(getattr(namespace, "job_tokens", None) or [])
        tokens.append(self.option_strings[0])
        if self.nargs != 0:
            tokens += values if isinstance(values, list) else [values]
        namespace.job_tokens = tokens


#: batch's own options (and those every command has): a job option of the same name cannot
#: pass through
BATCH_OPTIONS = frozenset({"-h", "--help", "--debug", "--device", "--job", "--out", "--workers",
                           "--ray", "--force"})


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    """Every option any job's command has, collected raw (checked against the chosen job)."""
    group = parser.add_argument_group("job options (those of the job's own command; see "
                                      "'main.py JOB --help')")
    seen: dict[str, list[str]] = {}
    first: dict[str, argparse.Action] = {}
    for job in JOBS:
        for action in job_option_actions(job):
            if BATCH_OPTIONS.intersection(action.option_strings):
                continue
            key = action.option_strings[0]
            seen.setdefault(key, []).append(job)
            first.setdefault(key, action)
    for key, action in first.items():
        takes_value = action.nargs != 0
        group.add_argument(*action.option_strings, action=_JobToken, dest="job_tokens",
                           nargs=action.nargs if takes_value else 0, default=argparse.SUPPRESS,
                           metavar=action.metavar or (action.dest.upper() if takes_value else None),
                           help=f"[{', '.join(seen[key])}] {action.help or ''}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="a folder, a text manifest (one path per line) or several paths")
    parser.add_argument("--job", required=True, choices=JOBS, help="the command run on each item")
    parser.add_argument("--out", required=True, help="output folder: DIR/<item>/ per item and "
                                                     "DIR/batch.jsonl")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="worker processes (default: as many as the cores hold)")
    parser.add_argument("--ray", default=None, metavar="ADDRESS",
                        help="join a running Ray cluster (HOST:PORT of 'ray start --head', or "
                             "auto) instead of starting one on this machine")
    parser.add_argument("--force", action="store_true",
                        help="run the items done earlier with the same options again")
    _add_job_options(parser)


def _progress_bar(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="item", desc="batch", file=sys.stderr, dynamic_ncols=True,
                leave=False,                          # the summary line takes its place
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} "
                           "[{elapsed}<{remaining}{postfix}]")


def failure_table(records) -> str:
    """A plain table of failed records: item, then the error sentence."""
    rows = [(r.item, r.error or "") for r in records]
    width = max([len("item")] + [len(item) for item, _ in rows])
    lines = [f"{'item'.ljust(width)}  error", f"{'-' * width}  -----"]
    lines += [f"{item.ljust(width)}  {error}" for item, error in rows]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from core.batch import BatchConfig, job_options, plan_batch, run_batch
    from core.errors import StudioError
    from core.progress import drive

    if args.workers < 0:
        raise StudioError(f"--workers must be 1 or more (or 0 for all cores), not {args.workers}.")
    options = job_options(args.job, list(getattr(args, "job_tokens", None) or []), args.device)
    plan = plan_batch(args.inputs, args.out, options, force=args.force)
    if plan.skipped:
        print(f"Skipping {len(plan.skipped)} item(s) already done with the same options "
              "(--force runs them again).", file=sys.stderr)
    shown = []                                 # the bar, made once Ray is up: errors come alone

    def on_progress(p: Progress) -> None:
        if not shown:
            shown.append(_progress_bar(p.total))
        shown[0].set_postfix_str(p.message, refresh=False)
        shown[0].n = p.done
        shown[0].refresh()

    def on_record(record: BatchRecord) -> None:
        if shown and record.status == "failed":
            shown[0].write(f"failed: {record.item}: {record.error}", file=sys.stderr)

    gen = run_batch(plan, BatchConfig(workers=args.workers, address=args.ray))
    try:
        summary = drive(gen, on_progress, on_record)
    finally:
        gen.close()
        for bar in shown:
            bar.close()
    print(summary.line())
    if summary.failures:
        print(failure_table(summary.failures))
    return summary.exit_code
