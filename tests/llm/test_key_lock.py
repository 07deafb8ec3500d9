"""Key locks: one holder per key across threads and processes, other keys free, no files left behind."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from looplab.llm.key_lock import KeyLocks

# Long enough for a blocked thread to have taken a free lock, were it free.
SETTLE_S = 0.3


def hold_in_thread(locks: KeyLocks, key: str) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """Start a thread that takes `key`, reports it (`got`) and keeps it until `release` is set."""
    got, release = threading.Event(), threading.Event()

    def run() -> None:
        with locks.hold(key):
            got.set()
            release.wait()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return got, release, thread


def test_a_second_holder_of_a_key_waits_but_another_key_does_not(tmp_path: Path) -> None:
    locks = KeyLocks(tmp_path / "inflight")
    first = hold_in_thread(locks, "abc")
    assert first[0].wait(5)
    same = hold_in_thread(locks, "abc")
    other = hold_in_thread(locks, "def")
    assert other[0].wait(5)
    assert not same[0].wait(SETTLE_S)
    first[1].set()
    assert same[0].wait(5), "the waiter gets the key once the holder lets go (the file was deleted meanwhile)"
    for _, release, thread in (first, same, other):
        release.set()
        thread.join(5)
    assert list((tmp_path / "inflight").iterdir()) == [], "each holder deletes its lock file"


def test_a_holder_in_another_process_counts_and_a_killed_one_frees_the_key(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from looplab.llm.key_lock import KeyLocks\n"
            f"with KeyLocks(Path({str(tmp_path)!r})).hold('k1'):\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        got, release, thread = hold_in_thread(KeyLocks(tmp_path), "k1")
        assert not got.wait(SETTLE_S)
        holder.kill()
        assert got.wait(5)
        release.set()
        thread.join(5)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("key", ["", "a/b", ".hidden"])
def test_a_key_must_be_a_plain_file_name(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="plain file name"), KeyLocks(tmp_path).hold(key):
        pass
