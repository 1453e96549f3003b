"""batch on the embedded local Ray, run twice over the same folder: the second run skips every
item the first one finished, decided before any worker starts, in under half the time."""
from __future__ import annotations

import time

from core.export.batch_record import read_batch_records
from fixtures_batch import sample_photos


def test_a_second_run_skips_what_the_first_finished(tmp_path, capsys):
    from main import main

    folder = tmp_path / "in"
    sample_photos(folder, 2)
    out = tmp_path / "out"
    argv = ["batch", str(folder), "--job", "fit", "--out", str(out), "--quality", "fast"]
    t0 = time.perf_counter()
    assert main(argv) == 0
    first = time.perf_counter() - t0
    records = read_batch_records(out)
    assert sorted(r.status for r in records) == ["done"] * 2
    capsys.readouterr()

    t0 = time.perf_counter()
    assert main(argv) == 0
    second = time.perf_counter() - t0
    printed = capsys.readouterr()
    again = read_batch_records(out)[2:]
    assert sorted((r.item, r.status) for r in again) == sorted((r.item, "skipped")
                                                               for r in records)
    assert all(a.outputs == b.outputs for a, b in zip(sorted(again, key=lambda r: r.item),
                                                      sorted(records, key=lambda r: r.item)))
    assert "0 done, 0 failed, 2 skipped of 2 item(s)" in printed.out
    assert second < 0.5 * first, (first, second)
