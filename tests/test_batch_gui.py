"""File ▸ Batch… in the real window: a folder of photos (one broken) run with progress, the
failure listed with its sentence, a double click opening a finished item in the window, and
Cancel stopping a run."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.export.batch_record import read_batch_records
from fixtures_batch import sample_photos
from gui.testing import close_window, new_window

pytestmark = pytest.mark.gui


def test_batch_dialog_runs_lists_failures_opens_items_and_cancels(qtbot, tmp_path, artifacts):
    window = new_window(qtbot)
    try:
        _drive_the_dialog(window, qtbot, tmp_path, artifacts)
    finally:
        close_window(window)


def _drive_the_dialog(window, qtbot, tmp_path, artifacts) -> None:
    folder = tmp_path / "shoot"
    photos = sample_photos(folder, 2)
    (folder / "broken.png").write_bytes(b"")
    file_menu = window.menuBar().actions()[0].menu()
    assert window.actions_by_key["batch"] in file_menu.actions()
    window.actions_by_key["batch"].trigger()
    from gui.dialogs.batch_dialog import BatchDialog

    dialog = window.findChild(BatchDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitExposed(dialog)
    dialog.folder.setText(str(folder))
    assert dialog.out.text() == str(tmp_path / "shoot_batch")
    dialog.job.setCurrentText("fit")
    assert dialog.options.text() == "--quality fast"
    dialog.workers.setValue(1)
    with qtbot.waitSignal(dialog.finished, timeout=300_000) as finished:
        assert dialog.start()
        assert not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    summary = finished.args[0]
    assert summary is not None and summary.exit_code == 3
    assert dialog.table.rowCount() == 3
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text() for r in range(3)}
    assert rows == {"broken_png": "failed", "person0_png": "done", "person1_jpg": "done"}
    assert dialog.failures.text().startswith("1 item(s) failed")
    broken = next(r for r in range(3) if dialog.table.item(r, 0).text() == "broken_png")
    assert "is empty (0 bytes)" in dialog.table.item(broken, 3).text()
    assert "2 done, 1 failed" in dialog.status.text()
    dialog.grab().save(str(artifacts / "batch_dialog.png"))

    done = next(r for r in range(3) if dialog.table.item(r, 0).text() == "person1_jpg")
    dialog.table.cellDoubleClicked.emit(done, 0)                   # what a double click sends
    qtbot.waitUntil(lambda: window.controller.source is not None, timeout=30_000)
    assert Path(window.controller.source.path).resolve() == photos[1].resolve()
    assert "Batch item person1_jpg: its outputs are in" in window.log_panel.toPlainText()

    dialog.force.setChecked(True)                   # run again, Cancel before Ray is up
    with qtbot.waitSignal(dialog.finished, timeout=120_000) as stopped:
        assert dialog.start()
        dialog.cancel()
    assert stopped.args[0] is None or stopped.args[0].cancelled
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert len(read_batch_records(tmp_path / "shoot_batch")) == 3     # nothing more recorded
    dialog.close()
    assert dialog._worker is None
