"""An in-memory `RunStore` for tests, shipped with the library like httpx's test transport.

It keeps the on-disk store's rules: records get consecutive `seq`s and come back as JSON would return
them, data JSON cannot hold is refused with the same `StoreError`, and artifacts are content-addressed.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from looplab.errors import StoreError
from looplab.store._json import encode_json
from looplab.store.artifacts import check_sha, content_bytes, sha256_hex
from looplab.store.events import EventLog, EventRecord, encode_record


class MemoryRunStore:
    """A run held in memory: events, artifacts and summary, lost when the object goes away."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: list[EventRecord] = []
        self._artifacts: dict[str, bytes] = {}
        self._summary: dict[str, Any] | None = None

    def append(self, kind: str, data: Mapping[str, Any]) -> EventRecord:
        with self._lock:
            record, _ = encode_record(len(self._records), self._clock(), kind, data)
            self._records.append(record)
            return record

    def events(self) -> EventLog:
        """Every record appended so far (never torn: memory is not interrupted mid-line)."""
        with self._lock:
            return EventLog(tuple(self._records))

    def put_artifact(self, content: str | bytes) -> str:
        data = content_bytes(content)
        sha = sha256_hex(data)
        with self._lock:
            self._artifacts.setdefault(sha, data)
        return sha

    def get_artifact(self, sha: str) -> bytes:
        with self._lock:
            data = self._artifacts.get(check_sha(sha))
        if data is None:
            raise StoreError(f"Artifact {sha} is not in this in-memory run; it was never stored.")
        return data

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        stored = json.loads(encode_json(dict(summary), pretty=True, what="the run summary"))
        with self._lock:
            self._summary = stored

    def read_summary(self) -> dict[str, Any] | None:
        """The last summary written, or None before the first."""
        with self._lock:
            return copy.deepcopy(self._summary)
