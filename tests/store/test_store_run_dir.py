"""Run directories: creation layout, opening, artifacts, summary, config, and recovery after a crash."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from looplab.errors import RunNotFoundError, StoreError
from looplab.store.provenance import Provenance
from looplab.store.run_dir import RunDir, sanitize_run_name

# 2024-03-05 06:07:08 UTC
WHEN = 1709618828.0


class TinyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "demo"
    path: Path = Path("data/x.csv")
    rate: float = 0.5


def make_provenance() -> Provenance:
    return Provenance(
        looplab_version="0.1.0",
        python_version="3.11.7",
        platform="test",
        hostname="host",
        argv=("looplab", "run"),
        extra={"model_sha256": "00" * 32},
    )


def create(runs_dir: Path, name: str = "demo") -> RunDir:
    return RunDir.create(runs_dir, name, TinyConfig(), make_provenance(), clock=lambda: WHEN)


def test_create_lays_out_the_directory(tmp_path: Path) -> None:
    run = create(tmp_path / "runs")
    assert run.path.parent == tmp_path / "runs"
    assert run.name.startswith("demo-20240305-060708-")
    assert len(run.name) == len("demo-20240305-060708-") + 6
    assert sorted(p.name for p in run.path.iterdir()) == [
        "artifacts",
        "config.json",
        "events.jsonl",
        "provenance.json",
    ]
    assert run.read_config() == {"name": "demo", "path": "data/x.csv", "rate": 0.5}
    assert run.read_provenance() == make_provenance()
    assert run.read_summary() is None
    assert run.events().records == ()


def test_two_runs_with_one_name_and_second_get_distinct_dirs(tmp_path: Path) -> None:
    assert create(tmp_path).path != create(tmp_path).path


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("demo", "demo"),
        ("my run/../x", "my-run-..-x"),  # one path component: dots are harmless
        ("..hidden", "hidden"),
        ("a b\tc", "a-b-c"),
        ("ünïcode", "n-code"),
        ("///", "run"),
        ("x" * 100, "x" * 64),
    ],
)
def test_names_are_sanitized(raw: str, clean: str) -> None:
    assert sanitize_run_name(raw) == clean


def test_created_dir_name_is_sanitized(tmp_path: Path) -> None:
    run = create(tmp_path, "../escape me")
    assert run.path.parent == tmp_path
    assert run.name.startswith("escape-me-")


def test_open_existing_and_missing(tmp_path: Path) -> None:
    run = create(tmp_path)
    run.append("started", {})
    reopened = RunDir.open(run.path)
    assert reopened.name == run.name
    assert [r.kind for r in reopened.events().records] == ["started"]
    with pytest.raises(RunNotFoundError, match="looplab ls"):
        RunDir.open(tmp_path / "nope")
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(StoreError, match=r"no config\.json"):
        RunDir.open(tmp_path / "not-a-run")


def test_append_continues_after_reopen(tmp_path: Path) -> None:
    with create(tmp_path) as run:
        run.append("a", {"x": 1})
    with RunDir.open(run.path) as again:
        assert again.append("b", {}).seq == 1
    assert [(r.seq, r.kind) for r in RunDir.open(run.path).events().records] == [(0, "a"), (1, "b")]


def test_append_uses_the_injected_clock(tmp_path: Path) -> None:
    ticks = iter([WHEN, 5.0, 6.0])
    run = RunDir.create(tmp_path, "t", TinyConfig(), make_provenance(), clock=lambda: next(ticks))
    assert [run.append("k", {}).ts for _ in range(2)] == [5.0, 6.0]


def test_artifacts_are_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    run = create(tmp_path)
    sha = run.put_artifact("def f(): return 1\n")
    assert sha == hashlib.sha256(b"def f(): return 1\n").hexdigest()
    assert run.put_artifact(b"def f(): return 1\n") == sha
    assert run.get_artifact(sha) == b"def f(): return 1\n"
    assert [p.name for p in (run.path / "artifacts").iterdir()] == [sha]
    other = run.put_artifact(b"\x00\xff")
    assert other != sha
    assert run.get_artifact(other) == b"\x00\xff"


def test_rewriting_an_artifact_does_not_touch_the_file(tmp_path: Path) -> None:
    run = create(tmp_path)
    sha = run.put_artifact("same")
    inode = (run.path / "artifacts" / sha).stat().st_ino
    run.put_artifact("same")
    assert (run.path / "artifacts" / sha).stat().st_ino == inode


def test_tampered_artifact_is_detected(tmp_path: Path) -> None:
    run = create(tmp_path)
    sha = run.put_artifact("original")
    (run.path / "artifacts" / sha).write_text("changed!", encoding="utf-8")
    with pytest.raises(StoreError, match="corrupt"):
        run.get_artifact(sha)


def test_missing_or_malformed_artifact_id(tmp_path: Path) -> None:
    run = create(tmp_path)
    with pytest.raises(StoreError, match="not in"):
        run.get_artifact("0" * 64)
    with pytest.raises(StoreError, match="not an artifact id"):
        run.get_artifact("../config.json")


def test_summary_is_replaced_whole(tmp_path: Path) -> None:
    run = create(tmp_path)
    run.write_summary({"status": "running", "progress": "1/10"})
    run.write_summary({"status": "finished", "cost_usd": 0.25})
    assert run.read_summary() == {"status": "finished", "cost_usd": 0.25}
    assert json.loads((run.path / "summary.json").read_text(encoding="utf-8"))["cost_usd"] == 0.25


def test_hand_broken_summary_is_a_store_error(tmp_path: Path) -> None:
    run = create(tmp_path)
    (run.path / "summary.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(StoreError, match="not valid JSON"):
        run.read_summary()
    (run.path / "summary.json").write_text("[1]", encoding="utf-8")
    with pytest.raises(StoreError, match="expected an object"):
        run.read_summary()


def test_provenance_from_another_version_is_a_store_error(tmp_path: Path) -> None:
    run = create(tmp_path)
    data = json.loads((run.path / "provenance.json").read_text(encoding="utf-8"))
    data["new_field"] = 1
    (run.path / "provenance.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StoreError, match="new_field"):
        run.read_provenance()


def test_torn_event_log_is_survived(tmp_path: Path) -> None:
    run = create(tmp_path)
    run.append("a", {})
    run.close()
    with run.events_path.open("ab") as handle:
        handle.write(b'{"schema_version":1,"seq":1,')
    reopened = RunDir.open(run.path)
    assert reopened.events().torn_tail == '{"schema_version":1,"seq":1,'
    assert reopened.append("b", {}).seq == 1
    assert (run.path / "events.torn.1.txt").exists()
    assert reopened.events().torn_tail is None


def test_runs_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("", encoding="utf-8")
    with pytest.raises(StoreError, match="LOOPLAB_RUNS_DIR"):
        create(tmp_path / "runs")


def test_a_run_is_run_by_one_process_at_a_time(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "held", TinyConfig(), make_provenance())
    with run.exclusive():
        assert (run.path / "run.lock").read_text(encoding="utf-8").startswith(f"pid {os.getpid()} on ")
        busy = r"The run held-.* is being run by another process \(pid \d+ on "
        with pytest.raises(StoreError, match=busy), RunDir.open(run.path).exclusive():
            pass
    assert not (run.path / "run.lock").exists()
    with RunDir.open(run.path).exclusive():  # free again once the holder let go
        pass
