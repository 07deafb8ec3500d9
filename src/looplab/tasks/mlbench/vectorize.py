"""The `vectorize-conv` task: speed up a naive numpy convolution forward pass without changing its output.

A trial runs the candidate's forward pass and the naive original on the same random inputs in one sandbox
job (`conv.py`); the score is the speed-up (the original's time / the candidate's), or 0 when the output
differs from the original's or the code fails. Items are input seeds with a stride and a padding: training
items use (stride, padding) = (1, 1), (2, 0), (1, 0); validation (2, 1); test (1, 2) and (2, 2), which no
training item has, so a candidate that hard-codes one configuration is caught.

Starting artifacts:

- `blank`: a stub `conv_forward` that returns nothing (score 0).
- `monolithic`: the naive original as the trainable `conv_forward` (speed-up about 1).
- `modular`: the padding, the loop over the batch and the ReLU are fixed wiring; only the per-image kernel
  `convolve_image(padded_image, kernels, biases, stride)` is trainable, starting from the same naive loops.
  Vectorizing the kernel helps, but the batch loop in Python stays: the reachable speed-up is capped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from looplab.artifact import Artifact, CodeParam, StartingArtifact
from looplab.sandbox.protocol import ErrorInfo, SandboxJob, SandboxLimits, SandboxResult
from looplab.tasks.mlbench.conv import ENTRYPOINT, KERNEL_WIRING, WHOLE_WIRING
from looplab.tasks.mlbench.feedback import error_block, join_blocks, output_block, with_feedback_point
from looplab.tasks.mlbench.options import VectorizeOptions, parse_options
from looplab.tasks.mlbench.solution import Solution, scan_vectorization, solution_metrics
from looplab.tasks.protocol import Outcome, Split, TaskShape, TrialContext, TrialItem
from looplab.trace import Trace

CONFIGURATIONS: dict[Split, tuple[tuple[int, int], ...]] = {
    "train": ((1, 1), (2, 0), (1, 0)),
    "validation": ((2, 1),),
    "test": ((1, 2), (2, 2)),
}
_SEED_BASE: dict[Split, int] = {"train": 0, "validation": 10_000, "test": 20_000}

_SHAPES = """\
images: float64 array (batch, height, width, channels). kernels: float64 array (size, size, channels, \
filters). biases: float64 array (filters,). stride, padding: ints (padding adds that many rows and columns \
of zeros on each side). The output is a float64 array (batch, out_height, out_width, filters) with \
out_height = (height + 2 * padding - size) // stride + 1 (out_width likewise): output[n, i, j, f] = \
ReLU(sum(padded[n, i*stride : i*stride+size, j*stride : j*stride+size, :] * kernels[:, :, :, f]) \
+ biases[f])."""

_RULES = """\
It must give the same output as the original (np.allclose with default tolerances) for every stride and \
padding. Runs offline in a sandbox with numpy, in one process; the inputs must not be modified."""

NAIVE_FORWARD = '''import numpy as np


def conv_forward(images, kernels, biases, stride, padding):
    """Convolve images with kernels, add biases, apply ReLU (see the description)."""
    batch, height, width, _ = images.shape
    size, _, _, filters = kernels.shape
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    out_height = (height + 2 * padding - size) // stride + 1
    out_width = (width + 2 * padding - size) // stride + 1
    output = np.zeros((batch, out_height, out_width, filters))
    for n in range(batch):
        for i in range(out_height):
            for j in range(out_width):
                for f in range(filters):
                    window = padded[n, i * stride : i * stride + size, j * stride : j * stride + size, :]
                    output[n, i, j, f] = np.sum(window * kernels[:, :, :, f]) + biases[f]
    return np.maximum(output, 0)
'''

BLANK_FORWARD = '''def conv_forward(images, kernels, biases, stride, padding):
    """Convolve images with kernels, add biases, apply ReLU (see the description)."""
    # Write the whole forward pass, as fast as you can make it.
    return None
'''

NAIVE_KERNEL = '''import numpy as np


def convolve_image(padded_image, kernels, biases, stride):
    """Convolve one padded image with kernels and add biases; no ReLU (see the description)."""
    size, _, _, filters = kernels.shape
    out_height = (padded_image.shape[0] - size) // stride + 1
    out_width = (padded_image.shape[1] - size) // stride + 1
    output = np.zeros((out_height, out_width, filters))
    for i in range(out_height):
        for j in range(out_width):
            for f in range(filters):
                window = padded_image[i * stride : i * stride + size, j * stride : j * stride + size, :]
                output[i, j, f] = np.sum(window * kernels[:, :, :, f]) + biases[f]
    return output
'''

FORWARD_DESCRIPTION = f"""\
The forward pass of a 2-D convolution layer with ReLU; make it as fast as possible. {_SHAPES}
{_RULES}"""

KERNEL_DESCRIPTION = f"""\
The convolution of ONE image, bias added, without ReLU; make it as fast as possible. padded_image: \
float64 array (height + 2 * padding, width + 2 * padding, channels), already zero-padded; returns \
(out_height, out_width, filters). Fixed wiring (not editable) pads the batch, calls convolve_image once per \
image in a Python loop, stacks the results and applies ReLU. {_SHAPES}
{_RULES}"""


def vectorize_starting_artifacts() -> dict[str, StartingArtifact]:
    """`blank`, `monolithic` (the naive original) and `modular` (a trainable per-image kernel)."""

    def forward(source: str) -> Artifact:
        param = CodeParam("conv_forward", source, FORWARD_DESCRIPTION)
        return Artifact({param.name: param}, frozenset({param.name}), WHOLE_WIRING)

    kernel = CodeParam("convolve_image", NAIVE_KERNEL, KERNEL_DESCRIPTION)
    modular = Artifact({kernel.name: kernel}, frozenset({kernel.name}), KERNEL_WIRING)
    return {
        "blank": StartingArtifact("blank", "a stub conv_forward", forward(BLANK_FORWARD)),
        "monolithic": StartingArtifact(
            "monolithic", "the naive conv_forward, all trainable", forward(NAIVE_FORWARD)
        ),
        "modular": StartingArtifact(
            "modular",
            "fixed padding, batch loop, ReLU; trainable per-image convolve_image",
            modular,
        ),
    }


class VectorizeTask:
    """Speed up `conv_forward`; score = the original's time / the candidate's, 0 if the output differs."""

    name = "vectorize-conv"
    shape: TaskShape = "dataset"
    objective = (
        "Make the convolution forward pass faster while keeping its output: the score is the speed-up over "
        "the naive original, the original's run time divided by yours on the same inputs, measured in the "
        "same job (1 means as fast; higher is better). An output that differs from the original's "
        "(np.allclose), an error or a timeout scores 0."
    )

    def __init__(self, options: VectorizeOptions | None = None) -> None:
        self.options = options or VectorizeOptions()
        self.limits = SandboxLimits(
            wall_s=self.options.wall_s, cpu_s=self.options.cpu_s, memory_mb=self.options.memory_mb
        )

    def starting_artifacts(self) -> dict[str, StartingArtifact]:
        return vectorize_starting_artifacts()

    def items(self, split: Split) -> list[TrialItem]:
        count = {
            "train": self.options.train_items,
            "validation": self.options.validation_items,
            "test": self.options.test_items,
        }[split]
        items = []
        for index in range(count):
            stride, padding = CONFIGURATIONS[split][index % len(CONFIGURATIONS[split])]
            payload = {"seed": _SEED_BASE[split] + index, "stride": stride, "padding": padding}
            items.append(TrialItem(f"{split}-{index}-stride{stride}-pad{padding}", payload))
        return items

    def run_trial(self, artifact: Artifact, item: TrialItem, context: TrialContext) -> Outcome:
        sizes = self.options.model_dump(
            include={"batch_size", "image_size", "channels", "filters", "kernel_size"}
        )
        payload = {
            "sources": artifact.values(),
            "wiring": artifact.wiring,
            **sizes,
            **item.payload,
            "memory_mb": self.limits.memory_mb,
            "traced": context.traced,
        }
        result = context.sandbox.run(SandboxJob(ENTRYPOINT, payload, self.limits))
        return conv_outcome(item.id, result, scan_vectorization(artifact.values().values()), context.traced)


def conv_outcome(item_id: str, result: SandboxResult, solution: Solution, traced: bool) -> Outcome:
    """The Outcome of one timed forward pass: speed-up, or 0 with the reason."""
    value = result.value
    metrics = {"job_s": result.wall_s, "valid_submission": 0.0} | solution_metrics(solution)
    if value is None or value["error"] is not None:
        error = result.error if value is None else ErrorInfo.from_json(value["error"])
        error = error or ErrorInfo("crash", "NoResult", "the sandbox returned no result")
        component = None if value is None else value.get("component")
        headline = f"The forward pass failed ({error.kind}). Score 0."
        feedback = join_blocks(headline, error_block(error, component), output_block(result.stdout_tail))
        trace = _trace(value, headline) if traced else Trace()
        return Outcome(item_id, 0.0, feedback, trace, error, metrics=metrics)
    candidate_s, reference_s = float(value["candidate_s"]), float(value["reference_s"])
    speedup = reference_s / max(candidate_s, 1e-9)
    times = f"yours {candidate_s:.4f} s, the original {reference_s:.4f} s"
    metrics |= {"candidate_s": candidate_s, "reference_s": reference_s}
    if value["problem"] is not None:
        headline = f"Wrong output, so the speed-up does not count ({times}). Score 0."
        feedback = join_blocks(headline, f"Problem: {value['problem']}.", output_block(result.stdout_tail))
        return Outcome(item_id, 0.0, feedback, _trace(value, headline) if traced else Trace(), metrics=metrics)
    metrics |= {"speedup": speedup, "valid_submission": 1.0}
    headline = f"Speed-up {speedup:.2f}x over the original ({times}); the output matches. Score {speedup:.3g}."
    feedback = join_blocks(headline, f"Techniques: {solution.family}.", output_block(result.stdout_tail))
    return Outcome(item_id, speedup, feedback, _trace(value, headline) if traced else Trace(), metrics=metrics)


def _trace(value: Mapping[str, Any] | None, headline: str) -> Trace:
    if value is None:
        return Trace()
    return with_feedback_point(Trace.from_json(value["trace"]), headline)


def make_vectorize_task(options: Mapping[str, Any]) -> VectorizeTask:
    """Build vectorize-conv from `TaskRef.options`; bad options fail here."""
    return VectorizeTask(parse_options("vectorize-conv", VectorizeOptions, options))
