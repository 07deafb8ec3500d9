"""The command line: every command listed, errors without tracebacks and with distinct exit codes."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from looplab import cli, file_lock
from looplab.cli import build_parser, main
from looplab.config import LooplabConfig
from looplab.store.provenance import collect_provenance
from looplab.store.run_dir import RunDir


def test_help_lists_every_command_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in subparsers.choices:  # type: ignore[union-attr]
        assert f"    {name} " in out, f"--help does not list {name}"


def test_config_show_prints_resolved_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\n[llm]\ntemperature = 0.3\n')
    assert main(["config", "show", str(path), "--set", "llm.max_tokens=77"]) == 0
    out = capsys.readouterr().out
    assert 'name = "x"' in out and "temperature = 0.3" in out and "max_tokens = 77" in out


def test_sigterm_interrupts_a_command_like_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def terminated_while_working(args: object, console: object) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the handler interrupts this at once
        return 0

    monkeypatch.setattr(cli, "_config_show", terminated_while_working)
    before = signal.getsignal(signal.SIGTERM)
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\n')
    assert main(["config", "show", str(path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before, "the handler is the command's only"


def test_config_error_exit_code_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[llm]\nbackend = "nope"\n')
    assert main(["config", "show", str(path)]) == 3
    err = capsys.readouterr().err
    assert "llm.backend" in err and "Traceback" not in err


def test_scripted_backend_cannot_come_from_a_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llm", "check", "--set", "llm.backend=scripted"]) == 3
    assert "scripted" in capsys.readouterr().err


def test_replay_miss_is_an_llm_error_naming_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llm", "check", "--set", "llm.backend=replay", "--prompt", "hello there"]) == 4
    err = capsys.readouterr().err
    assert "hello there" in err


def test_openai_backend_without_base_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["llm", "check", "--set", "llm.backend=openai"]) == 3
    assert "base_url" in capsys.readouterr().err


def test_ls_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs"
    assert main(["ls", "--runs-dir", str(runs)]) == 0
    assert "No runs" in capsys.readouterr().out
    run = RunDir.create(runs, "demo", LooplabConfig(), collect_provenance())
    run.append("update", {"update": 1})
    run.write_summary({"task": "median:buggy", "progress": "1/5 updates", "cost_usd": 0.25})
    run.close()
    assert main(["ls", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "median:buggy" in out and "1/5 updates" in out and "$0.2500" in out
    assert main(["show", "demo", "--runs-dir", str(runs), "--json"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert details["event_counts"] == {"update": 1}
    assert main(["show", "nothing-like-it", "--runs-dir", str(runs)]) == 6


def test_ls_and_show_say_which_error_stopped_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    runs = tmp_path / "runs"
    run = RunDir.create(runs, "down", LooplabConfig(), collect_provenance())
    run.append("update", {"update": 1})
    stop = {"key": "run_error:1", "error_type": "LLMUnavailableError", "message": "b:m is down"}
    run.append("run_error", stop)
    run.close()
    assert main(["ls", "--runs-dir", str(runs)]) == 0
    assert "failed" in capsys.readouterr().out
    assert main(["show", "down", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "stopped by" in out and "LLMUnavailableError: b:m is down" in out
    run = RunDir.open(run.path)
    run.append("run_resumed", {"key": "run_resumed:1"})  # resumed since: no longer stopped by that error
    run.close()
    assert main(["show", "down", "--runs-dir", str(runs), "--json"]) == 0
    details = json.loads(capsys.readouterr().out)
    assert (details["status"], details["error"]) == ("incomplete", None)


def test_ls_lists_the_sweeps_beside_the_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich's width when the output is not a terminal
    sweep = tmp_path / "runs" / "grid-20261127-034953"
    sweep.mkdir(parents=True)
    statuses = ["finished", "finished", "failed", "running", "pending"]
    runs = [{"name": f"grid-seed{i}", "values": {}, "seed": i, "status": s} for i, s in enumerate(statuses)]
    ledger = {"name": "grid", "created": "2026-11-27T03:49:53+00:00", "runs": runs}
    (sweep / "sweep.json").write_text(json.dumps(ledger), encoding="utf-8")
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "sweep.json").write_text("{", encoding="utf-8")
    assert main(["ls", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "grid-20261127-034953" in line)
    assert row.split("│")[2:6] == ["    5 ", "        2 ", "      1 ", "          2 "]
    assert row.split("│")[7].strip() == "-", "no process runs it"
    assert "broken" not in out and "--resume" in out
    with file_lock.hold(sweep / "sweep.lock", note="pid 42 on box, since 2026-11-27 08:00:00 UTC"):
        assert main(["ls", "--runs-dir", str(tmp_path / "runs")]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "grid-20261127-034953" in line)
    assert row.split("│")[7].strip() == "pid 42 on box"
