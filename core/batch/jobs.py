"""The jobs a batch runs: fit, track, reconstruct and optimize, each exactly its single command.

A job's options are its command's own: they are read off the command's argparse parser
(``core.cli.<job>.add_arguments``), parsed by that parser (types, choices and defaults included)
and an item runs the command's own ``run(args)`` with them, input and --out set to the item.
So DIR/<item>/ always has the single command's layout, an item fails with the sentence the
single command would print, and an option a command gains (``--formats``) is a batch option
without a change here.
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from types import ModuleType

from core.errors import StudioError

#: what ``--job`` accepts
JOBS = ("fit", "track", "reconstruct", "optimize")

#: options that name one input's own file, meaningless over many inputs: job -> option strings
PER_INPUT_OPTIONS: dict[str, tuple[str, ...]] = {"reconstruct": ("--mask",),
                                                 "optimize": ("--resume",)}

#: the options every item sets itself (dest names of the command's parser)
_ITEM_DESTS = ("input", "out")


def job_module(job: str) -> ModuleType:
    """core.cli.<job>, the single command the job runs."""
    if job not in JOBS:
        raise StudioError(f"There is no job '{job}'; choose one of {', '.join(JOBS)}.")
    return importlib.import_module(f"core.cli.{job}")


class _JobParser(argparse.ArgumentParser):
    """The command's parser, keeping the actions it was given and answering bad options with
    a StudioError instead of printing usage and exiting."""

    def __init__(self, job: str) -> None:
        super().__init__(prog=f"main.py {job}", add_help=False, allow_abbrev=False)
        self.job = job
        self.recorded: list[argparse.Action] = []

    def add_argument(self, *args, **kwargs):  # noqa: D102 - argparse's own
        action = super().add_argument(*args, **kwargs)
        self.recorded.append(action)
        return action

    def error(self, message: str):  # noqa: D102 - argparse's own
        raise StudioError(f"The {self.job} job cannot take these options ({message}); give them "
                          f"as 'main.py {self.job}' spells them.")


def job_parser(job: str) -> _JobParser:
    """The single command's parser of ``job`` (plus the --device every command has)."""
    parser = _JobParser(job)
    parser.add_argument("--device", default=None, help="auto (default), cpu or cuda")
    job_module(job).add_arguments(parser)
    return parser


def job_option_actions(job: str) -> list[argparse.Action]:
    """The options of ``job`` a batch passes through: every optional argument of its command
    except --out (and --device, which batch has itself)."""
    return [a for a in job_parser(job).recorded
            if a.option_strings and a.dest not in _ITEM_DESTS and a.dest != "device"]


def job_options(job: str, tokens: list[str], device: str | None = None) -> dict:
    """The options of one batch run: ``{"job": job, <dest>: value, ...}`` for every option of
    the job's command, defaults included, from ``tokens`` spelled as that command spells them
    (e.g. ["--quality", "fast"]).

    raises: StudioError (one sentence) for an option the job does not have, an option naming one
        input's own file, a value the command's parser refuses, or a --formats list it does not
        write.
    """
    parser = job_parser(job)
    known = {s for a in parser.recorded for s in a.option_strings}
    for token in tokens:
        name = token.split("=", 1)[0]
        if not name.startswith("--"):
            continue
        if name not in known or name == "--out":
            offered = sorted(s for a in job_option_actions(job) for s in a.option_strings
                             if s.startswith("--"))
            raise StudioError(f"The {job} job has no option {name}; its options are "
                              f"{', '.join(offered) or 'none'}.")
        if name in PER_INPUT_OPTIONS.get(job, ()):
            raise StudioError(f"{name} names one input's own file, so a batch cannot give it to "
                              f"every item; run '{job}' alone for that input.")
    args = parser.parse_args(["INPUT", "--out", "DIR", *tokens]
                             + (["--device", device] if device else []))
    options = {k: v for k, v in sorted(vars(args).items()) if k not in _ITEM_DESTS}
    if options.get("formats") is not None:        # a bad list would fail every item alike
        from core.export.formats import parse_formats

        parse_formats(options["formats"], job, body_name=options.get("body") or "anny")
    return {"job": job, **options}


def worker_cpus(job: str, options: dict) -> int:
    """Cores one worker of ``job`` keeps busy, which Ray reserves for it: track detects and fits
    in two threads at once; optimize uses --threads; fit and reconstruct one."""
    if job == "track":
        return 2
    if job == "optimize":
        return max(1, int(options.get("threads") or 1))
    return 1


def run_item(job: str, input_path: str | Path, out_dir: str | Path, options: dict) -> int:
    """Run the single command of ``job`` on one input, writing into ``out_dir``; returns its exit
    status (0). Raises what the command raises."""
    values = {k: v for k, v in options.items() if k != "job"}
    args = argparse.Namespace(input=str(input_path), out=str(out_dir), debug=False, **values)
    return int(job_module(job).run(args) or 0)


def warm_up(job: str, options: dict) -> None:
    """Load what every item of ``job`` needs (the body model, MediaPipe) once per worker."""
    from core.body import load_body_model
    from core.perception import PoseDetector

    job_module(job)
    load_body_model(options.get("body") or "anny", options.get("model_dir"), options.get("device"))
    PoseDetector("image").close()
