"""Provenance: versions, machine, command line and git sha, each tolerated when absent."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import looplab
from looplab.store.provenance import (
    Provenance,
    collect_provenance,
    git_head,
    looplab_source,
    package_versions,
    source_state,
)


def test_collects_versions_argv_and_extra(tmp_path: Path) -> None:
    provenance = collect_provenance({"model_sha256": "ab" * 32}, ["looplab", "run", "x.toml"], cwd=tmp_path)
    assert provenance.looplab_version == looplab.__version__
    assert provenance.python_version == platform.python_version()
    assert provenance.argv == ("looplab", "run", "x.toml")
    assert provenance.extra == {"model_sha256": "ab" * 32}
    assert provenance.hostname
    assert "pydantic" in provenance.packages


def test_round_trips_through_json(tmp_path: Path) -> None:
    provenance = collect_provenance(argv=["a"], cwd=tmp_path)
    assert Provenance.model_validate_json(provenance.model_dump_json()) == provenance


def test_missing_packages_are_left_out() -> None:
    versions = package_versions(["pydantic", "surely-not-an-installed-package-xyz"])
    assert set(versions) == {"pydantic"}


def test_no_git_repository_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_head(tmp_path) is None
    assert collect_provenance(argv=[], cwd=tmp_path).git_sha is None


def test_no_git_executable_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_head(tmp_path) is None


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_sha_of_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))

    def git(*args: str) -> str:
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
        return subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "f").write_text("x", encoding="utf-8")
    git("add", "f")
    git("commit", "-q", "-m", "c")
    assert git_head(tmp_path) == git("rev-parse", "HEAD").strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_source_state_names_the_commit_and_uncommitted_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)

    def git(*args: str) -> str:
        command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
        return subprocess.run(command, cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    assert source_state(package) is None  # not a checkout: an installed wheel
    git("init", "-q")
    (package / "m.py").write_text("x = 1\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "c")
    sha = git("rev-parse", "HEAD").strip()
    assert source_state(package) == sha
    (tmp_path / "elsewhere.txt").write_text("outside the package\n", encoding="utf-8")
    assert source_state(package) == sha
    (package / "new.py").write_text("y = 1\n", encoding="utf-8")  # a new module is changed code too
    assert source_state(package) == f"{sha}+dirty"
    (package / "new.py").unlink()
    (package / "m.py").write_text("x = 2\n", encoding="utf-8")
    assert source_state(package) == f"{sha}+dirty"


def test_the_looplab_source_is_read_once_per_process() -> None:
    first = collect_provenance(argv=[]).looplab_source
    assert looplab_source.cache_info().currsize == 1
    assert collect_provenance(argv=[]).looplab_source == first
