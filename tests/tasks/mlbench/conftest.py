"""Shared fixtures of the mlbench tests: a small local copy of the spaceship-titanic data, and sandboxes.

The local copy lives under `<tmp>/shared/data/spaceship-titanic` and the process sandbox puts its jobs under
`<tmp>/work/jobs`, so a candidate that walks up from its working directory does reach the copy's answer.csv:
the leakage tests need the answers to be *findable*, so that what stops the candidate is the guard.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

if importlib.util.find_spec("sklearn") is None or importlib.util.find_spec("pandas") is None:
    pytest.skip("needs the mlbench extra: pip install 'looplab[mlbench]'", allow_module_level=True)

from looplab.config import Environment
from looplab.sandbox.process import ProcessSandbox
from looplab.tasks.mlbench.datasets import default_data_dir

SPACESHIP = default_data_dir() / "spaceship-titanic"
TRAIN_ROWS = 300
TEST_ROWS = 80


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`<tmp>/shared/data` with the first rows of spaceship-titanic's train, test and answer files."""
    if not SPACESHIP.is_dir():
        pytest.skip(f"the spaceship-titanic data is not at {SPACESHIP}")
    root = tmp_path_factory.mktemp("mlbench") / "shared" / "data"
    folder = root / "spaceship-titanic"
    folder.mkdir(parents=True)
    for name, rows in (("train.csv", TRAIN_ROWS), ("test.csv", TEST_ROWS), ("answer.csv", TEST_ROWS)):
        lines = (SPACESHIP / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / name).write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return root


@pytest.fixture
def process_sandbox(data_root: Path) -> ProcessSandbox:
    """The real sandbox, its jobs next to the data copy (see the module docstring)."""
    jobs = data_root.parent.parent / "work" / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    return ProcessSandbox(host_env=Environment.from_os().sandbox_env, tmp_root=jobs)
