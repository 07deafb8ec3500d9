"""Journal: keyed events, so that re-running a loop over its own log repeats nothing it already did.

Every event the loop writes carries a `key` naming the step it records ("trial:validation:<version>:<item>",
"proposal:3:0:0", "update:3"). A resumed run executes the loop again from the top; each step first asks the
journal whether its key is already recorded and, if so, takes the recorded data instead of doing the work.
New steps are appended with the next `seq`. So a run killed at any moment resumes losing no completed step,
and a resumed run's log is the log an uninterrupted run would have written.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from looplab.store.protocol import RunStore


class Journal:
    """The keyed view of one run's events, with append-if-new."""

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._by_key: dict[str, dict[str, Any]] = {}
        self.replayed = 0
        for record in store.events().records:
            key = record.data.get("key")
            if isinstance(key, str):
                self._by_key[key] = record.data

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            data = self._by_key.get(key)
            if data is not None:
                self.replayed += 1
            return data

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._by_key

    def record(self, kind: str, key: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Append `data` under `key` unless the key is recorded; return the recorded data either way."""
        with self._lock:
            existing = self._by_key.get(key)
            if existing is not None:
                return existing
            stored = self.store.append(kind, {"key": key, **data}).data
            self._by_key[key] = stored
            return stored

    def records_of(self, kind_prefix: str) -> list[dict[str, Any]]:
        """Recorded data whose key starts with `kind_prefix` (e.g. "llm:"), in log order."""
        with self._lock:
            return [data for key, data in self._by_key.items() if key.startswith(kind_prefix)]
