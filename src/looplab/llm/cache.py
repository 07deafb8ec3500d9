"""The reply cache: every completion kept in SQLite, keyed by backend, model and request.

`ReplyCache` is the store (one file, WAL mode and a busy timeout so several processes and threads can
share it). `CachedLLM` is the wrapper: a hit returns the stored reply marked `cached=True` without calling
the backend; a miss calls it and stores what it said, truncated replies included (they are what the model
answered). Errors are never stored. A resumed run and the replay backend rely on this: the same request
gets the same reply, at no cost. A miss is asked for by one caller at a time (`looplab.llm.key_lock`): a
second thread or process sending the same request meanwhile waits and then reads the first one's reply.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from looplab.errors import LLMError
from looplab.llm.key_lock import KeyLocks
from looplab.llm.protocol import LLM
from looplab.llm.types import LLMRequest, LLMResponse
from looplab.llm.wrapper import WrappedLLM

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0
INFLIGHT_SUFFIX = ".inflight"
"""The directory of in-flight key locks is the cache file's path with this suffix (`llm-cache.inflight`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


class ReplyCache:
    """A SQLite file of (key → request, response, created time), safe to share across threads and processes.

    One connection per cache object, used under a lock: a lookup takes microseconds, far below any LLM
    call, so serializing them costs nothing measurable and keeps the connection handling simple. Other
    processes wait for the file lock up to `BUSY_TIMEOUT_S`. A key is written once; a second reply for the
    same key (two processes racing on one miss) is ignored, so every later reader sees the first.
    """

    def __init__(self, path: Path, *, readonly: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._clock = clock
        self._lock = threading.Lock()
        self._connection = self._connect()

    @classmethod
    def open_readonly(cls, path: Path) -> ReplyCache:
        """Open an existing cache for lookups only (`put` raises); a missing file is an `LLMError`."""
        return cls(path, readonly=True)

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.readonly:
                if not self.path.is_file():
                    raise LLMError(
                        f"The reply cache {self.path} does not exist. Record replies first: run with the real "
                        "backend and llm.cache=true, or point LOOPLAB_HOME at the directory that holds them."
                    )
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            self._prepare(connection)
        except (sqlite3.Error, OSError) as error:
            raise LLMError(
                f"Cannot open the reply cache {self.path}: {error}. Check that the path is writable and is a "
                "looplab cache file; delete it to start an empty cache."
            ) from error
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version not in (0, SCHEMA_VERSION):
            connection.close()
            raise LLMError(
                f"The reply cache {self.path} has schema version {version}; this looplab reads version "
                f"{SCHEMA_VERSION}. Upgrade looplab, or move the file away to start an empty cache."
            )
        if self.readonly:
            return
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a crash of the process (not of the machine) in WAL mode, and fast.
        connection.execute("PRAGMA synchronous=NORMAL")
        with connection:
            connection.execute(_SCHEMA)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def get(self, key: str) -> LLMResponse | None:
        """The stored response for `key` exactly as it was stored, or None."""
        try:
            with self._lock:
                row = self._connection.execute("SELECT response FROM replies WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as error:
            raise self._failure("read from", error) from error
        if row is None:
            return None
        try:
            return LLMResponse.model_validate_json(row[0])
        except ValidationError as error:
            raise LLMError(
                f"The reply cache {self.path} holds an unreadable entry for key {key}: {error}. "
                "The file was written by another looplab version or edited; delete it to start over."
            ) from error

    def put(
        self,
        key: str,
        request: LLMRequest,
        response: LLMResponse,
        *,
        backend: str | None = None,
        model: str | None = None,
    ) -> None:
        """Store `response` for `key` (a key already present keeps its first reply).

        `backend` and `model` label the entry (for counting and inspection); they default to the
        response's own and should be the names the key was computed with.
        """
        if self.readonly:
            raise LLMError(f"The reply cache {self.path} was opened read-only; it cannot store replies.")
        row = (
            key,
            backend if backend is not None else response.backend,
            model if model is not None else response.model,
            request.model_dump_json(),
            response.model_dump_json(),
            self._clock(),
        )
        try:
            with self._lock, self._connection:
                self._connection.execute("INSERT OR IGNORE INTO replies VALUES (?, ?, ?, ?, ?, ?)", row)
        except sqlite3.Error as error:
            raise self._failure("write to", error) from error

    def count(self, backend: str | None = None, model: str | None = None) -> int:
        """How many replies are stored, optionally only those of one backend and/or model."""
        query = "SELECT COUNT(*) FROM replies WHERE (? IS NULL OR backend = ?) AND (? IS NULL OR model = ?)"
        try:
            with self._lock:
                row = self._connection.execute(query, (backend, backend, model, model)).fetchone()
        except sqlite3.Error as error:
            raise self._failure("read from", error) from error
        return int(row[0])

    def __len__(self) -> int:
        return self.count()

    def close(self) -> None:
        """Close the connection; the object is unusable afterwards."""
        with self._lock:
            self._connection.close()

    def __enter__(self) -> ReplyCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReplyCache({str(self.path)!r}, readonly={self.readonly})"

    def _failure(self, action: str, error: sqlite3.Error) -> LLMError:
        return LLMError(
            f"Could not {action} the reply cache {self.path}: {error}. Check free disk space and permissions; "
            f"if another process holds the file for more than {BUSY_TIMEOUT_S:.0f} s, stop it and retry."
        )


def as_cache_hit(response: LLMResponse) -> LLMResponse:
    """A stored response as the cache returns it: `cached=True`, and no retries (no call was made)."""
    return response.model_copy(update={"cached": True, "retries": ()})


class CachedLLM(WrappedLLM):
    """An `LLM` wrapper that answers repeated requests from a `ReplyCache` without calling `inner`.

    `locks` (default: beside the cache file, see `INFLIGHT_SUFFIX`) make concurrent misses on one key ask
    `inner` once.
    """

    def __init__(self, inner: LLM, cache: ReplyCache, locks: KeyLocks | None = None) -> None:
        super().__init__(inner)
        self._cache = cache
        self._locks = locks if locks is not None else KeyLocks(cache.path.with_suffix(INFLIGHT_SUFFIX))

    @property
    def cache(self) -> ReplyCache:
        return self._cache

    def complete(self, request: LLMRequest) -> LLMResponse:
        backend, model = self._inner.backend, self._inner.model
        key = request.cache_key(backend, model)
        stored = self._cache.get(key)
        if stored is not None:
            return as_cache_hit(stored)
        with self._locks.hold(key):
            stored = self._cache.get(key)  # another caller may have asked for it while this one waited
            if stored is not None:
                return as_cache_hit(stored)
            response = self._inner.complete(request)
            self._cache.put(key, request, response, backend=backend, model=model)
        return response
