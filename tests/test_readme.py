"""The README documents every setting and every environment variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from looplab.config import (
    Batching,
    BudgetConfig,
    CreditHorizon,
    EvaluationConfig,
    LLMConfig,
    OptimizerConfig,
    RunConfig,
    SandboxConfig,
    SearchConfig,
    SweepSettings,
    TaskRef,
)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

SECTIONS: dict[str, type[BaseModel]] = {
    "### LLM settings (`[llm]`)": LLMConfig,
    "### `[task]`": TaskRef,
    "### `[loop.credit_horizon]`": CreditHorizon,
    "### `[loop.batching]`": Batching,
    "### `[loop.optimizer]`": OptimizerConfig,
    "### `[loop.search]`": SearchConfig,
    "### `[loop.budget]`": BudgetConfig,
    "### `[loop.evaluation]`": EvaluationConfig,
    "### `[sandbox]`": SandboxConfig,
    "### `[sweep]` (sweep files only)": SweepSettings,
}


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n#", start + len(title))
    return README[start : end if end != -1 else None]


@pytest.mark.parametrize("title", list(SECTIONS))
def test_every_setting_is_documented_in_its_section(title: str) -> None:
    section = _section(title)
    for name in SECTIONS[title].model_fields:
        assert f"| `{name}` |" in section, f"README section {title} lacks a row for {name}"


def test_every_top_level_setting_is_documented() -> None:
    for name in RunConfig.model_fields:
        if name not in {"llm", "task", "loop", "sandbox"}:
            assert f"`{name}`" in README, f"README does not mention the top-level field {name}"


def test_every_environment_variable_read_is_documented() -> None:
    read = set()
    for path in (ROOT / "src" / "looplab").rglob("*.py"):
        read |= set(re.findall(r"\"(LOOPLAB_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    assert read, "expected the config layer to read LOOPLAB_* variables"
    for variable in sorted(read):
        assert f"`{variable}`" in README, f"README does not document {variable}"


def test_every_command_is_in_the_commands_table() -> None:
    from looplab.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    table = _section("## Commands")
    for name in subparsers.choices:  # type: ignore[union-attr]
        assert f"`looplab {name}" in table, f"README's command table lacks looplab {name}"
