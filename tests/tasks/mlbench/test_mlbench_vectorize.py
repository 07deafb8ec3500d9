"""vectorize-conv: the naive original, the speed-up score, wrong outputs and failures, and its items."""

from __future__ import annotations

import pytest

from looplab.sandbox.candidate import load_functions
from looplab.sandbox.inprocess import InProcessSandbox
from looplab.tasks.mlbench.conv import compare, conv_forward, kernel_wiring, make_inputs
from looplab.tasks.mlbench.vectorize import NAIVE_FORWARD, NAIVE_KERNEL, VectorizeTask, make_vectorize_task
from looplab.tasks.protocol import Outcome, TrialContext

FAST = """import numpy as np


def conv_forward(images, kernels, biases, stride, padding):
    size = kernels.shape[0]
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))[:, ::stride, ::stride]
    return np.maximum(np.einsum("nhwcij,ijcf->nhwf", windows, kernels) + biases, 0)
"""

NO_RELU = FAST.replace("np.maximum(", "(").replace(", 0)\n", ")\n")
STRIDE_ONE_ONLY = FAST.replace("[:, ::stride, ::stride]", "")
RAISES = "def conv_forward(images, kernels, biases, stride, padding):\n    raise ValueError('not yet')\n"


@pytest.fixture(scope="module")
def task() -> VectorizeTask:
    return make_vectorize_task({"batch_size": 2, "image_size": 24, "filters": 4})


def run(task: VectorizeTask, source: str, split: str = "train", index: int = 0) -> Outcome:
    artifact = task.starting_artifacts()["monolithic"].artifact.with_values({"conv_forward": source})
    items = task.items("test" if split == "test" else "train")
    return task.run_trial(artifact, items[index], TrialContext(sandbox=InProcessSandbox()))


def test_the_modular_start_and_the_monolithic_start_compute_the_original() -> None:
    payload = {"seed": 3, "batch_size": 2, "image_size": 9, "channels": 3, "kernel_size": 3, "filters": 2}
    images, kernels, biases = make_inputs(payload)
    naive_kernel = load_functions({"convolve_image": NAIVE_KERNEL})["convolve_image"]
    naive_forward = load_functions({"conv_forward": NAIVE_FORWARD})["conv_forward"]
    for stride, padding in ((1, 1), (2, 0), (2, 2)):
        expected = conv_forward(images, kernels, biases, stride, padding)
        modular = kernel_wiring(naive_kernel, images, kernels, biases, stride=stride, padding=padding)
        assert compare(modular, expected) is None
        assert compare(naive_forward(images, kernels, biases, stride, padding), expected) is None
    assert compare(expected + 1e-3, expected) is not None


def test_a_vectorized_forward_pass_scores_its_speed_up(task: VectorizeTask) -> None:
    outcome = run(task, FAST)
    assert outcome.error is None and outcome.score > 1.0
    assert outcome.score == pytest.approx(outcome.metrics["reference_s"] / outcome.metrics["candidate_s"])
    assert outcome.metrics["speedup"] == outcome.score and outcome.metrics["valid_submission"] == 1.0
    assert outcome.feedback.startswith("Speed-up ") and "the output matches" in outcome.feedback
    assert {"family:einsum", "family:sliding_window_view"} <= set(outcome.metrics)


def test_a_wrong_output_scores_0_and_says_where_it_differs(task: VectorizeTask) -> None:
    outcome = run(task, NO_RELU)
    assert outcome.score == 0.0 and outcome.error is None and outcome.metrics["valid_submission"] == 0.0
    assert "Wrong output, so the speed-up does not count" in outcome.feedback
    assert "the output differs from the original's: at index" in outcome.feedback


def test_hard_coding_one_stride_is_caught_on_the_test_items(task: VectorizeTask) -> None:
    assert run(task, STRIDE_ONE_ONLY, "train", 0).score > 0  # stride 1, padding 1
    outcome = run(task, STRIDE_ONE_ONLY, "test", 1)  # stride 2, padding 2
    assert outcome.score == 0.0 and "has shape" in outcome.feedback


def test_a_failing_forward_pass_scores_0_with_its_error(task: VectorizeTask) -> None:
    outcome = run(task, RAISES)
    assert outcome.score == 0.0 and outcome.error is not None and outcome.error.error_type == "ValueError"
    assert "Error (exception) in conv_forward: ValueError: not yet" in outcome.feedback


def test_items_use_unseen_strides_and_paddings_on_test(task: VectorizeTask) -> None:
    configs = {
        split: {(item.payload["stride"], item.payload["padding"]) for item in task.items(split)}
        for split in ("train", "validation", "test")
    }
    assert configs == {"train": {(1, 1), (2, 0), (1, 0)}, "validation": {(2, 1)}, "test": {(1, 2), (2, 2)}}
    assert "speed-up" in task.objective and "higher is better" in task.objective
