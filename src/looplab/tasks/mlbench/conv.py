"""The vectorization harness: time a candidate convolution forward pass against the naive original.

The original (MLAgentBench's vectorization task, rewritten here) is `conv_forward`: a 2-D convolution of a
batch of images with zero padding and a stride, plus a bias, then ReLU, computed window by window in four
nested Python loops. In the worker, the harness draws the item's inputs from its seed, runs the candidate
first (so no reference output exists yet that it could find), then the original, on copies of the same
inputs, and returns both times and whether the outputs agree (`np.allclose`, default tolerances). The
candidate is timed on its one call (a repeated call could be answered from a cache); the original, trusted
code, is repeated when it takes under 0.2 s (at most five times, one second in all), keeping the fastest.

Two wirings:

- `conv:whole` (starts `blank` and `monolithic`): the candidate's `conv_forward(images, kernels, biases,
  stride, padding)` is the whole forward pass.
- `conv:kernel` (start `modular`): fixed wiring pads the batch, calls the candidate's
  `convolve_image(padded_image, kernels, biases, stride)` once per image, stacks the results and applies
  ReLU. The per-image Python loop stays, so this start cannot vectorize across the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from looplab.sandbox.candidate import load_functions
from looplab.sandbox.worker import describe_failure
from looplab.trace import TraceRecorder

ENTRYPOINT = "looplab.tasks.mlbench.conv:run_conv"
WHOLE_WIRING = "conv:whole"
KERNEL_WIRING = "conv:kernel"
QUICK_CALL_S = 0.2
MAX_REPEATS = 5
REPEAT_BUDGET_S = 1.0

Array = np.ndarray[Any, Any]


def conv_forward(images: Array, kernels: Array, biases: Array, stride: int, padding: int) -> Array:
    """Convolve `images` with `kernels`, add `biases`, apply ReLU (the naive original, loop by loop)."""
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


def kernel_wiring(
    kernel: Callable[..., Any], images: Array, kernels: Array, biases: Array, *, stride: int, padding: int
) -> Array:
    """The fixed part of the `modular` start: pad, one kernel call per image, stack, ReLU."""
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    outputs = [np.asarray(kernel(padded[index], kernels, biases, stride)) for index in range(len(images))]
    stacked: Array = np.stack(outputs)
    return np.maximum(stacked, 0)


def make_inputs(payload: Mapping[str, Any]) -> tuple[Array, Array, Array]:
    """The item's images, kernels and biases, drawn from its seed."""
    rng = np.random.default_rng(int(payload["seed"]))
    batch, size, channels = int(payload["batch_size"]), int(payload["image_size"]), int(payload["channels"])
    kernel, filters = int(payload["kernel_size"]), int(payload["filters"])
    images = rng.standard_normal((batch, size, size, channels))
    return images, rng.standard_normal((kernel, kernel, channels, filters)), rng.standard_normal(filters)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """The first result of `call` and its fastest time (quick calls are repeated; trusted code only)."""
    started = time.perf_counter()
    result = call()
    best = time.perf_counter() - started
    spent, repeats = best, 1
    while best < QUICK_CALL_S and repeats < MAX_REPEATS and spent < REPEAT_BUDGET_S:
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        best, spent, repeats = min(best, elapsed), spent + elapsed, repeats + 1
    return result, best


def compare(output: Any, expected: Array) -> str | None:
    """Why `output` does not match the original's `expected`, or None when it does."""
    if output is None:
        return "the forward pass returned None, not an array"
    try:
        array = np.asarray(output, dtype=float)
    except (TypeError, ValueError):
        return f"the forward pass returned {type(output).__name__}, not an array of numbers"
    if array.shape != expected.shape:
        return f"the output has shape {array.shape}, the original's has shape {expected.shape}"
    if not np.allclose(array, expected):
        difference = np.abs(array - expected)
        index = tuple(
            int(i)
            for i in np.unravel_index(np.nanargmax(np.nan_to_num(difference, nan=np.inf)), difference.shape)
        )
        return (
            f"the output differs from the original's: at index {index} it is {array[index]!r}, the original "
            f"{expected[index]!r} ({int(np.sum(~np.isclose(array, expected)))} of {array.size} values differ)"
        )
    return None


def _candidate(functions: Mapping[str, Callable[..., Any]], wiring: str) -> tuple[str, Callable[..., Any]]:
    name = "convolve_image" if wiring == KERNEL_WIRING else "conv_forward"
    if name not in functions:
        raise NameError(f"the code defines no function named {name}")
    function = functions[name]
    if wiring == KERNEL_WIRING:
        return name, lambda images, kernels, biases, stride, padding: kernel_wiring(
            function, images, kernels, biases, stride=stride, padding=padding
        )
    return name, function


def run_conv(payload: Mapping[str, Any], workdir: Path) -> dict[str, Any]:
    """Sandbox entrypoint: time the candidate and the original on the item's inputs; compare outputs."""
    recorder = TraceRecorder(enabled=bool(payload.get("traced", True)))
    images, kernels, biases = make_inputs(payload)
    stride, padding = int(payload["stride"]), int(payload["padding"])
    component = "loading the candidate's code"
    try:
        component, forward = _candidate(load_functions(payload["sources"]), str(payload["wiring"]))
        started = time.perf_counter()
        output = forward(images.copy(), kernels.copy(), biases.copy(), stride, padding)
        candidate_s = time.perf_counter() - started
    except BaseException as failure:  # the candidate's failure is feedback, whatever it raised
        if isinstance(failure, KeyboardInterrupt):
            raise
        info = describe_failure(failure, int(payload["memory_mb"]))
        recorder.error(component, failure, info.traceback_tail)
        return {"error": info.to_json(), "component": component, "trace": recorder.trace().to_json()}
    expected, reference_s = timed(lambda: conv_forward(images, kernels, biases, stride, padding))
    inputs = {"images": images.shape, "kernels": kernels.shape, "stride": stride, "padding": padding}
    recorder.call(component, inputs, f"{type(output).__name__} in {candidate_s:.4f} s")
    return {
        "error": None,
        "component": component,
        "problem": compare(output, expected),
        "candidate_s": candidate_s,
        "reference_s": reference_s,
        "trace": recorder.trace().to_json(),
    }
