"""The event log: seq/ts/schema, durability, torn tails reported and set aside, corruption named."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from looplab.errors import StoreError
from looplab.store.events import SCHEMA_VERSION, EventRecord, EventWriter, read_events


class FakeClock:
    """Returns 100.0, 101.0, 102.0, ... one per call."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now - 1.0


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


@pytest.fixture
def writer(log_path: Path) -> Iterator[EventWriter]:
    with EventWriter(log_path, clock=FakeClock()) as events:
        yield events


def test_records_have_seq_ts_and_schema_version(writer: EventWriter, log_path: Path) -> None:
    first = writer.append("trial_result", {"score": 0.5})
    second = writer.append("llm_call", {"tokens": 12}, ts=42.5)
    assert (first.seq, first.ts, first.kind, first.schema_version) == (0, 100.0, "trial_result", SCHEMA_VERSION)
    assert (second.seq, second.ts) == (1, 42.5)
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {
        "schema_version": 1,
        "seq": 0,
        "ts": 100.0,
        "kind": "trial_result",
        "data": {"score": 0.5},
    }
    assert read_events(log_path).records == (first, second)


def test_returned_record_is_what_a_reader_gets(writer: EventWriter, log_path: Path) -> None:
    record = writer.append("k", {"pair": (1, 2), "nested": {"t": ("a",)}})
    assert record.data == {"pair": [1, 2], "nested": {"t": ["a"]}}
    assert read_events(log_path).records == (record,)


def test_unserializable_data_is_refused_and_nothing_written(writer: EventWriter, log_path: Path) -> None:
    with pytest.raises(StoreError, match="event 'bad'"):
        writer.append("bad", {"path": Path("x")})
    with pytest.raises(StoreError, match="non-empty string"):
        writer.append("", {})
    assert writer.append("good", {}).seq == 0
    assert len(read_events(log_path).records) == 1


def test_lines_are_readable_before_close(writer: EventWriter, log_path: Path) -> None:
    for index in range(5):
        writer.append("step", {"i": index})
        # Another reader sees every appended record immediately: nothing waits in a buffer.
        assert [r.data["i"] for r in read_events(log_path).records] == list(range(index + 1))


def test_each_append_is_fsynced(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    with EventWriter(log_path) as events:
        monkeypatch.setattr(os, "fsync", counting_fsync)
        events.append("a", {})
        events.append("b", {})
    assert len(synced) == 2


def test_failed_write_is_undone_and_writer_goes_on(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync
    with EventWriter(log_path) as events:
        events.append("a", {})

        def full_disk(fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", full_disk)
        with pytest.raises(StoreError, match="No space left on device"):
            events.append("b", {"big": "x" * 1000})
        monkeypatch.setattr(os, "fsync", real_fsync)
        assert events.append("c", {}).seq == 1
    log = read_events(log_path)
    assert [(r.seq, r.kind) for r in log.records] == [(0, "a"), (1, "c")]
    assert log.torn_tail is None


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_records_survive_kill_9(log_path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from looplab.store.events import EventWriter\n"
        "writer = EventWriter(Path(sys.argv[1]))\n"
        "for i in range(20):\n"
        "    writer.append('step', {'i': i})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(log_path)], check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    log = read_events(log_path)
    assert [r.data["i"] for r in log.records] == list(range(20))
    assert log.torn_tail is None


def test_writer_continues_seq_of_existing_log(log_path: Path) -> None:
    with EventWriter(log_path) as first:
        first.append("a", {})
        first.append("b", {})
    with EventWriter(log_path) as second:
        assert second.next_seq == 2
        assert second.append("c", {}).seq == 2
    assert [r.kind for r in read_events(log_path).records] == ["a", "b", "c"]


def _write_torn_log(path: Path, torn: bytes) -> None:
    with EventWriter(path) as events:
        events.append("a", {"x": 1})
        events.append("b", {"x": 2})
    with path.open("ab") as handle:
        handle.write(torn)


def test_torn_last_line_is_reported_not_raised(log_path: Path) -> None:
    _write_torn_log(log_path, b'{"schema_version": 1, "seq": 2, "ts": 1.0, "ki')
    log = read_events(log_path)
    assert [r.kind for r in log.records] == ["a", "b"]
    assert log.torn_tail == '{"schema_version": 1, "seq": 2, "ts": 1.0, "ki'
    assert log.next_seq == 2


def test_complete_json_without_newline_counts_as_torn(log_path: Path) -> None:
    line = json.dumps({"schema_version": 1, "seq": 2, "ts": 1.0, "kind": "c", "data": {}})
    _write_torn_log(log_path, line.encode())
    assert read_events(log_path).torn_tail == line


def test_invalid_last_line_with_newline_counts_as_torn(log_path: Path) -> None:
    _write_torn_log(log_path, b"\x00\x00\x00\n")  # what a filesystem can leave after a power cut
    log = read_events(log_path)
    assert len(log.records) == 2
    assert log.torn_tail == "\x00\x00\x00"


def test_writer_sets_torn_tail_aside_and_continues(log_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    torn = b'{"schema_version": 1, "seq": 2, "ts": 1.0, "kind": "c", "da'
    _write_torn_log(log_path, torn)
    with caplog.at_level("WARNING"), EventWriter(log_path) as events:
        record = events.append("c", {"x": 3})
    assert record.seq == 2
    assert (log_path.parent / "events.torn.1.txt").read_bytes() == torn
    assert "torn" in caplog.text
    log = read_events(log_path)
    assert [(r.seq, r.kind) for r in log.records] == [(0, "a"), (1, "b"), (2, "c")]
    assert log.torn_tail is None


def test_second_tear_gets_its_own_file(log_path: Path) -> None:
    _write_torn_log(log_path, b"{first")
    EventWriter(log_path).close()
    with log_path.open("ab") as handle:
        handle.write(b"{second")
    EventWriter(log_path).close()
    assert (log_path.parent / "events.torn.1.txt").read_bytes() == b"{first"
    assert (log_path.parent / "events.torn.2.txt").read_bytes() == b"{second"
    assert len(read_events(log_path).records) == 2


def test_corrupt_middle_line_names_file_and_line(log_path: Path) -> None:
    with EventWriter(log_path) as events:
        for kind in "abc":
            events.append(kind, {})
    lines = log_path.read_bytes().split(b"\n")
    lines[1] = b"{not json"
    log_path.write_bytes(b"\n".join(lines))
    with pytest.raises(StoreError, match=r"events\.jsonl, line 2: not valid JSON"):
        read_events(log_path)
    with pytest.raises(StoreError, match="line 2"):
        EventWriter(log_path)


def test_seq_gap_is_corruption(log_path: Path) -> None:
    records = [EventRecord(schema_version=1, seq=seq, ts=0.0, kind="k", data={}) for seq in (0, 2)]
    log_path.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    with pytest.raises(StoreError, match="line 2: seq is 2, expected 1"):
        read_events(log_path)


def test_wrong_fields_are_corruption(log_path: Path) -> None:
    log_path.write_text('{"schema_version": 1, "seq": 0, "ts": 0, "kind": "k"}\n{}\n', encoding="utf-8")
    with pytest.raises(StoreError, match=r"line 1: not an event record \(bad fields: data\)"):
        read_events(log_path)


def test_newer_schema_version_says_upgrade(log_path: Path) -> None:
    record = {"schema_version": SCHEMA_VERSION + 1, "seq": 0, "ts": 0.0, "kind": "k", "data": {}, "new": 1}
    log_path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(StoreError, match="upgrade"):
        read_events(log_path)


def test_missing_log_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        read_events(tmp_path / "events.jsonl")


def test_closed_writer_refuses_appends(log_path: Path) -> None:
    events = EventWriter(log_path)
    events.close()
    events.close()
    with pytest.raises(StoreError, match="closed"):
        events.append("k", {})


def test_threads_get_unique_consecutive_seqs(writer: EventWriter, log_path: Path) -> None:
    def work(thread: int) -> None:
        for index in range(50):
            writer.append("step", {"thread": thread, "i": index})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = read_events(log_path)
    assert [r.seq for r in log.records] == list(range(400))
    assert sorted((r.data["thread"], r.data["i"]) for r in log.records) == [
        (t, i) for t in range(8) for i in range(50)
    ]
    assert [r.ts for r in log.records] == sorted(r.ts for r in log.records)
