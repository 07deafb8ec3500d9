"""The RunStore seam: what a running loop needs from wherever its records go.

`RunDir` (a directory on disk) and `MemoryRunStore` (in memory, for tests) implement it; the loop is
written against this protocol and gets its store through its constructor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from looplab.store.events import EventLog, EventRecord


@runtime_checkable
class RunStore(Protocol):
    """Records of one run: an append-only event log, content-addressed artifacts and a derived summary.

    Implementations raise `StoreError` for data that cannot be stored as JSON, an unknown or corrupt
    artifact, and storage failures. Records and summaries come back exactly as a reader of the stored JSON
    would see them (tuples as lists, keys as strings).
    """

    def append(self, kind: str, data: Mapping[str, Any]) -> EventRecord:
        """Append one event with the next `seq` and return the record as stored."""
        ...

    def put_artifact(self, content: str | bytes) -> str:
        """Store `content` (text as UTF-8) and return its SHA-256 hex id; storing it again is a no-op."""
        ...

    def get_artifact(self, sha: str) -> bytes:
        """The bytes stored under `sha`."""
        ...

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        """Replace the run's summary (status, task, progress, cost, …) as a whole."""
        ...

    def events(self) -> EventLog:
        """Every record appended so far, in order (a resumed loop replays them)."""
        ...
