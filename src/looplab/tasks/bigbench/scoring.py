"""Scoring BIG-Bench answers: BBEH's published normalization and matching rules, option letters, metrics.

looplab's own code, written from the rules BBEH documents (see `../shared/data/README.md`):

1. Extraction (`extract_answer_text`): the text after the last "The answer is:", "The final answer is ",
   "The final answer is: " or "The answer is " (case-sensitive; the whole text when none occurs), stripped,
   without a trailing period and without a `$…$`, `\\boxed{…}`, `\\text{…}` or `\\texttt{…}` wrapper.
2. Normalization (`normalize`): extraction, then lower case, ", " → ",", no `**`, the first line only, and no
   trailing period. A target is stripped, lower-cased, given ", " → "," and loses a trailing period. The
   README describes the prediction side only; dropping the target's period is looplab's choice, so that
   the 11 BBEH linguini targets that end with one ("He really cried.") can be matched at all.
3. Matching (`is_correct`): equal; or equal after dropping the parentheses of a single-character option
   ("(a)" vs "a"); or equal as numbers ("5.0" vs "5"); or equal ignoring single quotes; or "[x]" vs "x";
   or equal but for a trailing "?" on the prediction. The rules are alternatives (any one is enough).
4. Option letters (looplab's addition): when the target is an option letter, "(a)" or "a", a prediction
   that starts with that option's label also matches: "(a) the first sentence", "a) …", "option (a)",
   "option a". The label must come first, so a wrong letter mentioned later does not count.

Baseline (`majority_answer`): the most common expected answer of a split, the one a constant extractor
would do best to return; a learned extractor that always returns it has learned the label distribution,
not the task, and reports compare against it.

Metrics (`accuracy_report`): accuracy per task, the micro average over all examples, and the harmonic mean
of the per-task accuracies, BBEH's leaderboard metric. A plain harmonic mean is 0 as soon as one task is
at 0. BBEH's leaderboard does not say how it treats that, but its "Random" row (harmonic mean 2.4, micro
average 8.4) cannot be a plain harmonic mean: a random guess scores 0 on the free-form tasks (object
counting, multistep arithmetic, ...). Adding one percentage point to every task's accuracy before the
harmonic mean gives about 2.8 for a random guesser, close to the reported 2.4, so looplab reports both:
`harmonic_mean` (plain; 0 when a task is at 0) and `harmonic_mean_bbeh` (each accuracy + 0.01, the
leaderboard's convention as far as it can be inferred).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ANSWER_PREFIXES: tuple[str, ...] = (
    "The answer is:",
    "The final answer is ",
    "The final answer is: ",
    "The answer is ",
)
_LATEX_WRAPPERS: tuple[str, ...] = ("boxed{", "text{", "texttt{")
_OPTION_TARGET = re.compile(r"^\(?([a-z])\)?$")
_OPTION_LABEL = re.compile(r"^(?:option\s*)?\(?([a-z])\)(?=$|[\s:.,;-])|^option\s+([a-z])$")
BBEH_HARMONIC_OFFSET = 0.01
"""One percentage point, added to every task's accuracy before the BBEH-style harmonic mean."""


def _strip_latex(answer: str) -> str:
    if len(answer) >= 2 and answer.startswith("$") and answer.endswith("$"):
        answer = answer[1:-1]
    for marker in _LATEX_WRAPPERS:
        if marker in answer and answer.endswith("}"):
            answer = answer[answer.index(marker) + len(marker) : -1]
    return answer


def extract_answer_text(text: str) -> str:
    """The answer a reply states: the text after the last answer prefix, without period or LaTeX wrapper."""
    start, end = -1, -1
    for prefix in ANSWER_PREFIXES:
        found = text.rfind(prefix)
        if found > start or (found == start >= 0 and found + len(prefix) > end):
            start, end = found, found + len(prefix)
    answer = (text[end:] if start >= 0 else text).strip()
    answer = answer.removesuffix(".")
    return _strip_latex(answer)


def normalize(text: str) -> str:
    """A reply (or an extracted prediction) in the form BBEH compares: see the module docstring, rule 2."""
    answer = extract_answer_text(text.strip()).lower()
    answer = answer.replace(", ", ",").replace("**", "")
    answer = answer.split("\n")[0]
    return answer.removesuffix(".")


def normalize_target(target: str) -> str:
    """An expected answer in the form BBEH compares: stripped, lower case, ", " → ",", no trailing period."""
    return target.strip().lower().replace(", ", ",").removesuffix(".")


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _single_option(text: str) -> str | None:
    """ "x" for "(x)" where x is one character (BBEH's rule: any character, not only letters)."""
    return text[1] if len(text) == 3 and text[0] == "(" and text[2] == ")" else None


def fuzzy_match(prediction: str, reference: str) -> bool:
    """BBEH's matching rules on a normalized prediction and a normalized target (module docstring, rule 3)."""
    if prediction == reference:
        return True
    if _single_option(prediction) == reference or _single_option(reference) == prediction:
        return True
    number, expected = _as_number(prediction), _as_number(reference)
    if number is not None and expected is not None and number == expected:
        return True
    if prediction.replace("'", "") == reference.replace("'", ""):
        return True
    if prediction == f"[{reference}]" or reference == f"[{prediction}]":
        return True
    return prediction.endswith("?") and prediction[:-1] == reference


def option_letter_match(prediction: str, reference: str) -> bool:
    """A normalized prediction that starts with the label of the option letter the target names (rule 4)."""
    target = _OPTION_TARGET.match(reference)
    if target is None:
        return False
    label = _OPTION_LABEL.match(prediction)
    return label is not None and (label.group(1) or label.group(2)) == target.group(1)


def is_correct(prediction: str, target: str) -> bool:
    """Whether `prediction` (an extracted answer or a whole reply) matches `target` under BBEH's rules."""
    normalized, reference = normalize(prediction), normalize_target(target)
    return fuzzy_match(normalized, reference) or option_letter_match(normalized, reference)


def majority_answer(targets: Sequence[str]) -> str:
    """The most common of `targets` as BBEH compares them (ties: the one seen first), in its first spelling."""
    if not targets:
        raise ValueError("majority_answer needs at least one target")
    counts = Counter(normalize_target(target) for target in targets)
    top = max(counts.values())
    return next(target for target in targets if counts[normalize_target(target)] == top)


# --- metrics -------------------------------------------------------------------------------------------


def harmonic_mean(values: Sequence[float], offset: float = 0.0) -> float:
    """The harmonic mean of `values` (each + `offset`); 0 when any shifted value is 0, NaN when empty."""
    shifted = [value + offset for value in values]
    if not shifted:
        return float("nan")
    if any(value <= 0 for value in shifted):
        return 0.0
    return len(shifted) / sum(1.0 / value for value in shifted)


@dataclass(frozen=True, slots=True)
class AccuracyReport:
    """Accuracy per task (0–1), and the three ways BBEH aggregates them."""

    per_task: Mapping[str, float]
    counts: Mapping[str, tuple[int, int]]
    """Per task: (correct, total)."""
    micro_average: float
    """Correct over total, across every example of every task."""
    harmonic_mean: float
    """Plain harmonic mean of the per-task accuracies (0 when any task is at 0)."""
    harmonic_mean_bbeh: float
    """Harmonic mean of (accuracy + 0.01) per task: BBEH's leaderboard convention, as inferred."""


def accuracy_report(results: Mapping[str, Sequence[bool]]) -> AccuracyReport:
    """Per-task accuracy, micro average and harmonic means from each task's list of correct/wrong results."""
    empty = sorted(task for task, marks in results.items() if not marks)
    if empty or not results:
        raise ValueError(f"accuracy_report needs at least one result per task; none for {empty or 'any task'}")
    counts = {task: (sum(1 for mark in marks if mark), len(marks)) for task, marks in results.items()}
    per_task = {task: correct / total for task, (correct, total) in counts.items()}
    correct = sum(c for c, _ in counts.values())
    total = sum(t for _, t in counts.values())
    accuracies = list(per_task.values())
    return AccuracyReport(
        per_task=per_task,
        counts=counts,
        micro_average=correct / total,
        harmonic_mean=harmonic_mean(accuracies),
        harmonic_mean_bbeh=harmonic_mean(accuracies, BBEH_HARMONIC_OFFSET),
    )
