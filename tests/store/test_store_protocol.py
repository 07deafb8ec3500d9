"""`RunDir` and the shipped `MemoryRunStore` behave alike on the `RunStore` protocol."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from looplab.errors import StoreError
from looplab.store import EventLog, MemoryRunStore, Provenance, RunDir, RunStore

StoreFactory = Callable[[Path, Callable[[], float]], RunDir | MemoryRunStore]


class Empty(BaseModel):
    pass


def make_run_dir(tmp_path: Path, clock: Callable[[], float]) -> RunDir | MemoryRunStore:
    provenance = Provenance(looplab_version="0", python_version="3", platform="p", hostname="h", argv=())
    return RunDir.create(tmp_path, "proto", Empty(), provenance, clock=clock)


def make_memory(tmp_path: Path, clock: Callable[[], float]) -> RunDir | MemoryRunStore:
    return MemoryRunStore(clock=clock)


@pytest.fixture(params=[make_run_dir, make_memory], ids=["run_dir", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RunDir | MemoryRunStore:
    ticks = iter(float(n) for n in range(1000))
    factory: StoreFactory = request.param
    return factory(tmp_path, lambda: next(ticks))


def test_is_a_run_store(store: RunDir | MemoryRunStore) -> None:
    assert isinstance(store, RunStore)


def test_events(store: RunDir | MemoryRunStore) -> None:
    first = store.append("proposal", {"values": ("a", 1), "nested": {"t": (2,)}})
    second = store.append("trial_result", {"score": 0.5})
    assert (first.seq, second.seq) == (0, 1)
    assert second.ts > first.ts
    assert first.data == {"values": ["a", 1], "nested": {"t": [2]}}
    assert store.events() == EventLog((first, second))


def test_refuses_what_json_cannot_hold(store: RunDir | MemoryRunStore) -> None:
    with pytest.raises(StoreError, match="not JSON-serializable"):
        store.append("bad", {"x": object()})
    with pytest.raises(StoreError, match="not JSON-serializable"):
        store.write_summary({"x": {1}})
    assert store.append("ok", {}).seq == 0


def test_artifacts(store: RunDir | MemoryRunStore) -> None:
    sha = store.put_artifact("text ✓")
    assert store.put_artifact("text ✓".encode()) == sha
    assert store.get_artifact(sha) == "text ✓".encode()
    with pytest.raises(StoreError):
        store.get_artifact("f" * 64)
    with pytest.raises(StoreError, match="not an artifact id"):
        store.get_artifact("F" * 64)


def test_summary(store: RunDir | MemoryRunStore) -> None:
    assert store.read_summary() is None
    summary = {"status": "running", "scores": (1, 2)}
    store.write_summary(summary)
    assert store.read_summary() == {"status": "running", "scores": [1, 2]}
    read = store.read_summary()
    assert read is not None
    read["status"] = "changed"
    assert store.read_summary() == {"status": "running", "scores": [1, 2]}
