"""The event log: `events.jsonl`, append-only JSON lines, each flushed and fsync'ed as it is written.

Every line is one `EventRecord`; `seq` counts from 0 without gaps, so a reader can tell a log that two
processes wrote to, or that was edited, from an honest one. A `kill -9` loses at most the line being
written: that torn last line is reported by `read_events` and set aside (never deleted) by the next
`EventWriter`, which then continues the sequence after the last complete record.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from looplab.errors import StoreError
from looplab.store._json import encode_json
from looplab.store.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""The newest record layout this looplab writes and reads."""


class EventRecord(BaseModel):
    """One line of `events.jsonl`: what happened (`kind`, `data`), when (`ts`) and in which order (`seq`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(ge=1, description="Layout of this record; readers refuse newer ones.")
    seq: int = Field(ge=0, description="Position in the log: 0 for the first record, then +1 each.")
    ts: float = Field(description="Unix time (seconds) at which the record was appended.")
    kind: str = Field(min_length=1, description="What happened, e.g. 'trial_result' or 'run_finished'.")
    data: dict[str, Any] = Field(description="The facts of the event, as plain JSON values.")


@dataclass(frozen=True)
class EventLog:
    """The complete records of a log, and the text of a torn last line if a crash left one."""

    records: tuple[EventRecord, ...]
    torn_tail: str | None = None

    @property
    def next_seq(self) -> int:
        """The `seq` the next appended record gets."""
        return len(self.records)


def encode_record(seq: int, ts: float, kind: str, data: Mapping[str, Any]) -> tuple[EventRecord, bytes]:
    """Build the record and its line (with newline); the record is what a reader will get back.

    The record is parsed back from the encoded line, so tuples come back as lists and non-string keys as
    strings, exactly as they will after a restart.
    """
    if not isinstance(kind, str) or not kind:
        raise StoreError(f"An event kind must be a non-empty string, got {kind!r}.")
    payload = {"schema_version": SCHEMA_VERSION, "seq": seq, "ts": ts, "kind": kind, "data": dict(data)}
    line = encode_json(payload, pretty=False, what=f"event {kind!r}") + b"\n"
    return EventRecord.model_validate(json.loads(line)), line


# --- reading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    records: tuple[EventRecord, ...]
    torn: bytes | None  # the torn last line exactly as on disk (with its newline, if it had one)
    good_length: int  # bytes up to and including the newline of the last complete record


def _read_bytes(path: Path, missing_ok: bool) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if missing_ok:
            return b""
        raise StoreError(
            f"The event log {path} does not exist. Is {path.parent} a looplab run directory?"
        ) from None
    except OSError as error:
        raise StoreError(f"Could not read the event log {path}: {error.strerror or error}.") from error


def _corrupt(path: Path, lineno: int, problem: str) -> StoreError:
    return StoreError(
        f"{path}, line {lineno}: {problem}. A crash can only tear the last line, so the log was edited or "
        "two processes wrote to it. Move the run aside, or repair or delete that line by hand."
    )


def _parse_line(path: Path, lineno: int, line: bytes, expected_seq: int, last: bool) -> EventRecord | None:
    """The record on one line, or None if it is the last line and not valid JSON (torn by a crash)."""
    try:
        obj = json.loads(line)
    except ValueError as error:  # also invalid UTF-8
        if last:
            return None
        raise _corrupt(path, lineno, f"not valid JSON ({error})") from None
    if not isinstance(obj, dict):
        raise _corrupt(path, lineno, f"expected a JSON object, found {type(obj).__name__}")
    version = obj.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise StoreError(
            f"{path}, line {lineno}: the record has schema_version {version}, but this looplab reads "
            f"versions up to {SCHEMA_VERSION}. The run was written by a newer looplab; upgrade with: "
            "pip install -U looplab"
        )
    try:
        record = EventRecord.model_validate(obj)
    except ValidationError as error:
        fields = ", ".join(".".join(str(p) for p in issue["loc"]) or "(top)" for issue in error.errors())
        raise _corrupt(path, lineno, f"not an event record (bad fields: {fields})") from None
    if record.seq != expected_seq:
        raise _corrupt(path, lineno, f"seq is {record.seq}, expected {expected_seq}")
    return record


def _scan(path: Path, missing_ok: bool = False) -> _Scan:
    lines = _read_bytes(path, missing_ok).split(b"\n")
    tail = lines.pop()  # the bytes after the last newline: empty unless the last write was cut short
    records: list[EventRecord] = []
    offset = 0
    for index, line in enumerate(lines):
        last = index == len(lines) - 1 and not tail
        record = _parse_line(path, index + 1, line, len(records), last)
        if record is None:
            return _Scan(tuple(records), line + b"\n", offset)
        records.append(record)
        offset += len(line) + 1
    return _Scan(tuple(records), tail or None, offset)


def read_events(path: Path) -> EventLog:
    """Read every complete record; a torn last line is reported in `torn_tail`, not raised.

    Raises `StoreError` if the file is missing, if a line other than the last is malformed (naming the
    line), if `seq` skips, or if a record was written by a newer looplab.
    """
    scan = _scan(path)
    torn = None if scan.torn is None else scan.torn.decode("utf-8", errors="replace").removesuffix("\n")
    return EventLog(scan.records, torn)


# --- writing ---------------------------------------------------------------------------------------------


def _torn_path(path: Path) -> Path:
    stem = path.name.split(".", 1)[0]
    number = 1
    while (candidate := path.with_name(f"{stem}.torn.{number}.txt")).exists():
        number += 1
    return candidate


def _recover(path: Path) -> _Scan:
    """Scan `path`; if its last line is torn, move that text aside and truncate the log to the last record."""
    scan = _scan(path, missing_ok=True)
    if scan.torn is None:
        return scan
    aside = _torn_path(path)
    atomic_write_bytes(aside, scan.torn)
    try:
        with path.open("r+b") as handle:
            handle.truncate(scan.good_length)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        raise StoreError(
            f"Could not truncate the torn last line of {path}: {error.strerror or error}."
        ) from error
    logger.warning(
        "%s ended with a torn line (the writer was killed mid-write); moved its %d bytes to %s and "
        "continuing at seq=%d.",
        path,
        len(scan.torn),
        aside.name,
        len(scan.records),
    )
    return scan


class EventWriter:
    """Appends records to one `events.jsonl`, continuing its `seq`; safe to share between threads.

    Opening a log whose last line is torn moves that text to `events.torn.<n>.txt` next to it and truncates
    the log back to its last complete record (with a logged warning). One process writes a log at a time.
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._lock = threading.Lock()
        scan = _recover(path)
        self._next_seq = len(scan.records)
        self._size = scan.good_length
        try:
            self._file: IO[bytes] | None = path.open("ab", buffering=0)
        except OSError as error:
            raise StoreError(f"Could not open the event log {path}: {error.strerror or error}.") from error

    @property
    def path(self) -> Path:
        return self._path

    @property
    def next_seq(self) -> int:
        """The `seq` the next appended record gets."""
        return self._next_seq

    def append(self, kind: str, data: Mapping[str, Any], ts: float | None = None) -> EventRecord:
        """Write one record and fsync it before returning it; `ts` defaults to the injected clock."""
        with self._lock:
            if self._file is None:
                raise StoreError(f"The event writer for {self._path} is closed; reopen the run to append.")
            record, line = encode_record(self._next_seq, self._clock() if ts is None else ts, kind, data)
            self._write(self._file, line)
            self._next_seq += 1
            return record

    def _write(self, handle: IO[bytes], line: bytes) -> None:
        try:
            view = memoryview(line)
            while view:
                view = view[handle.write(view) :]
            os.fsync(handle.fileno())
        except OSError as error:
            self._discard_partial_line(handle)
            raise StoreError(
                f"Could not append to {self._path}: {error.strerror or error}. Check free disk space; the "
                "record was not written."
            ) from error
        self._size += len(line)

    def _discard_partial_line(self, handle: IO[bytes]) -> None:
        try:
            os.ftruncate(handle.fileno(), self._size)
        except OSError:
            # The log may now end in a partial line; the next writer to open it sets that line aside.
            logger.warning("Could not undo a partial write to %s; closing its writer.", self._path)
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        """Close the file; later appends raise `StoreError`. Closing twice is harmless."""
        with self._lock:
            self._close_file()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
