"""Batch without Ray: item naming, folders and manifests, the job's options as its own command
spells them, the batch.jsonl record, and what a rerun skips."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.batch import collect_inputs, job_options, name_items, plan_batch
from core.errors import StudioError
from core.export.batch_record import BatchRecord, BatchRecordWriter, read_batch_records


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_names_make_dots_underscores_and_number_collisions(tmp_path):
    paths = [tmp_path / "a" / "photo.png", tmp_path / "b" / "photo.png", tmp_path / "Photo.PNG",
             tmp_path / "clip.v2.mp4", tmp_path / "frames"]
    items = name_items(paths, reserved=("batch_logs",))
    assert [i.name for i in items] == ["photo_png", "photo_png_2", "Photo_PNG_3", "clip_v2_mp4",
                                       "frames"]
    assert [i.input for i in items] == [str(p) for p in paths]
    # a name given by an earlier run stays with its input, even when the order changes
    again = name_items(paths[::-1], earlier={str(paths[1]): "photo_png_2"})
    assert {i.input: i.name for i in again}[str(paths[1])] == "photo_png_2"
    assert len({i.name.lower() for i in again}) == len(paths)
    assert name_items([tmp_path / "batch_logs"], reserved=("batch_logs",))[0].name == "batch_logs_2"


def test_folder_items_are_media_files_and_frame_folders(tmp_path):
    folder = tmp_path / "in"
    for name in ("b.png", "a.JPG", "clip.mp4", "notes.txt", ".hidden.png"):
        _touch(folder / name)
    _touch(folder / "frames" / "0001.png")
    _touch(folder / "empty_dir" / "readme.md")
    _touch(folder / "out" / "x.png")                              # the batch's own DIR
    found = collect_inputs([str(folder)], exclude=folder / "out")
    assert [p.name for p in found] == ["a.JPG", "b.png", "clip.mp4", "frames"]


def test_manifest_lines_are_items_relative_to_the_manifest(tmp_path):
    _touch(tmp_path / "p" / "one.png")
    _touch(tmp_path / "frames" / "0001.png")
    manifest = _touch(tmp_path / "list.txt", "# my shoot\np/one.png\n\n frames  # a folder\n"
                                             "missing.png\np/one.png\n")
    found = collect_inputs([str(manifest)])
    assert found == [(tmp_path / "p" / "one.png").resolve(), (tmp_path / "frames").resolve(),
                     (tmp_path / "missing.png").resolve()]   # a missing line fails as an item


def test_inputs_that_cannot_run_are_one_sentence(tmp_path):
    with pytest.raises(StudioError, match="does not exist"):
        collect_inputs([str(tmp_path / "nope")])
    _touch(tmp_path / "empty" / "notes.txt")
    with pytest.raises(StudioError, match="No photo, video or folder of frames"):
        collect_inputs([str(tmp_path / "empty")])


def test_options_are_the_commands_own_with_defaults():
    from core.batch.jobs import job_option_actions

    fit = job_options("fit", ["--quality", "fast"])
    assert set(fit) == {"job", "device"} | {a.dest for a in job_option_actions("fit")}
    assert {k: fit[k] for k in ("job", "body", "device", "frames", "model_dir", "quality")} == {
        "job": "fit", "body": "anny", "device": None, "frames": "all", "model_dir": None,
        "quality": "fast"}
    assert job_options("fit", ["--quality", "balanced"]) == job_options("fit", [])
    rec = job_options("reconstruct", ["--mode", "implicit", "--fit-quality", "fast"], "cpu")
    assert rec["mode"] == "implicit" and rec["fit_quality"] == "fast" and rec["device"] == "cpu"
    with pytest.raises(StudioError, match=r"The fit job has no option --mode; its options are "):
        job_options("fit", ["--mode", "depth"])
    with pytest.raises(StudioError, match="--resume names one input's own file"):
        job_options("optimize", ["--resume", "state.npz"])
    with pytest.raises(StudioError, match="The fit job cannot take these options"):
        job_options("fit", ["--quality", "superb"])
    assert job_options("track", ["--formats", "glb,bvh"])["formats"] == "glb,bvh"
    with pytest.raises(StudioError, match="Unknown format 'fbx' in --formats"):
        job_options("fit", ["--formats", "fbx"])           # refused once, not by every item


def test_cli_refuses_an_option_of_another_job_with_exit_2(tmp_path, capsys):
    from main import main

    _touch(tmp_path / "in" / "a.png")
    code = main(["batch", str(tmp_path / "in"), "--job", "fit", "--out", str(tmp_path / "o"),
                 "--mode", "depth"])
    from core.batch.jobs import job_option_actions

    err = capsys.readouterr().err.strip().splitlines()
    offered = sorted(s for a in job_option_actions("fit") for s in a.option_strings)
    assert "--quality" in offered and "--mode" not in offered
    assert code == 2 and err == ["error: The fit job has no option --mode; its options are "
                                 f"{', '.join(offered)}."]


def test_records_round_trip_and_a_torn_last_line_is_ignored(tmp_path):
    with BatchRecordWriter(tmp_path) as writer:
        writer.write(BatchRecord(input="/x/a.png", item="a_png", status="done", seconds=1.23456,
                                 outputs=["a_png/fits.json"], node="host 1234abcd",
                                 options={"job": "fit"}))
    with open(tmp_path / "batch.jsonl", "a") as f:
        f.write('{"input": "/x/b.png", "item": "b_p')                 # killed mid-write
    lines = (tmp_path / "batch.jsonl").read_text().splitlines()
    assert list(json.loads(lines[0])) == ["input", "item", "status", "error", "seconds",
                                          "outputs", "node", "options", "finished"]
    records = read_batch_records(tmp_path)
    assert len(records) == 1 and records[0].seconds == 1.235 and records[0].finished
    with pytest.raises(ValueError):
        BatchRecord(input="a", item="a", status="maybe")


def test_rerun_skips_done_items_with_the_same_options_only(tmp_path):
    folder = tmp_path / "in"
    for name in ("a.png", "b.png", "c.png", "d.png"):
        _touch(folder / name)
    out = tmp_path / "out"
    fast = job_options("fit", ["--quality", "fast"])
    first = plan_batch([str(folder)], out, fast)
    assert [i.name for i in first.to_run] == ["a_png", "b_png", "c_png", "d_png"]
    a, b, c, d = first.to_run
    with BatchRecordWriter(out) as writer:
        for item, status in ((a, "done"), (b, "failed"), (c, "done"), (d, "done")):
            _touch(out / item.name / "fits.json")
            writer.write(BatchRecord(input=item.input, item=item.name, status=status,
                                     outputs=[f"{item.name}/fits.json"], options=fast))
    (out / "d_png" / "fits.json").unlink()                          # an output went missing
    again = plan_batch([str(folder)], out, fast)
    assert [r.item for r in again.skipped] == ["a_png", "c_png"]
    assert all(r.status == "skipped" and r.outputs for r in again.skipped)
    assert [i.name for i in again.to_run] == ["b_png", "d_png"]
    assert plan_batch([str(folder)], out, fast, force=True).skipped == []
    best = job_options("fit", ["--quality", "best"])
    assert plan_batch([str(folder)], out, best).skipped == []       # other options run again


def test_an_unreachable_cluster_is_one_sentence_and_exit_2(tmp_path, capsys):
    from core.batch.local_cluster import free_port
    from main import main

    _touch(tmp_path / "in" / "a.png")
    port = free_port()
    code = main(["batch", str(tmp_path / "in"), "--job", "fit", "--out", str(tmp_path / "o"),
                 "--ray", f"127.0.0.1:{port}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"error: No Ray cluster answers at 127.0.0.1:{port}; start one")
    assert not (tmp_path / "o" / "batch.jsonl").exists() or \
        (tmp_path / "o" / "batch.jsonl").read_text() == ""
