"""The slot gate: at most `slots` holders at once, across threads and processes; a dead one frees its slot."""

from __future__ import annotations

from pathlib import Path

import pytest
from lock_testing import SETTLE_S, held_in_child, hold_in_thread

from looplab.llm.slot_gate import SlotGate


def test_a_holder_beyond_the_slots_waits_until_one_is_released(tmp_path: Path) -> None:
    gate = SlotGate(tmp_path, slots=2)
    first = hold_in_thread(gate.hold)
    second = hold_in_thread(gate.hold)
    assert first[0].wait(5) and second[0].wait(5)
    third = hold_in_thread(gate.hold)
    assert not third[0].wait(SETTLE_S)
    first[1].set()
    assert third[0].wait(5)
    for _, release, thread in (first, second, third):
        release.set()
        thread.join(5)


def test_holders_in_other_processes_count_and_a_killed_one_frees_its_slot(tmp_path: Path) -> None:
    imports = "from pathlib import Path; from looplab.llm.slot_gate import SlotGate"
    with held_in_child(imports, f"SlotGate(Path({str(tmp_path)!r}), slots=1).hold()") as holder:
        got, release, thread = hold_in_thread(SlotGate(tmp_path, slots=1).hold)
        assert not got.wait(SETTLE_S)
        holder.kill()
        assert got.wait(5)
        release.set()
        thread.join(5)


def test_hold_reports_the_wait(tmp_path: Path) -> None:
    with SlotGate(tmp_path, slots=1).hold() as waited:
        assert waited >= 0


def test_a_gate_needs_a_slot(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        SlotGate(tmp_path, slots=0)
