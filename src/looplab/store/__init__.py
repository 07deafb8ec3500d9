"""The run store: one directory per run, with config, provenance, events, artifacts and summary."""

from looplab.store.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from looplab.store.catalog import (
    FINISHED_KIND,
    RunDetails,
    RunInfo,
    derive_status,
    describe_run,
    find_run,
    list_runs,
)
from looplab.store.events import SCHEMA_VERSION, EventLog, EventRecord, EventWriter, read_events
from looplab.store.memory import MemoryRunStore
from looplab.store.protocol import RunStore
from looplab.store.provenance import Provenance, collect_provenance
from looplab.store.run_dir import RunDir, sanitize_run_name

__all__ = [
    "FINISHED_KIND",
    "SCHEMA_VERSION",
    "EventLog",
    "EventRecord",
    "EventWriter",
    "MemoryRunStore",
    "Provenance",
    "RunDetails",
    "RunDir",
    "RunInfo",
    "RunStore",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "collect_provenance",
    "derive_status",
    "describe_run",
    "find_run",
    "list_runs",
    "read_events",
    "sanitize_run_name",
]
