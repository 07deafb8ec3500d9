"""A run directory: the on-disk `RunStore`, and the only code that knows the directory's layout.

    <runs_dir>/<name>-<YYYYmmdd-HHMMSS>-<6 hex>/
        config.json       the resolved config
        provenance.json   versions, machine, command line, git sha, caller facts
        events.jsonl      append-only records (see `looplab.store.events`)
        artifacts/<sha>   content-addressed files
        summary.json      derived facts the caller writes (status, task, progress, cost, ...)
        run.lock          while a process runs it (see `RunDir.exclusive`); gone when it stops

`config.json` is written last at creation, so a directory without it is an interrupted creation, not a
run. Opening a run never changes it; the event log is opened for writing on the first `append`.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

from looplab import file_lock
from looplab.errors import RunNotFoundError, StoreError
from looplab.store.artifacts import ArtifactDir
from looplab.store.atomic import atomic_write_bytes, atomic_write_json, fsync_dir
from looplab.store.events import EventLog, EventRecord, EventWriter, read_events
from looplab.store.provenance import Provenance

CONFIG_FILE = "config.json"
PROVENANCE_FILE = "provenance.json"
EVENTS_FILE = "events.jsonl"
SUMMARY_FILE = "summary.json"
ARTIFACTS_DIR = "artifacts"
LOCK_FILE = "run.lock"

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME_LENGTH = 64
RUN_SUFFIX = re.compile(r"-\d{8}-\d{6}-[0-9a-f]{6}$")
"""The part `RunDir.create` appends to a run's name: UTC start time and a random tag."""


def sanitize_run_name(name: str) -> str:
    """`name` reduced to letters, digits, `.`, `_` and `-`; never empty, never a hidden directory.

    Any other run of characters becomes one `-`, and the result is cut to 64 characters.
    """
    cleaned = _UNSAFE_NAME_CHARS.sub("-", name).strip(".-")[:_MAX_NAME_LENGTH].rstrip(".-")
    return cleaned or "run"


def _read_json_object(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object in `path`, or None if the file does not exist; `StoreError` if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"Could not read the {what} {path}: {error}.") from error
    try:
        obj = json.loads(text)
    except ValueError as error:
        raise StoreError(
            f"The {what} {path} is not valid JSON ({error}). Looplab writes it atomically, so it was edited "
            "by hand; fix or delete it."
        ) from None
    if not isinstance(obj, dict):
        raise StoreError(f"The {what} {path} holds a JSON {type(obj).__name__}, expected an object.")
    return obj


class RunDir:
    """One run directory. Build it with `RunDir.create` (a new run) or `RunDir.open` (an existing one)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._artifacts = ArtifactDir(path / ARTIFACTS_DIR)
        self._lock = threading.Lock()
        self._writer: EventWriter | None = None

    @classmethod
    def create(
        cls,
        runs_dir: Path,
        name: str,
        config: BaseModel,
        provenance: Provenance,
        clock: Callable[[], float] = time.time,
    ) -> RunDir:
        """Make `<runs_dir>/<name>-<UTC YYYYmmdd-HHMMSS>-<6 hex>` with its config and provenance."""
        stamp = datetime.fromtimestamp(clock(), tz=UTC).strftime("%Y%m%d-%H%M%S")
        path = runs_dir / f"{sanitize_run_name(name)}-{stamp}-{secrets.token_hex(3)}"
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Could not create the runs directory {runs_dir}: {error.strerror or error}. Set "
                "LOOPLAB_RUNS_DIR to a writable directory."
            ) from error
        try:
            path.mkdir()
            (path / ARTIFACTS_DIR).mkdir()
        except FileExistsError:
            raise StoreError(f"The run directory {path} already exists; refusing to write into it.") from None
        except OSError as error:
            raise StoreError(
                f"Could not create the run directory {path}: {error.strerror or error}. Check that "
                f"{runs_dir} is writable (it is set by LOOPLAB_RUNS_DIR)."
            ) from error
        atomic_write_json(path / PROVENANCE_FILE, provenance.model_dump(mode="json"))
        atomic_write_bytes(path / EVENTS_FILE, b"")
        atomic_write_json(path / CONFIG_FILE, config.model_dump(mode="json"))
        fsync_dir(runs_dir)
        return cls(path, clock)

    @classmethod
    def open(cls, path: Path, clock: Callable[[], float] = time.time) -> RunDir:
        """Open an existing run; `RunNotFoundError` if `path` is not a directory, `StoreError` if not a run."""
        if not path.is_dir():
            raise RunNotFoundError(f"No run directory at {path}. `looplab ls` lists the runs.")
        if not (path / CONFIG_FILE).is_file():
            raise StoreError(
                f"{path} is not a looplab run: it has no {CONFIG_FILE} (another directory, or a run whose "
                "creation was interrupted)."
            )
        return cls(path, clock)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def name(self) -> str:
        """The directory's name, which is the run's name in `looplab ls`."""
        return self._path.name

    @property
    def events_path(self) -> Path:
        return self._path / EVENTS_FILE

    def append(self, kind: str, data: Mapping[str, Any]) -> EventRecord:
        """Append one event (fsync'ed before returning); the first call opens the log for writing."""
        with self._lock:
            if self._writer is None:
                self._writer = EventWriter(self.events_path, self._clock)
            return self._writer.append(kind, data)

    def events(self) -> EventLog:
        """Every complete record, and the torn last line if a crash left one."""
        return read_events(self.events_path)

    def put_artifact(self, content: str | bytes) -> str:
        """Store `content` (text as UTF-8) under its SHA-256 hex id and return the id."""
        return self._artifacts.put(content)

    def get_artifact(self, sha: str) -> bytes:
        """The bytes stored under `sha`, checked against the hash."""
        return self._artifacts.get(sha)

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        """Replace `summary.json` atomically."""
        atomic_write_json(self._path / SUMMARY_FILE, dict(summary))

    def read_summary(self) -> dict[str, Any] | None:
        """The summary, or None if none was written yet."""
        return _read_json_object(self._path / SUMMARY_FILE, "run summary")

    def read_config(self) -> dict[str, Any]:
        """The resolved config the run was created with, as JSON values."""
        config = _read_json_object(self._path / CONFIG_FILE, "run config")
        if config is None:
            raise StoreError(f"The run {self._path} has no {CONFIG_FILE}; it is not a complete run.")
        return config

    def read_provenance(self) -> Provenance:
        """Where the run came from; `StoreError` if the file is missing or not a `Provenance`."""
        path = self._path / PROVENANCE_FILE
        obj = _read_json_object(path, "provenance file")
        if obj is None:
            raise StoreError(f"The run {self._path} has no {PROVENANCE_FILE}.")
        try:
            return Provenance.model_validate(obj)
        except ValidationError as error:
            fields = ", ".join(".".join(str(p) for p in issue["loc"]) for issue in error.errors())
            raise StoreError(
                f"{path} does not match this looplab's provenance record (fields: {fields}). It may have "
                "been written by another looplab version; compare looplab_version in the file."
            ) from None

    def close(self) -> None:
        """Close the event log if it was opened for writing; a later `append` reopens it."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the run for this process while the `with` block runs it.

        Two processes running one run at once would both append its steps (a sweep stopped by a signal to
        its parent alone left its workers running while a resumed sweep ran the same runs again). The
        second gets a `StoreError` naming the holder; a killed holder's lock is dropped by the kernel.
        """
        with file_lock.exclusive(self._path / LOCK_FILE, f"the run {self.name}"):
            yield

    def holder(self) -> str | None:
        """Who is running the run now (the `exclusive` holder's note), or None when no process is."""
        return file_lock.holder(self._path / LOCK_FILE)

    def __enter__(self) -> RunDir:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RunDir({str(self._path)!r})"


def find_named_run(directory: Path, name: str) -> Path | None:
    """The newest run directory `RunDir.create` made for run name `name` in `directory`, if any."""
    wanted = sanitize_run_name(name)
    matches = [p for p in directory.iterdir() if p.is_dir() and RUN_SUFFIX.sub("", p.name) == wanted]
    return max(matches, default=None)
