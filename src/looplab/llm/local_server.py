"""The embedded model's server, shared by every looplab process on the machine, and its state directory.

Loading the model costs seconds and a gigabyte, so one server process (`python -m looplab.llm.serve`)
serves all workers on 127.0.0.1. Its state directory holds:

- `server.json`: the running server (`ServerInfo`), written atomically once it answers `/health`;
- `leases/<pid>.<token>`: one file per client (`LocalServerManager`) that uses the server; the server
  exits when no lease belongs to a live process for `idle_seconds`;
- `.lock`: an fcntl lock that serializes starting, reusing and stopping the server (and the server's
  own decision to exit when idle), so two clients never start two servers;
- `server.log`: the server's output (the tail goes into startup errors);
- `slots/<n>.lock`: one lock per server slot, held by a client while its request is in flight
  (`slot_gate.SlotGate`), so requests wait on the client, not in the server's queue.

`LocalServerManager.acquire()` reuses the server named by `server.json` when its process is alive, it
answers `/health` and it serves the same model file; otherwise it starts one and waits until it is ready.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from looplab.errors import LLMError

logger = logging.getLogger(__name__)

SERVER_FILE = "server.json"
LEASES_DIR = "leases"
LOCK_FILE = ".lock"
LOG_FILE = "server.log"
_POLL_S = 0.1
_LOG_TAIL_LINES = 20


class ServerInfo(BaseModel):
    """What `server.json` says about the running server (written by the server process itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pid: int
    port: int
    address: str
    base_url: str
    model_path: str
    model_size: int
    slots: int
    ctx: int
    threads: int
    started_at: float
    load_seconds: float


class ServerStatus(BaseModel):
    """The server as a client sees it now: its info, whether it answers, and how many live leases it has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    info: ServerInfo
    healthy: bool
    live_leases: int


@dataclass(frozen=True)
class Startup:
    """How `acquire` got its server: started here or reused; `startup_seconds` is the wait in `acquire`,
    `load_seconds` the server's own model-load time."""

    started_here: bool
    load_seconds: float
    startup_seconds: float
    pid: int
    base_url: str
    slots: int


# --- state directory -------------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    # The state follows the parenthesized command name, which may itself contain spaces or parentheses.
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def read_server_info(state_dir: Path) -> ServerInfo | None:
    try:
        return ServerInfo.model_validate_json((state_dir / SERVER_FILE).read_bytes())
    except (OSError, ValidationError):
        return None


def write_server_info(state_dir: Path, info: ServerInfo) -> None:
    """Write `server.json` atomically (readers see the old file or the new one, never half of one)."""
    target = state_dir / SERVER_FILE
    temporary = state_dir / f".{SERVER_FILE}.{os.getpid()}.tmp"
    temporary.write_text(info.model_dump_json(indent=2), encoding="utf-8")
    temporary.replace(target)


def remove_server_info(state_dir: Path, pid: int) -> None:
    """Remove `server.json` if it still names `pid`."""
    info = read_server_info(state_dir)
    if info is not None and info.pid == pid:
        (state_dir / SERVER_FILE).unlink(missing_ok=True)


def live_leases(state_dir: Path) -> list[Path]:
    """The lease files whose process is alive; lease files of dead processes are removed."""
    live: list[Path] = []
    try:
        entries = sorted((state_dir / LEASES_DIR).iterdir())
    except FileNotFoundError:
        return live
    for lease in entries:
        pid_text = lease.name.partition(".")[0]
        if pid_text.isdigit() and pid_alive(int(pid_text)):
            live.append(lease)
        else:
            lease.unlink(missing_ok=True)
    return live


@contextlib.contextmanager
def state_lock(state_dir: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the state directory's lock; yields False when `blocking=False` and another process holds it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_healthy(address: str, timeout_s: float = 2.0) -> bool:
    """True when the server at `address` answers `GET /health` with 200."""
    try:
        return httpx.get(f"{address}/health", timeout=timeout_s).status_code == httpx.codes.OK
    except httpx.HTTPError:
        return False


def log_tail(state_dir: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(the server log is empty)"


def server_status(state_dir: Path) -> ServerStatus | None:
    """The server named by `server.json`, or None when there is none or its process is gone."""
    info = read_server_info(state_dir)
    if info is None or not pid_alive(info.pid):
        return None
    return ServerStatus(info=info, healthy=is_healthy(info.address), live_leases=len(live_leases(state_dir)))


def stop_server(state_dir: Path, timeout_s: float = 10.0) -> ServerInfo | None:
    """Terminate the server now (SIGTERM, then SIGKILL after `timeout_s`); returns what was stopped."""
    with state_lock(state_dir):
        info = read_server_info(state_dir)
        if info is None:
            return None
        if pid_alive(info.pid):
            _terminate(info.pid, timeout_s)
        (state_dir / SERVER_FILE).unlink(missing_ok=True)
        return info


def _terminate(pid: int, timeout_s: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
    if pid_alive(pid):
        logger.warning("The model server (pid %d) ignored SIGTERM for %.0f s; killing it", pid, timeout_s)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- client ----------------------------------------------------------------------------------------------


class LocalServerManager:
    """Get the machine's model server for this process: reuse the running one or start it, and hold a lease.

    `launcher` is the command that runs the server module (default `python -m looplab.llm.serve`); the
    manager appends the options. Tests pass a launcher that runs the same server with a fake engine.
    """

    def __init__(
        self,
        state_dir: Path,
        model_path: Path,
        *,
        threads: int = 2,
        ctx_per_slot: int = 8192,
        slots: int = 2,
        idle_seconds: float = 30.0,
        startup_timeout_s: float = 180.0,
        launcher: Sequence[str] = (sys.executable, "-m", "looplab.llm.serve"),
    ) -> None:
        self._state_dir = state_dir
        self._model_path = model_path.resolve()
        self._threads = threads
        self._ctx_per_slot = ctx_per_slot
        self._slots = slots
        self._idle_seconds = idle_seconds
        self._startup_timeout_s = startup_timeout_s
        self._launcher = tuple(launcher)
        self._lease = state_dir / LEASES_DIR / f"{os.getpid()}.{secrets.token_hex(4)}"
        self._lease_pid = os.getpid()
        self._atexit_registered = False
        self._startup: Startup | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._mutex = threading.Lock()

    @property
    def state_dir(self) -> Path:
        return self._state_dir

    @property
    def slots(self) -> int:
        """The slots of a server this manager starts (a reused server keeps its own)."""
        return self._slots

    @property
    def startup(self) -> Startup | None:
        """How the last `acquire` got its server, or None before the first one."""
        return self._startup

    def acquire(self) -> str:
        """The OpenAI base URL (`http://127.0.0.1:PORT/v1`) of a ready server; starts one if needed."""
        with self._mutex:
            started = time.monotonic()
            self._write_lease()  # before the server can see it: a new server never starts without a lease
            try:
                with state_lock(self._state_dir):
                    info = self._reusable()
                    started_here = info is None
                    if info is None:
                        info = self._start()
            except BaseException:
                self.release()
                raise
            self._startup = Startup(
                started_here=started_here,
                load_seconds=info.load_seconds,
                startup_seconds=time.monotonic() - started,
                pid=info.pid,
                base_url=info.base_url,
                slots=info.slots,
            )
            logger.info(
                "Using the model server pid %d at %s (started here: %s)", info.pid, info.address, started_here
            )
            return info.base_url

    def release(self) -> None:
        """Drop this manager's lease; the server exits once no lease is left for `idle_seconds`."""
        if os.getpid() == self._lease_pid:  # a forked child must not drop its parent's lease
            self._lease.unlink(missing_ok=True)

    def server_alive(self) -> bool:
        """True when the server this manager last acquired still runs."""
        return self._startup is not None and pid_alive(self._startup.pid)

    def status(self) -> ServerStatus | None:
        return server_status(self._state_dir)

    def stop(self, timeout_s: float = 10.0) -> ServerInfo | None:
        """Terminate the server now, whoever uses it (`looplab llm stop`)."""
        stopped = stop_server(self._state_dir, timeout_s)
        if self._process is not None:
            self._process.poll()  # reap our child so its pid does not linger as a zombie
        return stopped

    def _write_lease(self) -> None:
        self._lease.parent.mkdir(parents=True, exist_ok=True)
        self._lease.write_text(str(self._lease_pid), encoding="utf-8")
        if not self._atexit_registered:
            atexit.register(self.release)
            self._atexit_registered = True

    def _reusable(self) -> ServerInfo | None:
        info = read_server_info(self._state_dir)
        if info is None:
            return None
        same_model = info.model_path == str(self._model_path) and info.model_size == self._model_size()
        if pid_alive(info.pid) and same_model and is_healthy(info.address, timeout_s=5.0):
            return info
        if pid_alive(info.pid) and not same_model:
            logger.warning("The model server (pid %d) serves %s; replacing it", info.pid, info.model_path)
            _terminate(info.pid, timeout_s=10.0)
        (self._state_dir / SERVER_FILE).unlink(missing_ok=True)
        return None

    def _model_size(self) -> int:
        try:
            return self._model_path.stat().st_size
        except OSError as error:
            raise LLMError(
                f"The model file {self._model_path} cannot be read: {error}. Unset LOOPLAB_MODEL_PATH to use "
                "the embedded model (fetched on first use), or point it at an existing GGUF file."
            ) from error

    def _command(self) -> list[str]:
        return [
            *self._launcher,
            "--model",
            str(self._model_path),
            "--state-dir",
            str(self._state_dir),
            "--idle-seconds",
            str(self._idle_seconds),
            "--threads",
            str(self._threads),
            "--ctx",
            str(self._ctx_per_slot * self._slots),
            "--slots",
            str(self._slots),
        ]

    def _start(self) -> ServerInfo:
        """Start the server process and wait until it has written `server.json` and answers `/health`."""
        self._model_size()
        logger.info("Starting the model server for %s", self._model_path)
        with (self._state_dir / LOG_FILE).open("wb") as log:
            process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the server outlives this process and ignores its Ctrl-C
            )
        self._process = process
        deadline = time.monotonic() + self._startup_timeout_s
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise LLMError(
                    f"The model server exited with code {code} while starting. Its log "
                    f"({self._state_dir / LOG_FILE}) ends with:\n{log_tail(self._state_dir)}"
                )
            info = read_server_info(self._state_dir)
            if info is not None and info.pid == process.pid and is_healthy(info.address):
                return info
            time.sleep(_POLL_S)
        process.kill()
        process.wait()
        raise LLMError(
            f"The model server did not become ready within {self._startup_timeout_s:.0f} s. Its log "
            f"({self._state_dir / LOG_FILE}) ends with:\n{log_tail(self._state_dir)}"
        )
