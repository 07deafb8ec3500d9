"""Typed configuration: the models, TOML loading, `--set` overrides and the environment.

This is the only module that reads environment variables (`Environment.from_os`). Everything below it
receives plain values. Every field has a default and a description; `looplab config show` prints the
resolved model, and each run saves it as `config.json`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from looplab.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)

BackendName = Literal["local", "openai", "litellm", "scripted", "replay"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Config):
    """Price of one model in US dollars per million tokens."""

    input_per_mtok: float = Field(default=0.0, ge=0.0, description="Dollars per million prompt tokens.")
    output_per_mtok: float = Field(default=0.0, ge=0.0, description="Dollars per million completion tokens.")


HOSTED_TIMEOUT_S = 300.0
LOCAL_TIMEOUT_S = 1800.0


class LLMConfig(_Config):
    """Which LLM answers, and the wrappers around it (cache, retry, concurrency, prices)."""

    @model_validator(mode="before")
    @classmethod
    def _local_timeout(cls, data: Any) -> Any:
        """The embedded model's longer default timeout, written into the config so the saved run shows it."""
        if isinstance(data, Mapping) and "timeout_s" not in data and data.get("backend", "local") == "local":
            return {**data, "timeout_s": LOCAL_TIMEOUT_S}
        return data

    backend: BackendName = Field(
        default="local",
        description="local: the embedded Qwen2.5-Coder-1.5B model; openai: any OpenAI-compatible endpoint; "
        "litellm: any litellm provider (extra 'litellm'); scripted: canned replies (tests); "
        "replay: answers only from the cache.",
    )
    model: str = Field(
        default="qwen2.5-coder-1.5b-instruct-q4_k_m",
        description="Model id sent to the backend (for local, a label of the embedded model).",
    )
    base_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (openai only).",
    )
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        description="Name of the environment variable that holds the API key (openai backend).",
    )
    replay_backend: BackendName = Field(
        default="local",
        description="replay only: the backend whose recorded replies are replayed from the cache.",
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Default sampling temperature.")
    max_tokens: int = Field(default=1024, gt=0, description="Default upper bound on generated tokens.")
    seed: int = Field(default=0, description="Default sampling seed.")
    timeout_s: float = Field(
        default=HOSTED_TIMEOUT_S,
        gt=0,
        description=f"Seconds before one call counts as timed out; default {HOSTED_TIMEOUT_S:g}, and "
        f"{LOCAL_TIMEOUT_S:g} for the embedded model (a 1,000-token reply from a server busy with other "
        "requests on 2 cores takes 5 minutes and more).",
    )
    max_retries: int = Field(
        default=5, ge=0, description="Retries after rate limits, timeouts and server errors."
    )
    max_failed_calls_in_a_row: int = Field(
        default=3,
        ge=1,
        description="Calls that fail one after another (each after its retries) before the run stops, "
        "resumable, instead of recording failed proposals or trials against an LLM that is down.",
    )
    retry_base_delay_s: float = Field(default=1.0, ge=0, description="First backoff delay; doubles per retry.")
    retry_max_delay_s: float = Field(default=60.0, ge=0, description="Cap on one backoff delay.")
    concurrency: int = Field(default=4, ge=1, description="Calls in flight at once through this LLM.")
    cache: bool = Field(default=True, description="Keep every reply in the SQLite cache and reuse it.")
    prices: dict[str, Price] = Field(
        default_factory=dict,
        description="Price per model id; a model not listed costs 0 (the local model is free).",
    )


_SANDBOX_VARIABLES = ("PATH", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class Environment(_Config):
    """The environment variables looplab reads, read once, here and nowhere else."""

    home: Path = Field(description="LOOPLAB_HOME: caches (model file, LLM replies, server state).")
    runs_dir: Path = Field(description="LOOPLAB_RUNS_DIR: where run directories are written.")
    model_path: Path | None = Field(
        default=None, description="LOOPLAB_MODEL_PATH: use this GGUF file instead of the fetched one."
    )
    log_level: str = Field(default="WARNING", description="LOOPLAB_LOG_LEVEL: logging level for people.")
    server_slots: int = Field(
        default=2,
        ge=1,
        description="LOOPLAB_SERVER_SLOTS: requests the embedded-model server answers at once, when looplab "
        "starts it (a running server is reused as it is).",
    )
    sandbox_env: Mapping[str, str] = Field(
        default_factory=dict,
        description="PATH, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE: passed on to sandbox workers, nothing else.",
    )
    secrets: Mapping[str, str] = Field(
        default_factory=dict,
        description="Values of the API-key variables the config names (never written to disk).",
        repr=False,
    )

    @classmethod
    def from_os(cls, environ: Mapping[str, str] | None = None, key_vars: Sequence[str] = ()) -> Environment:
        env = os.environ if environ is None else environ
        home = Path(env.get("LOOPLAB_HOME") or Path.home() / ".cache" / "looplab").expanduser()
        runs = Path(env.get("LOOPLAB_RUNS_DIR") or "runs").expanduser()
        model_path = env.get("LOOPLAB_MODEL_PATH")
        slots = env.get("LOOPLAB_SERVER_SLOTS") or "2"
        if not slots.isdigit() or int(slots) < 1:
            raise ConfigError(f"LOOPLAB_SERVER_SLOTS={slots!r} must be a positive whole number, e.g. 2 or 4.")
        return cls(
            home=home,
            runs_dir=runs,
            model_path=Path(model_path).expanduser() if model_path else None,
            log_level=env.get("LOOPLAB_LOG_LEVEL", "WARNING").upper(),
            server_slots=int(slots),
            sandbox_env={name: env[name] for name in _SANDBOX_VARIABLES if env.get(name)},
            secrets={name: env[name] for name in key_vars if env.get(name)},
        )


class LooplabConfig(_Config):
    """The root of a config file. Later layers add sections (task, loop, sweep)."""

    name: str = Field(default="run", description="Name of the run; the run directory starts with it.")
    seed: int = Field(default=0, description="Seed of every random generator in the run.")
    llm: LLMConfig = Field(default_factory=LLMConfig, description="The LLM the run calls.")


# --- loading ---------------------------------------------------------------------------------------------


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `a.b.c=value` into its key path and a value parsed as TOML (falling back to a plain string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: expected KEY=VALUE, for example --set llm.temperature=0.7")
    path = [part.strip() for part in key.split(".")]
    if any(not part for part in path):
        raise ConfigError(f"--set {text!r}: the key {key!r} has an empty part")
    try:
        value: Any = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return path, value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Return a copy of `data` with each `a.b=c` override set (creating tables as needed)."""
    result: dict[str, Any] = json.loads(json.dumps(data))
    for text in overrides:
        path, value = parse_override(text)
        table = result
        for part in path[:-1]:
            child = table.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is a value, not a table")
            table = child
        table[path[-1]] = value
    return result


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, or a `ConfigError` naming the file and the line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}") from None


def validate_config(model: type[ModelT], data: Mapping[str, Any], source: str) -> ModelT:
    """Validate `data` as `model`; a failure names the source, each bad field and what it allows."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        lines = [f"Invalid config in {source}:"]
        for issue in error.errors():
            field = ".".join(str(part) for part in issue["loc"]) or "(top level)"
            lines.append(f"  {field}: {issue['msg']}")
        raise ConfigError("\n".join(lines)) from None


def load_config(model: type[ModelT], path: Path | None, overrides: Sequence[str] = ()) -> ModelT:
    """Load `path` (or the defaults when None), apply `--set` overrides and validate."""
    data = read_toml(path) if path is not None else {}
    source = str(path) if path is not None else "the defaults"
    if overrides:
        source += " with --set " + " ".join(overrides)
    return validate_config(model, apply_overrides(data, overrides), source)


# --- the learning loop -----------------------------------------------------------------------------------

FeedbackPointName = Literal["episode_end", "point_lost", "point_won", "life_lost", "error"]


class TaskRef(_Config):
    """Which task, which of its starting artifacts, and the task's own options."""

    name: str = Field(default="pong", description="A registered task; `looplab tasks` lists them.")
    start: str = Field(default="modular", description="The starting artifact; `looplab tasks` lists them.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Task-specific options (e.g. data_dir, max_steps); the task validates them.",
    )


class CreditHorizon(_Config):
    """How much of a multi-step trace the optimizer sees per update."""

    steps: int | Literal["all"] = Field(
        default="all", description="Trace steps shown before each feedback point: 1, k, or 'all'."
    )
    feedback_points: tuple[FeedbackPointName, ...] = Field(
        default=("episode_end", "error"),
        description="Which feedback points excerpts end at: "
        "episode_end, point_lost, point_won, life_lost, error.",
    )
    state_outcome: bool = Field(
        default=True, description="State the episode's aggregate outcome even when the trace is cut."
    )
    state_evaluation: Literal["episodic", "always", "never"] = Field(
        default="episodic",
        description="State the latest validation result of the artifact being improved (its mean score "
        "over the validation items, as recorded in the run) next to the trials: episodic: for episodic "
        "tasks only; always: for every task; never: not at all (to study the trace alone).",
    )
    history: int = Field(
        default=0, ge=0, description="How many past (artifact, feedback) pairs of this run are shown."
    )

    @field_validator("steps")
    @classmethod
    def _positive_steps(cls, steps: int | str) -> int | str:
        if isinstance(steps, int) and steps < 1:
            raise ValueError("must be at least 1, or 'all'")
        return steps


class Batching(_Config):
    """How many trials go into one update, and how they are combined."""

    size: int = Field(default=1, ge=1, description="B: trials per update.")
    aggregation: Literal["concat", "summarize", "per_trial"] = Field(
        default="concat",
        description="concat: one prompt sees all B trials; summarize: one summary per trial, then one "
        "update; per_trial: B proposals, keep the best.",
    )
    sampler: Literal["epoch", "with_replacement"] = Field(
        default="epoch",
        description="epoch: shuffle the training items each epoch, draw without replacement; "
        "with_replacement: draw B items independently.",
    )


class OptimizerConfig(_Config):
    """The optimizer style and how it talks to its LLM."""

    style: Literal["optoprime", "opro", "rewrite"] = Field(
        default="optoprime",
        description="optoprime: trace-aware sections; opro: past solutions with scores, no trace; "
        "rewrite: plain.",
    )
    max_repairs: int = Field(
        default=2, ge=0, description="Times an invalid reply is sent back with its validation error."
    )
    max_tokens: int = Field(default=1024, gt=0, description="Upper bound on tokens per optimizer reply.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature of proposals.")
    prompt_token_budget: int = Field(
        default=6000, gt=0, description="Upper bound on the rendered evidence, in tokens (estimated)."
    )


class SearchConfig(_Config):
    """Which candidate survives an update."""

    policy: Literal["greedy", "ensure_improvement", "validate", "best_of_n", "beam"] = Field(
        default="greedy",
        description="greedy: take every valid proposal (revert-to-best on a sustained drop); "
        "ensure_improvement: keep only if not worse on the same batch; validate: keep only if validation "
        "rises; best_of_n: n proposals, keep the best; beam: keep the best `n` artifacts.",
    )
    n: int = Field(default=2, ge=1, description="Proposals per update (best_of_n) or beam width (beam).")
    revert_after: int = Field(
        default=5, ge=1, description="greedy: revert to the best after this many updates below the fraction."
    )
    revert_fraction: float = Field(
        default=0.8, description="greedy: an update 'drops' when its score is below fraction × best."
    )
    revert_on_error: bool = Field(
        default=False,
        description="greedy, ensure_improvement, validate, best_of_n: when the validation of the current "
        "artifact has an error, revert to the last artifact whose validation had none.",
    )


class BudgetConfig(_Config):
    """Limits checked before each LLM call and each update; the reason a run stopped is recorded."""

    max_updates: int = Field(default=5, ge=0, description="Updates (optimizer steps).")
    max_llm_calls: int | None = Field(default=None, ge=0, description="LLM calls, repairs included.")
    max_tokens: int | None = Field(default=None, ge=0, description="Prompt plus completion tokens.")
    max_cost_usd: float | None = Field(default=None, ge=0, description="Money spent on LLM calls.")
    max_evaluations: int | None = Field(default=None, ge=0, description="Trials run (episodes or examples).")
    max_wall_s: float | None = Field(default=None, gt=0, description="Wall-clock seconds of the run.")
    target_score: float | Literal["task"] | None = Field(
        default=None,
        description="Stop once a validation score reaches this; 'task': the task's own target (its "
        "`target_score`; a task without one sets no target); none: no target.",
    )


class EvaluationConfig(_Config):
    """When validation and test run."""

    validation_every: int = Field(default=1, ge=0, description="Validate every k updates (0: never).")
    test_at_end: bool = Field(default=True, description="Score the final artifact on the test split once.")


class LoopConfig(_Config):
    """The three hidden choices (starting artifact is in `task.start`) and the rest of the loop."""

    credit_horizon: CreditHorizon = Field(default_factory=CreditHorizon)
    batching: Batching = Field(default_factory=Batching)
    optimizer: OptimizerConfig = Field(default_factory=OptimizerConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)


class SandboxConfig(_Config):
    """Limits of the worker processes that run candidate code."""

    wall_s: float = Field(default=120.0, gt=0, description="Wall-clock seconds per job before it is killed.")
    cpu_s: float = Field(default=120.0, gt=0, description="CPU seconds per job (RLIMIT_CPU).")
    memory_mb: int = Field(default=2048, gt=0, description="Address-space limit per job (RLIMIT_AS), in MiB.")
    output_kb: int = Field(default=64, gt=0, description="Tail of stdout/stderr kept per job, in KiB.")
    output_limit_kb: int = Field(
        default=4096, gt=0, description="Total stdout plus stderr per job, in KiB, before the job is killed."
    )
    workers: int = Field(default=2, ge=1, description="Jobs run at once.")


class RunConfig(LooplabConfig):
    """One run: a task with a starting artifact, the loop settings, the LLMs and the sandbox."""

    task: TaskRef = Field(default_factory=TaskRef)
    loop: LoopConfig = Field(default_factory=LoopConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    task_llm: LLMConfig | None = Field(
        default=None, description="The LLM the artifact itself calls (dataset tasks); default: `llm`."
    )


class SweepSettings(_Config):
    """A grid of loop settings × seeds; each combination is one run."""

    grid: dict[str, list[Any]] = Field(
        default_factory=dict,
        description='Dotted config field → values, e.g. "loop.batching.size" = [1, 3, 5]; the runs are the '
        "cross product of all lists.",
    )
    seeds: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="Seeds; each combination runs once per seed."
    )
    workers: int = Field(
        default=1, ge=1, description="Runs at once (local pool processes, or Ray tasks in flight)."
    )
    executor: Literal["local", "ray"] = Field(
        default="local", description="local: a process pool on this machine; ray: a Ray cluster (extra 'ray')."
    )


class SweepConfig(RunConfig):
    """A sweep file: a base run config plus the `[sweep]` table."""

    sweep: SweepSettings = Field(default_factory=SweepSettings)


def load_run_or_sweep(path: Path | None, overrides: Sequence[str] = ()) -> RunConfig:
    """A config file as a `SweepConfig` when it has a `[sweep]` table, else as a `RunConfig`."""
    data = read_toml(path) if path is not None else {}
    model: type[RunConfig] = SweepConfig if "sweep" in data else RunConfig
    return load_config(model, path, overrides)
