"""The catalog: listing runs newest first, status derivation, finding by name/prefix/path, describing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from looplab.errors import RunNotFoundError, StoreError
from looplab.store.catalog import FINISHED_KIND, describe_run, find_run, list_runs
from looplab.store.provenance import Provenance
from looplab.store.run_dir import RunDir


class TinyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 0


PROVENANCE = Provenance(
    looplab_version="0.1.0", python_version="3.11.7", platform="test", hostname="host", argv=("looplab",)
)


def create(runs_dir: Path, name: str, started: float) -> RunDir:
    run = RunDir.create(runs_dir, name, TinyConfig(), PROVENANCE, clock=lambda: started)
    os.utime(run.path / "config.json", (started, started))
    return run


def test_missing_runs_dir_lists_nothing(tmp_path: Path) -> None:
    assert list_runs(tmp_path / "none") == []


def test_lists_newest_first_and_skips_non_runs(tmp_path: Path) -> None:
    old = create(tmp_path, "old", 1_700_000_000.0)
    new = create(tmp_path, "new", 1_700_000_100.0)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "stray.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    infos = list_runs(tmp_path)
    assert [info.name for info in infos] == [new.name, old.name]
    assert infos[0].path == new.path
    assert infos[0].started == 1_700_000_100.0
    assert infos[0].updated >= infos[0].started


def test_status_is_derived_from_events_without_summary(tmp_path: Path) -> None:
    finished = create(tmp_path, "finished", 3.0)
    finished.append("trial_result", {})
    finished.append(FINISHED_KIND, {})
    interrupted = create(tmp_path, "interrupted", 2.0)
    interrupted.append("trial_result", {})
    with interrupted.events_path.open("ab") as handle:
        handle.write(b'{"schema_version": 1, "se')
    incomplete = create(tmp_path, "incomplete", 1.0)
    incomplete.append("trial_result", {})
    empty = create(tmp_path, "empty", 0.0)
    statuses = {info.name.split("-")[0]: info.status for info in list_runs(tmp_path)}
    assert statuses == {
        "finished": "finished",
        "interrupted": "interrupted",
        "incomplete": "incomplete",
        "empty": "incomplete",
    }
    assert empty.events().records == ()


def test_summary_keys_win(tmp_path: Path) -> None:
    run = create(tmp_path, "r", 1.0)
    run.append(FINISHED_KIND, {})
    run.write_summary({"status": "failed", "task": "bbeh/dyck", "progress": "7/10 trials", "cost_usd": 0.125})
    (info,) = list_runs(tmp_path)
    assert (info.status, info.task, info.progress, info.cost_usd) == (
        "failed",
        "bbeh/dyck",
        "7/10 trials",
        0.125,
    )


def test_partial_summary_falls_back_per_key(tmp_path: Path) -> None:
    run = create(tmp_path, "r", 1.0)
    run.append(FINISHED_KIND, {})
    run.write_summary({"task": "demo", "cost_usd": "n/a"})
    (info,) = list_runs(tmp_path)
    assert (info.status, info.task, info.progress, info.cost_usd) == ("finished", "demo", "0 updates", None)


class CappedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    loop: dict[str, dict[str, int]] = {"budget": {"max_updates": 15}}


def test_a_run_in_progress_shows_its_updates_of_the_configs_cap(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "live", CappedConfig(), PROVENANCE)
    run.write_summary({"task": "bbh:prompt_and_extractor"})  # what a run writes when it starts
    for update in (1, 2):
        run.append("trial", {})
        run.append("update", {"update": update})
    (info,) = list_runs(tmp_path)
    assert (info.status, info.progress) == ("incomplete", "2/15 updates")  # no process runs it
    with run.exclusive():
        assert [info.status for info in list_runs(tmp_path)] == ["running"]
        holder = run.holder()
        assert holder is not None and holder.startswith(f"pid {os.getpid()} on ")
    (run.path / "run.lock").write_text("pid 1 on gone, since then", encoding="utf-8")  # left by a killed holder
    assert [info.status for info in list_runs(tmp_path)] == ["incomplete"]
    assert (run.path / "run.lock").exists(), "listing only reads"


def test_broken_run_is_listed_not_fatal(tmp_path: Path) -> None:
    run = create(tmp_path, "broken", 1.0)
    run.events_path.write_text("{bad\n{worse\n", encoding="utf-8")
    (run.path / "summary.json").write_text("{oops", encoding="utf-8")
    (info,) = list_runs(tmp_path)
    assert info.status == "unreadable"
    assert info.task is None


def test_find_by_name_prefix_and_path(tmp_path: Path) -> None:
    alpha = create(tmp_path, "alpha", 1.0)
    beta = create(tmp_path, "beta", 2.0)
    assert find_run(tmp_path, alpha.name).path == alpha.path
    assert find_run(tmp_path, "be").path == beta.path
    assert find_run(tmp_path, alpha.path).path == alpha.path
    assert find_run(tmp_path / "elsewhere", str(beta.path)).path == beta.path


def test_exact_name_beats_longer_names_it_prefixes(tmp_path: Path) -> None:
    run = create(tmp_path, "x", 1.0)
    longer = tmp_path / (run.name + "0")
    longer.mkdir()
    (longer / "config.json").write_text("{}", encoding="utf-8")
    assert find_run(tmp_path, run.name).path == run.path


def test_ambiguous_prefix_lists_matches(tmp_path: Path) -> None:
    first = create(tmp_path, "mnist", 1.0)
    second = create(tmp_path, "mnist", 2.0)
    create(tmp_path, "other", 3.0)
    with pytest.raises(StoreError, match="matches 2 runs") as caught:
        find_run(tmp_path, "mni")
    assert first.name in str(caught.value)
    assert second.name in str(caught.value)
    assert not isinstance(caught.value, RunNotFoundError)


def test_missing_run_suggests_close_names(tmp_path: Path) -> None:
    run = create(tmp_path, "cartpole", 1.0)
    with pytest.raises(RunNotFoundError, match="looplab ls") as caught:
        find_run(tmp_path, "cartpol3")
    assert run.name in str(caught.value)
    with pytest.raises(RunNotFoundError) as unrelated:
        find_run(tmp_path, "zzzzzz")
    assert "Close names" not in str(unrelated.value)


def test_missing_path_or_runs_dir(tmp_path: Path) -> None:
    with pytest.raises(RunNotFoundError, match="No run directory"):
        find_run(tmp_path, tmp_path / "gone")
    with pytest.raises(RunNotFoundError, match="does not exist"):
        find_run(tmp_path / "no-runs-here", "anything")
    with pytest.raises(RunNotFoundError):
        find_run(tmp_path, "")


def test_describe_run(tmp_path: Path) -> None:
    run = create(tmp_path, "r", 1.0)
    for kind in ["proposal", "trial_result", "trial_result"]:
        run.append(kind, {})
    with run.events_path.open("ab") as handle:
        handle.write(b"{torn")
    details = describe_run(RunDir.open(run.path))
    assert details.name == run.name
    assert details.config == {"seed": 0}
    assert details.provenance == PROVENANCE
    assert details.summary is None
    assert details.event_counts == {"proposal": 1, "trial_result": 2}
    assert details.n_events == 3
    assert details.torn_tail is True
    assert details.status == "interrupted"
    run.write_summary({"status": "stopped"})
    assert describe_run(run).status == "stopped"


def test_details_and_infos_dump_to_json(tmp_path: Path) -> None:
    run = create(tmp_path, "r", 1.0)
    run.append("k", {})
    dumped = describe_run(run).model_dump(mode="json")
    assert json.loads(json.dumps(dumped))["path"] == str(run.path)
    assert dumped["provenance"]["hostname"] == "host"
    (info,) = list_runs(tmp_path)
    assert info.model_dump(mode="json")["cost_usd"] is None
