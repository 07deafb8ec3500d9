"""Environment interactions of one run: the agent steps its trials played, by kind, from its `trial` events.

Every trial's Outcome records `env_steps`, the environment steps the episode took (0 for dataset tasks). A
trial is journaled once per (split, traced or not, artifact version, item) and read back after that (a
reverted-to artifact is not played again, a resumed run repeats no completed trial), so the sum over the
`trial` events is what the run played: the number to compare with the sample use of deep RL baselines.

The kinds: *traced* training episodes (the rollouts the optimizer learns from), *re-scored* training
episodes (untraced replays of candidates on the update's batch, by the `ensure_improvement` and `best_of_n`
search policies), and the *evaluation* episodes on validation and test.

`repeated_evaluations_of` counts the evaluations (one artifact version on validation or test) whose
episodes all scored the same: with no sticky actions a deterministic policy plays one game on every seed,
and a report should say so rather than let several episodes pass for several measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from looplab.store.events import EventRecord

__all__ = ["EnvSteps", "RepeatedEvaluations", "describe_env_steps", "env_steps_of", "repeated_evaluations_of"]

_UNTRACED_TRAIN_PREFIX = "trial:train:plain:"
"""The journal key of an untraced training trial (`looplab.trials.trial_key`)."""


@dataclass(frozen=True)
class EnvSteps:
    """Environment steps a run played, summed over its trials, by kind."""

    traced: int = 0
    """Traced training episodes: the rollouts whose traces the optimizer saw."""
    rescored: int = 0
    """Untraced training episodes: candidates re-scored on the update's batch."""
    validation: int = 0
    test: int = 0

    @property
    def evaluation(self) -> int:
        """Validation plus test steps."""
        return self.validation + self.test

    @property
    def total(self) -> int:
        """Every step the run played."""
        return self.traced + self.rescored + self.evaluation


def _steps(data: Mapping[str, Any]) -> int:
    outcome = data.get("outcome")
    value = outcome.get("env_steps", 0) if isinstance(outcome, Mapping) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def env_steps_of(records: Iterable[EventRecord]) -> EnvSteps:
    """The steps of every `trial` event among `records`, by kind; other events are ignored."""
    totals = {"traced": 0, "rescored": 0, "validation": 0, "test": 0}
    for record in records:
        if record.kind != "trial":
            continue
        split = record.data.get("split")
        if split == "train":
            untraced = str(record.data.get("key", "")).startswith(_UNTRACED_TRAIN_PREFIX)
            totals["rescored" if untraced else "traced"] += _steps(record.data)
        elif split in ("validation", "test"):
            totals[str(split)] += _steps(record.data)
    return EnvSteps(**totals)


def describe_env_steps(steps: EnvSteps) -> str:
    """One line for people: `12,000 (traced 2,000, validation 6,000, test 4,000)`; re-scored only if any."""
    parts = [f"traced {steps.traced:,}"]
    if steps.rescored:
        parts.append(f"re-scored {steps.rescored:,}")
    parts += [f"validation {steps.validation:,}", f"test {steps.test:,}"]
    return f"{steps.total:,} ({', '.join(parts)})"


@dataclass(frozen=True)
class RepeatedEvaluations:
    """How many of a run's evaluations (one artifact version on the validation or test split, two or more
    episodes) scored the same on every episode. Without sticky actions a deterministic policy plays the same
    game on every seed, so such an evaluation measured one game, however many episodes it played."""

    identical: int = 0
    evaluations: int = 0


def repeated_evaluations_of(records: Iterable[EventRecord]) -> RepeatedEvaluations:
    """Count, among the validation and test `trial` events of `records`, the evaluations whose episodes all
    scored the same; an evaluation is the trials of one split and artifact version."""
    scores: dict[tuple[str, str], list[float]] = {}
    for record in records:
        split, outcome = record.data.get("split"), record.data.get("outcome")
        if record.kind != "trial" or split not in ("validation", "test") or not isinstance(outcome, Mapping):
            continue
        score = outcome.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool):
            scores.setdefault((str(split), str(record.data.get("version"))), []).append(float(score))
    repeated = [values for values in scores.values() if len(values) >= 2]
    return RepeatedEvaluations(sum(len(set(values)) == 1 for values in repeated), len(repeated))
