"""The one exception tree of looplab.

Every error a user can meet is a `LooplabError`. Its message says what failed, why, and what to do next;
its `exit_code` is what the CLI exits with, distinct per branch so scripts can tell failures apart.

A failing *candidate* (code the LLM wrote that crashes or hangs) is never an exception here: it is data,
an Outcome with an error, so the optimizer can learn from it.
"""

from __future__ import annotations


class LooplabError(Exception):
    """Base of every looplab error. The CLI prints `str(error)` without a traceback."""

    exit_code: int = 1


class ConfigError(LooplabError):
    """A config file, a `--set` override or an environment variable is invalid."""

    exit_code = 3


class MissingExtraError(LooplabError):
    """An optional dependency is needed for the chosen feature but is not installed."""

    exit_code = 7

    def __init__(self, feature: str, extra: str, module: str) -> None:
        super().__init__(
            f"{feature} needs the Python package {module!r}, which is not installed. "
            f"Install it with: pip install 'looplab[{extra}]'"
        )
        self.extra = extra


# --- LLM -------------------------------------------------------------------------------------------------


class LLMError(LooplabError):
    """An LLM call failed and will not be retried.

    The optimizer records such a failure as a failed proposal and a task as a failed trial, and the loop goes
    on, unless `stops_run` is set or the calls keep failing (`LLMUnavailableError`).
    """

    exit_code = 4
    stops_run: bool = False
    """No later call of the run can succeed either, so the run stops at the first one."""


class TransientLLMError(LLMError):
    """An LLM call failed in a way that may succeed if tried again (the retry wrapper retries these)."""

    kind: str = "transient"

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimitError(TransientLLMError):
    """The provider refused the call for now (HTTP 429 or its equivalent)."""

    kind = "rate_limit"


class LLMTimeoutError(TransientLLMError):
    """The call took longer than the configured timeout."""

    kind = "timeout"


class ServerError(TransientLLMError):
    """The provider failed on its side (HTTP 5xx, connection reset)."""

    kind = "server_error"


class RetriesExhaustedError(LLMError):
    """Every allowed attempt of one call failed with a transient error."""


class CredentialsError(LLMError):
    """The provider refused the API key (HTTP 401 or 403): it will refuse every later call too."""

    stops_run = True


class ReplayMissError(LLMError):
    """The replay backend was asked for a request that the cache does not hold: the replayed run has drifted
    from the recorded one, so it stops rather than record failures the recording never had."""

    stops_run = True


class LLMUnavailableError(LooplabError):
    """The run's LLM cannot be used now: a call failed with an error that `stops_run`, or
    `llm.max_failed_calls_in_a_row` calls failed one after another. The run stops with what it completed
    recorded, to be resumed once the cause is fixed. Not an `LLMError`: the optimizer and the tasks, which
    record a failed call and go on, let it through."""

    exit_code = 4


class TruncatedReplyError(LLMError):
    """A reply was cut off by the token limit and the caller needs a complete one."""


class ModelFetchError(LooplabError):
    """The embedded model file could not be fetched, assembled or verified."""

    exit_code = 5


# --- Run store -------------------------------------------------------------------------------------------


class StoreError(LooplabError):
    """A run directory is missing, unreadable or inconsistent."""

    exit_code = 6


class RunNotFoundError(StoreError):
    """No run directory matches the name or path given."""


# --- The loop --------------------------------------------------------------------------------------------


class BudgetExhausted(LooplabError):
    """A budget limit was reached; the loop stops cleanly and records `reason`. Not a failure."""

    exit_code = 0

    def __init__(self, reason: str) -> None:
        super().__init__(f"budget exhausted: {reason}")
        self.reason = reason


class TaskError(LooplabError):
    """A task is unknown, misconfigured, or its data is malformed (not a failing candidate: that is data)."""

    exit_code = 8
