"""`looplab.file_lock`: one holder at a time, a refusal that names the holder, no files left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab import file_lock


def test_a_held_lock_refuses_a_caller_that_will_not_wait_and_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "run.lock"
    held = file_lock.acquire(path, wait=False, note="pid 1 on here")
    with pytest.raises(file_lock.LockBusy) as refused:
        file_lock.acquire(path, wait=False)
    assert refused.value.holder == "pid 1 on here" and refused.value.path == path
    held.release()
    assert not path.exists(), "the holder deletes the file when it lets go"
    with file_lock.hold(path, wait=False, note="pid 2"):
        assert path.read_text(encoding="utf-8") == "pid 2"
    assert not path.exists()


def test_a_longer_note_is_replaced_not_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    path.write_text("a stale note from a dead holder", encoding="utf-8")
    with file_lock.hold(path, note="fresh"):
        assert path.read_text(encoding="utf-8") == "fresh"
