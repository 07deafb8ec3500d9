"""Key locks: one holder per key across threads and processes, other keys free, no files left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from lock_testing import SETTLE_S, held_in_child, hold_in_thread

from looplab.llm.key_lock import KeyLocks


def test_a_second_holder_of_a_key_waits_but_another_key_does_not(tmp_path: Path) -> None:
    locks = KeyLocks(tmp_path / "inflight")
    first = hold_in_thread(lambda: locks.hold("abc"))
    assert first[0].wait(5)
    same = hold_in_thread(lambda: locks.hold("abc"))
    other = hold_in_thread(lambda: locks.hold("def"))
    assert other[0].wait(5)
    assert not same[0].wait(SETTLE_S)
    first[1].set()
    assert same[0].wait(5), "the waiter gets the key once the holder lets go (the file was deleted meanwhile)"
    for _, release, thread in (first, same, other):
        release.set()
        thread.join(5)
    assert list((tmp_path / "inflight").iterdir()) == [], "each holder deletes its lock file"


def test_a_holder_in_another_process_counts_and_a_killed_one_frees_the_key(tmp_path: Path) -> None:
    imports = "from pathlib import Path; from looplab.llm.key_lock import KeyLocks"
    with held_in_child(imports, f"KeyLocks(Path({str(tmp_path)!r})).hold('k1')") as holder:
        got, release, thread = hold_in_thread(lambda: KeyLocks(tmp_path).hold("k1"))
        assert not got.wait(SETTLE_S)
        holder.kill()
        assert got.wait(5)
        release.set()
        thread.join(5)


@pytest.mark.parametrize("key", ["", "a/b", ".hidden"])
def test_a_key_must_be_a_plain_file_name(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="plain file name"), KeyLocks(tmp_path).hold(key):
        pass
