"""The slot gate: at most `slots` holders at once, across threads and processes; a dead one frees its slot."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from looplab.llm.slot_gate import SlotGate

# Long enough for a blocked thread to have taken a free slot, were there one.
SETTLE_S = 0.3


def hold_in_thread(gate: SlotGate) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """Start a thread that takes a slot, reports it (`got`) and keeps it until `release` is set."""
    got, release = threading.Event(), threading.Event()

    def run() -> None:
        with gate.hold():
            got.set()
            release.wait()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return got, release, thread


def test_a_holder_beyond_the_slots_waits_until_one_is_released(tmp_path: Path) -> None:
    gate = SlotGate(tmp_path, slots=2)
    first = hold_in_thread(gate)
    second = hold_in_thread(gate)
    assert first[0].wait(5) and second[0].wait(5)
    third = hold_in_thread(gate)
    assert not third[0].wait(SETTLE_S)
    first[1].set()
    assert third[0].wait(5)
    for _, release, thread in (first, second, third):
        release.set()
        thread.join(5)


def test_holders_in_other_processes_count_and_a_killed_one_frees_its_slot(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from looplab.llm.slot_gate import SlotGate\n"
            f"with SlotGate(Path({str(tmp_path)!r}), slots=1).hold():\n"
            "    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        got, release, thread = hold_in_thread(SlotGate(tmp_path, slots=1))
        assert not got.wait(SETTLE_S)
        holder.kill()
        assert got.wait(5)
        release.set()
        thread.join(5)
    finally:
        holder.kill()
        holder.wait()


def test_hold_reports_the_wait(tmp_path: Path) -> None:
    with SlotGate(tmp_path, slots=1).hold() as waited:
        assert waited >= 0


def test_a_gate_needs_a_slot(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        SlotGate(tmp_path, slots=0)
