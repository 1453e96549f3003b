"""DIR/batch.jsonl, the record of a ``batch`` run: one JSON object per line, one line per item,
appended the moment the item finishes (flushed and synced, so a killed run loses nothing that was
written). Later runs over the same DIR append to the same file; the latest line of an input is
its state. Keys, in the order written::

    input     the item's input path as the run resolved it (absolute)
    item      the item's folder under DIR (photo.png -> photo_png; numeric suffix on collisions)
    status    "done", "failed" or "skipped" (done earlier with the same options; not run again)
    error     the one-sentence message the single command would print (null unless failed);
              never a traceback (that goes to DIR/batch_logs/<item>.log)
    seconds   wall time of the item on its worker, seconds (0 when skipped)
    outputs   the files of DIR/<item>/, paths relative to DIR, sorted (a skipped item lists the
              files of the run that made them)
    node      "<host name> <Ray node id, first 8 hex digits>" of the worker (null when skipped)
    options   {"job": ..., and every option of the job's own command with its value, defaults
              included}: an item is skipped only when these are equal
    finished  when the line was written, ISO 8601 UTC

A reader takes every complete line; a last line cut short by a kill is ignored.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

#: the file's name inside DIR
BATCH_RECORD_NAME = "batch.jsonl"
#: what ``status`` can be
STATUSES = ("done", "failed", "skipped")


@dataclass
class BatchRecord:
    """One line of batch.jsonl (field meanings in the module docstring)."""

    input: str
    item: str
    status: str
    error: str | None = None
    seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    node: str | None = None
    options: dict = field(default_factory=dict)
    finished: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")

    def to_json(self) -> str:
        """The record as one JSON line (no newline), keys in the documented order."""
        data = asdict(self)
        data["seconds"] = round(float(self.seconds), 3)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> "BatchRecord":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class BatchRecordWriter:
    """Appends records to DIR/batch.jsonl, each flushed and synced to disk as it is written."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir) / BATCH_RECORD_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, record: BatchRecord) -> None:
        if not record.finished:
            record.finished = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        self._file.write(record.to_json() + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "BatchRecordWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_batch_records(out_dir: str | Path) -> list[BatchRecord]:
    """Every complete record of DIR/batch.jsonl in file order ([] when there is none yet).
    Lines that are not a record (a line cut short by a kill) are skipped."""
    path = Path(out_dir) / BATCH_RECORD_NAME
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(BatchRecord.from_dict(json.loads(line)))
        except (ValueError, TypeError):
            continue
    return records


def latest_by_input(records: list[BatchRecord]) -> dict[str, BatchRecord]:
    """input -> the last record that ran it (done or failed); skipped lines only repeat an
    earlier done record, so they do not change an input's state."""
    latest: dict[str, BatchRecord] = {}
    for record in records:
        if record.status != "skipped":
            latest[record.input] = record
    return latest
