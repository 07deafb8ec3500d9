"""Solution: which kind of solution a candidate reached, its model family and its feature steps.

The starting-artifact study asks which solutions each start can reach, so every trial names its solution:
the *family* (for a learning task the estimator class, e.g. `RandomForestClassifier`; for the vectorization
task the numpy technique, e.g. `einsum`) and the *steps* around it (feature engineering such as `fillna`,
`get_dummies`, `OneHotEncoder`). Two ways to find them, both here:

- `scan_sources`: read the candidate's code (its AST) for estimator, transformer and pandas calls. It works
  for any start, even on code that crashed, and is what `blank` and `monolithic` runs are described by.
  It is a heuristic: a name that is called counts, whether or not its result makes the final prediction.
- `describe_estimator`: inspect the object `build_model` returned (the `modular` start) at run time; a
  `Pipeline` or search wrapper is unwrapped to its final predictor, its other steps become steps.

A solution travels in `Outcome.metrics` as float flags (`family:<name>` and `step:<name>` set to 1.0), so
it survives the run records without a new field; `solution_metrics` and `solution_from_metrics` convert.
This module imports nothing heavy: it runs in the parent and in the sandbox worker.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FAMILY_PREFIX = "family:"
STEP_PREFIX = "step:"

_PREDICTOR = re.compile(r"^[A-Z]\w*(Classifier|Regressor|Regression|RegressionCV|ClassifierCV|SVC|SVR|NB)$")
_PREDICTOR_NAMES = frozenset(
    {
        "Ridge",
        "RidgeCV",
        "Lasso",
        "LassoCV",
        "ElasticNet",
        "ElasticNetCV",
        "Lars",
        "LarsCV",
        "LassoLars",
        "LassoLarsCV",
        "LassoLarsIC",
        "BayesianRidge",
        "KernelRidge",
        "Perceptron",
        "LinearDiscriminantAnalysis",
        "QuadraticDiscriminantAnalysis",
        "OrthogonalMatchingPursuit",
    }
)
_META_PREFIXES = ("Voting", "Stacking")
_TRANSFORMER = re.compile(
    r"^[A-Z]\w*(Scaler|Encoder|Imputer|Transformer|Features|Discretizer|Normalizer|Binarizer|Vectorizer|"
    r"Selector|Threshold)$|^(PCA|TruncatedSVD|SelectKBest|SelectPercentile|RFE|RFECV|Nystroem)$"
)
_PANDAS_STEPS = frozenset(
    {
        "fillna",
        "get_dummies",
        "map",
        "replace",
        "astype",
        "split",
        "log1p",
        "clip",
        "cut",
        "qcut",
        "groupby",
        "dropna",
        "factorize",
        "interpolate",
        "transform",
        "sqrt",
        "rank",
    }
)
_VECTOR_TECHNIQUES = frozenset(
    {
        "einsum",
        "tensordot",
        "matmul",
        "dot",
        "sliding_window_view",
        "as_strided",
        "convolve",
        "correlate",
        "convolve2d",
        "correlate2d",
        "fftconvolve",
        "jit",
        "njit",
    }
)


@dataclass(frozen=True, slots=True)
class Solution:
    """What a candidate's solution is made of: its families (sorted) and its feature steps (sorted)."""

    families: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """One name for the solution: a voting/stacking ensemble, else the only family, else all joined."""
        meta = [name for name in self.families if name.startswith(_META_PREFIXES)]
        if meta:
            return meta[0]
        return "+".join(self.families) if self.families else "none"

    def merged(self, other: Solution) -> Solution:
        return Solution(
            tuple(sorted({*self.families, *other.families})), tuple(sorted({*self.steps, *other.steps}))
        )

    def describe(self) -> str:
        """`Model: X. Feature steps: a, b.` in words for the feedback."""
        steps = ", ".join(self.steps) if self.steps else "none found"
        return f"Model: {self.family}. Feature steps: {steps}."


def is_predictor(name: str) -> bool:
    """Whether a class name looks like a scikit-learn-style classifier or regressor."""
    return name in _PREDICTOR_NAMES or bool(_PREDICTOR.match(name))


def _called_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.append(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.append(node.func.attr)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            names.append("matmul")
        elif isinstance(node, ast.Attribute) and node.attr in {"jit", "njit"}:
            names.append(node.attr)  # a decorator used without a call: @numba.njit
    return names


def _parsed(sources: Iterable[str]) -> list[ast.AST]:
    trees: list[ast.AST] = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue  # code that does not parse names no solution
    return trees


def scan_sources(sources: Iterable[str]) -> Solution:
    """The estimator families and feature steps the code calls (learning tasks)."""
    families: set[str] = set()
    steps: set[str] = set()
    for tree in _parsed(sources):
        for name in _called_names(tree):
            if is_predictor(name):
                families.add(name)
            elif _TRANSFORMER.match(name) or name in _PANDAS_STEPS:
                steps.add(name)
    return Solution(tuple(sorted(families)), tuple(sorted(steps)))


def scan_vectorization(sources: Iterable[str]) -> Solution:
    """The numpy techniques the code calls (the vectorization task); `loops` when it calls none."""
    techniques: set[str] = set()
    loops = False
    for tree in _parsed(sources):
        techniques.update(name for name in _called_names(tree) if name in _VECTOR_TECHNIQUES)
        loops = loops or any(isinstance(node, ast.For | ast.While) for node in ast.walk(tree))
    if not techniques:
        return Solution(("loops",) if loops else (), ())
    return Solution(tuple(sorted(techniques)), ("python-loops",) if loops else ())


def _unwrapped(model: object, steps: list[str], depth: int = 0) -> object:
    """The final predictor inside pipelines and search wrappers; the other steps' class names go to `steps`."""
    if depth > 5:
        return model
    pipeline_steps = getattr(model, "steps", None)
    if isinstance(pipeline_steps, list) and pipeline_steps:
        for step in pipeline_steps[:-1]:
            transformer = step[1] if isinstance(step, tuple) and len(step) == 2 else step
            _collect_transformers(transformer, steps)
        last = pipeline_steps[-1]
        return _unwrapped(last[1] if isinstance(last, tuple) and len(last) == 2 else last, steps, depth + 1)
    inner = getattr(model, "estimator", None)
    if inner is not None and not is_predictor(type(model).__name__):
        return _unwrapped(inner, steps, depth + 1)  # GridSearchCV and friends wrap the real model
    return model


def _collect_transformers(transformer: object, steps: list[str]) -> None:
    parts = getattr(transformer, "transformers", None)
    if isinstance(parts, list):  # a ColumnTransformer: its own parts are the steps
        for part in parts:
            if isinstance(part, tuple) and len(part) >= 2 and not isinstance(part[1], str):
                _collect_transformers(part[1], steps)
        return
    if hasattr(transformer, "steps"):
        _unwrapped(transformer, steps)
        return
    steps.append(type(transformer).__name__)


def describe_estimator(model: object) -> Solution:
    """The family and steps of the estimator `build_model` returned, from the object itself."""
    steps: list[str] = []
    final = _unwrapped(model, steps)
    return Solution((type(final).__name__,), tuple(sorted(set(steps))))


def solution_metrics(solution: Solution) -> dict[str, float]:
    """The solution as `Outcome.metrics` flags."""
    flags = {f"{FAMILY_PREFIX}{name}": 1.0 for name in solution.families}
    flags.update({f"{STEP_PREFIX}{name}": 1.0 for name in solution.steps})
    return flags


def solution_from_metrics(metrics: Mapping[str, float]) -> Solution:
    """The solution an Outcome's metrics name (the inverse of `solution_metrics`)."""
    families = sorted(key.removeprefix(FAMILY_PREFIX) for key in metrics if key.startswith(FAMILY_PREFIX))
    steps = sorted(key.removeprefix(STEP_PREFIX) for key in metrics if key.startswith(STEP_PREFIX))
    return Solution(tuple(families), tuple(steps))
