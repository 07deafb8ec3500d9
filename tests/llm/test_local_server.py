"""The shared model server's life cycle: start, reuse, leases, idle exit, stop, and startup failures.

The server process is the real `looplab.llm.serve` with a fake engine (`fake_model_server.py`), so no
model is loaded and each test takes about a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from looplab.config import Environment, LLMConfig
from looplab.errors import LLMError, ServerError
from looplab.llm.backends.local import LocalLLM
from looplab.llm.factory import build_backend
from looplab.llm.local_server import (
    LEASES_DIR,
    SERVER_FILE,
    LocalServerManager,
    ServerInfo,
    live_leases,
    pid_alive,
    read_server_info,
    state_lock,
    stop_server,
    write_server_info,
)
from looplab.llm.slot_gate import SLOTS_DIR
from looplab.llm.types import LLMRequest, Message

FAKE_SERVER = Path(__file__).with_name("fake_model_server.py")
REQUEST = LLMRequest(messages=(Message(role="user", content="hi"),), max_tokens=4)


def wait_until(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "server"
    yield directory
    stop_server(directory, timeout_s=5.0)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF fake model")
    return path


def make_manager(
    state_dir: Path,
    model_file: Path,
    mode: str = "ok",
    *,
    idle_seconds: float = 30.0,
    startup_timeout_s: float = 20.0,
    slots: int = 2,
) -> LocalServerManager:
    launcher = (sys.executable, str(FAKE_SERVER), "--fake-mode", mode, "--poll-seconds", "0.05")
    return LocalServerManager(
        state_dir,
        model_file,
        idle_seconds=idle_seconds,
        startup_timeout_s=startup_timeout_s,
        launcher=launcher,
        slots=slots,
    )


def server_pid(manager: LocalServerManager) -> int:
    assert manager.startup is not None
    return manager.startup.pid


def test_starts_a_server_and_records_it(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file)
    base_url = manager.acquire()
    info = read_server_info(state_dir)
    assert info is not None
    assert base_url == info.base_url == f"http://127.0.0.1:{info.port}/v1"
    assert info.model_path == str(model_file.resolve())
    assert info.model_size == model_file.stat().st_size
    assert info.ctx == 8192 * 2
    assert manager.startup is not None
    assert manager.startup.started_here
    assert manager.startup.pid == info.pid
    assert manager.startup.load_seconds >= 0
    assert pid_alive(info.pid)
    assert len(live_leases(state_dir)) == 1
    status = manager.status()
    assert status is not None
    assert status.healthy
    assert status.live_leases == 1


def test_second_manager_reuses_the_server(state_dir: Path, model_file: Path) -> None:
    first = make_manager(state_dir, model_file)
    second = make_manager(state_dir, model_file)
    assert first.acquire() == second.acquire()
    assert first.startup is not None
    assert second.startup is not None
    assert second.startup.pid == first.startup.pid
    assert not second.startup.started_here
    assert len(live_leases(state_dir)) == 2
    first.release()
    assert len(live_leases(state_dir)) == 1


def test_local_llm_answers_through_the_server(state_dir: Path, model_file: Path) -> None:
    llm = LocalLLM(make_manager(state_dir, model_file), "qwen-label", timeout_s=5.0)
    before_first_call = llm.startup
    assert before_first_call is None
    response = llm.complete(REQUEST)
    assert (response.text, response.backend, response.model) == ("fake reply", "local", "qwen-label")
    assert response.timing is not None
    assert response.timing.generated_tokens == 2
    assert llm.startup is not None
    llm.close()
    assert live_leases(state_dir) == []


def test_local_llm_recovers_after_the_server_is_stopped(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file)
    llm = LocalLLM(manager, "qwen-label", timeout_s=5.0)
    llm.complete(REQUEST)
    first = manager.startup
    assert first is not None
    manager.stop()
    with pytest.raises(ServerError):
        llm.complete(REQUEST)
    assert llm.complete(REQUEST).text == "fake reply"  # a new server was started
    assert manager.startup is not None
    assert manager.startup.pid != first.pid


def test_stale_server_json_with_a_dead_pid_is_ignored(state_dir: Path, model_file: Path) -> None:
    state_dir.mkdir(parents=True)
    stale = ServerInfo(
        pid=dead_pid(),
        port=1,
        address="http://127.0.0.1:1",
        base_url="http://127.0.0.1:1/v1",
        model_path=str(model_file.resolve()),
        model_size=model_file.stat().st_size,
        slots=2,
        ctx=16384,
        threads=2,
        started_at=0.0,
        load_seconds=1.0,
    )
    write_server_info(state_dir, stale)
    manager = make_manager(state_dir, model_file)
    assert manager.status() is None
    manager.acquire()
    assert manager.startup is not None
    assert manager.startup.started_here
    assert manager.startup.pid != stale.pid


def test_a_server_of_another_model_is_replaced(state_dir: Path, model_file: Path, tmp_path: Path) -> None:
    other_model = tmp_path / "other.gguf"
    other_model.write_bytes(b"another model")
    old = make_manager(state_dir, other_model)
    old.acquire()
    old_pid = server_pid(old)
    new = make_manager(state_dir, model_file)
    new.acquire()
    assert new.startup is not None
    assert new.startup.started_here
    assert wait_until(lambda: not pid_alive(old_pid))


def test_server_exits_when_idle_without_leases(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file, idle_seconds=0.3)
    manager.acquire()
    pid = server_pid(manager)
    time.sleep(0.8)
    assert pid_alive(pid), "a live lease keeps the server"
    manager.release()
    assert wait_until(lambda: not pid_alive(pid), timeout_s=5.0)
    assert not (state_dir / SERVER_FILE).exists()


def test_a_dead_clients_lease_does_not_keep_the_server(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file, idle_seconds=0.3)
    manager.acquire()
    pid = server_pid(manager)
    (state_dir / LEASES_DIR / f"{dead_pid()}.abcd").write_text("")
    manager.release()
    assert wait_until(lambda: not pid_alive(pid), timeout_s=5.0)
    assert list((state_dir / LEASES_DIR).iterdir()) == []


def test_stop_terminates_the_server(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file)
    manager.acquire()
    stopped = manager.stop()
    assert stopped is not None
    assert not pid_alive(stopped.pid)
    assert manager.status() is None
    assert manager.stop() is None


def test_server_exits_when_server_json_is_removed(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file)
    manager.acquire()
    pid = server_pid(manager)
    (state_dir / SERVER_FILE).unlink()
    assert wait_until(lambda: not pid_alive(pid), timeout_s=5.0)


def test_startup_failure_shows_the_log(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file, mode="fail")
    with pytest.raises(LLMError, match="fake engine: failed to load model"):
        manager.acquire()
    assert live_leases(state_dir) == []


def test_startup_timeout(state_dir: Path, model_file: Path) -> None:
    manager = make_manager(state_dir, model_file, mode="hang", startup_timeout_s=1.0)
    with pytest.raises(LLMError, match="did not become ready within 1 s"):
        manager.acquire()


def test_missing_model_file(state_dir: Path, tmp_path: Path) -> None:
    manager = make_manager(state_dir, tmp_path / "missing.gguf")
    with pytest.raises(LLMError, match="LOOPLAB_MODEL_PATH"):
        manager.acquire()


def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(dead_pid())
    assert not pid_alive(0)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    assert wait_until(lambda: not pid_alive(zombie.pid))  # exited but not reaped: a zombie is not alive
    zombie.wait()


def test_state_lock_can_be_tried(tmp_path: Path) -> None:
    with state_lock(tmp_path) as held, state_lock(tmp_path, blocking=False) as second:
        assert held
        assert not second
    with state_lock(tmp_path, blocking=False) as again:
        assert again


def test_requests_beyond_the_servers_slots_wait_on_the_client(state_dir: Path, model_file: Path) -> None:
    # Two processes' worth of clients (two managers), six requests at once, a server with 2 slots: the
    # fake engine reports how many completions it was answering when each arrived, never more than 2.
    clients = [
        LocalLLM(make_manager(state_dir, model_file, mode="slow"), "qwen", timeout_s=10.0) for _ in range(2)
    ]
    replies: list[str] = []

    def ask(llm: LocalLLM) -> None:
        replies.append(llm.complete(REQUEST).text)

    threads = [threading.Thread(target=ask, args=(clients[i % 2],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(replies) == 6
    assert max(int(reply.removeprefix("in flight: ")) for reply in replies) <= 2
    assert (state_dir / SLOTS_DIR).is_dir()
    for llm in clients:
        llm.close()


def test_the_slot_count_comes_from_the_environment_and_reaches_the_server(
    state_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    variables = {"LOOPLAB_HOME": str(tmp_path), "LOOPLAB_MODEL_PATH": str(model_file)}
    for environ, slots in ((variables, 2), ({**variables, "LOOPLAB_SERVER_SLOTS": "4"}, 4)):
        backend = build_backend(LLMConfig(), Environment.from_os(environ))
        assert isinstance(backend, LocalLLM) and backend.manager.slots == slots
    manager = make_manager(state_dir, model_file, slots=4)
    manager.acquire()
    info = read_server_info(state_dir)
    assert info is not None and (info.slots, info.ctx) == (4, 4 * 8192)
    assert manager.startup is not None and manager.startup.slots == 4
