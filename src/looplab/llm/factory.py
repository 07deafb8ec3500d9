"""Build the LLM a config asks for: one backend, wrapped in outage guard → usage → cache → concurrency limit
→ retry.

The order matters: a cache hit is answered before the limit and the retry loop, costs nothing and makes no
backend call; the meter sees every call, fresh or cached; the outage guard sees each call's final failure,
after its retries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from looplab.config import Environment, LLMConfig
from looplab.errors import ConfigError
from looplab.llm.backends.litellm_backend import LiteLLMBackend
from looplab.llm.backends.local import LocalLLM
from looplab.llm.backends.openai_compat import OpenAICompatLLM
from looplab.llm.backends.replay import ReplayLLM
from looplab.llm.cache import CachedLLM, ReplyCache
from looplab.llm.limit import ConcurrencyLimitedLLM
from looplab.llm.local_server import LocalServerManager
from looplab.llm.model_file import ensure_model, model_path
from looplab.llm.outage import OutageGuard
from looplab.llm.protocol import LLM
from looplab.llm.retry import RetryingLLM, RetryPolicy
from looplab.llm.types import RetryNote
from looplab.llm.usage import MeteredLLM, PriceTable, UsageMeter


def cache_path(home: Path) -> Path:
    """Where every backend's replies are kept (shared by runs, so a rerun with a warm cache calls nothing)."""
    return home / "llm-cache.sqlite"


def server_state_dir(home: Path) -> Path:
    """Where the one embedded-model server of this machine keeps its state, leases and log."""
    return home / "server"


@dataclass
class LLMStack:
    """The composed LLM and the handles a caller may want: the meter, the outage guard, the bare backend."""

    llm: LLM
    backend: LLM
    meter: UsageMeter
    guard: OutageGuard
    """The outermost wrapper (`llm` itself), for a resumed run to say the LLM was down when it stopped."""
    cache: ReplyCache | None = None
    retries: list[RetryNote] = field(default_factory=list)


def build_backend(config: LLMConfig, env: Environment, *, progress: Callable[[str], None] | None = None) -> LLM:
    """The bare backend named by `config.backend` (no cache, retry or metering)."""
    if config.backend == "local":
        path = (
            model_path(env.model_path, env.home)
            if env.model_path
            else ensure_model(env.home, progress=progress)
        )
        manager = LocalServerManager(server_state_dir(env.home), path, slots=env.server_slots)
        return LocalLLM(manager, config.model, config.timeout_s)
    if config.backend == "openai":
        if not config.base_url:
            raise ConfigError(
                "llm.backend = 'openai' needs llm.base_url, e.g. https://api.openai.com/v1 or "
                "http://127.0.0.1:8000/v1 for a vLLM or llama.cpp server."
            )
        return OpenAICompatLLM(
            config.base_url,
            config.model,
            api_key=env.secrets.get(config.api_key_env),
            timeout_s=config.timeout_s,
        )
    if config.backend == "litellm":
        return LiteLLMBackend(config.model, timeout_s=config.timeout_s)
    if config.backend == "replay":
        return ReplayLLM(ReplyCache(cache_path(env.home)), config.replay_backend, config.model)
    raise ConfigError(
        "llm.backend = 'scripted' replies from a list given in code (tests, demos); "
        "it cannot be chosen from a config file. Use local, openai, litellm or replay."
    )


def build_llm(
    config: LLMConfig,
    env: Environment,
    *,
    backend: LLM | None = None,
    use_cache: bool | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> LLMStack:
    """Compose the full stack for `config`; `backend` replaces the configured one (tests pass a ScriptedLLM)."""
    bare = backend if backend is not None else build_backend(config, env, progress=progress)
    stack_retries: list[RetryNote] = []
    llm: LLM = bare
    if config.backend != "replay" or backend is not None:
        policy = RetryPolicy(
            max_retries=config.max_retries,
            base_delay_s=config.retry_base_delay_s,
            max_delay_s=config.retry_max_delay_s,
        )
        llm = RetryingLLM(llm, policy, rng=random.Random(seed), on_retry=stack_retries.append)
        llm = ConcurrencyLimitedLLM(llm, config.concurrency)
    cache: ReplyCache | None = None
    caching = config.cache if use_cache is None else use_cache
    if caching and config.backend != "replay":
        cache = ReplyCache(cache_path(env.home))
        llm = CachedLLM(llm, cache)
    meter = UsageMeter()
    llm = MeteredLLM(llm, PriceTable(config.prices), meter)
    guard = OutageGuard(llm, config.max_failed_calls_in_a_row)
    return LLMStack(llm=guard, backend=bare, meter=meter, guard=guard, cache=cache, retries=stack_retries)
