"""Options of the mlbench tasks (`TaskRef.options`): typed, with defaults, validated when the task is built.

The sandbox limits are per job, that is per full train-and-predict run (or per timed convolution): the
default 120 s of wall and CPU time and 2048 MiB of address space leave room to spare. Measured here: a job
starts (worker, pandas and scikit-learn imports) in about 1 s, the weak drafts fit in under 0.3 s, and a
300-tree random forest plus a histogram gradient-boosting model on the full spaceship-titanic data run in
1.5 s within a 512 MiB address space. The run's own `[sandbox]` limits are a ceiling over these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from looplab.errors import TaskError

OptionsT = TypeVar("OptionsT", bound=BaseModel)


class JobLimits(BaseModel):
    """Per-job sandbox limits (wall clock, CPU time, address space)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_s: float = Field(default=120.0, gt=0, description="Wall-clock seconds per run before it is killed.")
    cpu_s: float = Field(default=120.0, gt=0, description="CPU seconds per run (RLIMIT_CPU).")
    memory_mb: int = Field(default=2048, ge=256, description="Address space per run, in MiB (RLIMIT_AS).")


class TabularOptions(JobLimits):
    """Options of spaceship-titanic, sklearn-diabetes and sklearn-breast-cancer."""

    data_dir: str | None = Field(
        default=None,
        description="spaceship-titanic only: the folder holding spaceship-titanic/ (default: ../shared/data "
        "from the project root).",
    )
    folds: int = Field(
        default=5, ge=2, le=20, description="Training items: the development rows are cut into this many folds."
    )
    validation_fraction: float = Field(
        default=0.2, gt=0.0, lt=0.5, description="Share of the training file held out as the validation item."
    )
    split_seed: int = Field(default=0, description="Seed of the validation hold-out and of the folds.")
    max_rows: int | None = Field(
        default=None,
        ge=20,
        description="Use at most this many rows of the training file and of the test file (a seeded sample; "
        "for quick checks).",
    )


class VectorizeOptions(JobLimits):
    """Options of vectorize-conv: the size of the convolution and the items per split."""

    batch_size: int = Field(default=16, ge=1, le=256, description="Images per forward pass.")
    image_size: int = Field(default=48, ge=4, le=256, description="Height and width of each image.")
    channels: int = Field(default=3, ge=1, le=64, description="Input channels.")
    filters: int = Field(default=8, ge=1, le=128, description="Output channels (number of kernels).")
    kernel_size: int = Field(default=3, ge=1, le=9, description="Height and width of each kernel.")
    train_items: int = Field(default=3, ge=1, description="Training items (input seed, stride, padding).")
    validation_items: int = Field(default=1, ge=1, description="Validation items.")
    test_items: int = Field(default=2, ge=1, description="Test items.")


def parse_options(task: str, model: type[OptionsT], options: Mapping[str, Any]) -> OptionsT:
    """`options` validated as `model`; a `TaskError` names every bad option and what it allows."""
    try:
        return model.model_validate(dict(options))
    except ValidationError as error:
        allowed = ", ".join(model.model_fields)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'options'}: {issue['msg']}"
            for issue in error.errors()
        )
        raise TaskError(f"Task {task}: invalid option(s): {problems}. Allowed options: {allowed}.") from None
