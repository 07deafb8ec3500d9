"""The README documents every setting and every environment variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from looplab.config import LLMConfig, LooplabConfig

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_llm_setting_is_documented() -> None:
    for name in LLMConfig.model_fields:
        assert f"| `{name}` |" in README, f"README lacks a row for llm.{name}"


def test_every_top_level_setting_is_documented() -> None:
    for name in LooplabConfig.model_fields:
        if name != "llm":
            assert f"`{name}`" in README, f"README does not mention the top-level field {name}"


def test_every_environment_variable_read_is_documented() -> None:
    read = set()
    for path in (ROOT / "src" / "looplab").rglob("*.py"):
        read |= set(re.findall(r"\"(LOOPLAB_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    assert read, "expected the config layer to read LOOPLAB_* variables"
    for variable in sorted(read):
        assert f"`{variable}`" in README, f"README does not document {variable}"
