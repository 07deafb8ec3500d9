"""Config loading: TOML, `--set` overrides, errors that name the file and field, the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from looplab.config import (
    HOSTED_TIMEOUT_S,
    LOCAL_TIMEOUT_S,
    Environment,
    LLMConfig,
    LooplabConfig,
    apply_overrides,
    load_config,
    parse_override,
)
from looplab.errors import ConfigError


def test_defaults_without_a_file() -> None:
    config = load_config(LooplabConfig, None)
    assert config.llm == LLMConfig()
    assert config.llm.backend == "local"


def test_toml_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('name = "mine"\n[llm]\nbackend = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n')
    config = load_config(LooplabConfig, path, ["llm.temperature=0.7", "llm.model=gpt-x", "seed=3"])
    assert config.name == "mine"
    assert config.llm.backend == "openai"
    assert config.llm.temperature == 0.7
    assert config.llm.model == "gpt-x"
    assert config.seed == 3


def test_override_values_are_parsed_as_toml_with_string_fallback() -> None:
    assert parse_override("a.b=3") == (["a", "b"], 3)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override('a="x y"') == (["a"], "x y")
    assert parse_override("a=plain words") == (["a"], "plain words")
    assert parse_override("a=[1, 2]") == (["a"], [1, 2])


@pytest.mark.parametrize("text", ["novalue", "=3", "a..b=1"])
def test_malformed_override_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="--set"):
        parse_override(text)


def test_override_into_a_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"is a value, not a table"):
        apply_overrides({"name": "x"}, ["name.sub=1"])


def test_override_does_not_mutate_input() -> None:
    data = {"llm": {"temperature": 0.1}}
    apply_overrides(data, ["llm.temperature=0.9"])
    assert data == {"llm": {"temperature": 0.1}}


def test_invalid_field_names_file_field_and_allowed_values(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[llm]\nbackend = "gpt"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(LooplabConfig, path)
    message = str(caught.value)
    assert str(path) in message
    assert "llm.backend" in message
    assert "'local'" in message and "'openai'" in message


def test_unknown_field_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("[llm]\ntemprature = 0.5\n")
    with pytest.raises(ConfigError, match=r"llm\.temprature"):
        load_config(LooplabConfig, path)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[llm\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(LooplabConfig, broken)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(LooplabConfig, tmp_path / "nope.toml")


def test_out_of_range_override_is_reported_with_its_source() -> None:
    with pytest.raises(ConfigError, match=r"with --set llm\.temperature=5"):
        load_config(LooplabConfig, None, ["llm.temperature=5"])


def test_environment_reads_only_looplab_variables_and_named_keys(tmp_path: Path) -> None:
    env = Environment.from_os(
        {
            "LOOPLAB_HOME": str(tmp_path / "home"),
            "LOOPLAB_RUNS_DIR": str(tmp_path / "runs"),
            "LOOPLAB_LOG_LEVEL": "info",
            "LOOPLAB_SERVER_SLOTS": "4",
            "MY_KEY": "secret",
            "OTHER_KEY": "not read",
        },
        key_vars=["MY_KEY", "ABSENT_KEY"],
    )
    assert env.home == tmp_path / "home"
    assert env.runs_dir == tmp_path / "runs"
    assert env.log_level == "INFO"
    assert env.server_slots == 4
    assert dict(env.secrets) == {"MY_KEY": "secret"}
    assert "secret" not in repr(env)


def test_environment_defaults() -> None:
    env = Environment.from_os({})
    assert env.home == Path.home() / ".cache" / "looplab"
    assert env.runs_dir == Path("runs")
    assert env.model_path is None
    assert env.server_slots == 2


@pytest.mark.parametrize("value", ["0", "two", "-1", "2.5"])
def test_a_bad_server_slot_count_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match="LOOPLAB_SERVER_SLOTS"):
        Environment.from_os({"LOOPLAB_SERVER_SLOTS": value})


def test_the_embedded_model_waits_longer_for_a_reply_unless_told_otherwise() -> None:
    assert LLMConfig().timeout_s == LOCAL_TIMEOUT_S == 1800
    assert LLMConfig(backend="openai", base_url="http://127.0.0.1:1/v1").timeout_s == HOSTED_TIMEOUT_S == 300
    assert LLMConfig(backend="local", timeout_s=60).timeout_s == 60
    config = load_config(LooplabConfig, None, ["llm.backend=litellm", "llm.model=gpt-4o-mini"])
    assert config.llm.timeout_s == HOSTED_TIMEOUT_S
    assert load_config(LooplabConfig, None, []).llm.timeout_s == LOCAL_TIMEOUT_S, "saved with the run as 1800"
