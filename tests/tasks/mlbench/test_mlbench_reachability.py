"""Which solution a run reached: code scans, estimator inspection, metrics flags, and the per-start summary."""

from __future__ import annotations

import pytest
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.ensemble import RandomForestClassifier, VotingClassifier  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import GridSearchCV  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # type: ignore[import-untyped]

from looplab.tasks.mlbench.reachability import (
    ReachedSolution,
    reached_from_artifact,
    reached_from_outcomes,
    render_markdown,
    summarize,
)
from looplab.tasks.mlbench.solution import (
    Solution,
    describe_estimator,
    scan_sources,
    scan_vectorization,
    solution_from_metrics,
    solution_metrics,
)
from looplab.tasks.mlbench.tabular_starts import SPACESHIP, monolithic_source
from looplab.tasks.mlbench.vectorize import NAIVE_FORWARD, vectorize_starting_artifacts
from looplab.tasks.protocol import Outcome

PIPELINE_CODE = """
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, VotingClassifier
from sklearn.preprocessing import OneHotEncoder


def build_model():
    encode = ColumnTransformer([("cat", OneHotEncoder(), ["HomePlanet"])], remainder="passthrough")
    vote = VotingClassifier([("rf", RandomForestClassifier()), ("gb", GradientBoostingClassifier())])
    return make_pipeline(encode, vote)
"""


def test_scanning_code_finds_models_and_feature_steps() -> None:
    assert scan_sources([monolithic_source(SPACESHIP)]) == Solution(("LogisticRegression",), ("fillna",))
    found = scan_sources([PIPELINE_CODE, "frame['Deck'] = frame['Cabin'].str.split('/').str[0]"])
    assert found.families == ("GradientBoostingClassifier", "RandomForestClassifier", "VotingClassifier")
    assert found.family == "VotingClassifier"
    assert found.steps == ("ColumnTransformer", "OneHotEncoder", "split")
    assert scan_sources(["def broken(:"]) == Solution()
    assert Solution(("Ridge", "SVR")).family == "Ridge+SVR" and Solution().family == "none"


def test_inspecting_the_estimator_unwraps_pipelines_and_searches() -> None:
    encode = ColumnTransformer([("cat", OneHotEncoder(), [0]), ("num", StandardScaler(), [1])])
    search = GridSearchCV(RandomForestClassifier(), {"max_depth": [2, 4]})
    described = describe_estimator(Pipeline([("encode", encode), ("model", search)]))
    assert described == Solution(("RandomForestClassifier",), ("OneHotEncoder", "StandardScaler"))
    vote = VotingClassifier([("lr", LogisticRegression())])
    assert describe_estimator(vote).families == ("VotingClassifier",)


def test_the_solution_round_trips_through_outcome_metrics() -> None:
    solution = Solution(("RandomForestClassifier",), ("fillna", "get_dummies"))
    metrics = solution_metrics(solution)
    assert metrics == {"family:RandomForestClassifier": 1.0, "step:fillna": 1.0, "step:get_dummies": 1.0}
    assert solution_from_metrics({**metrics, "accuracy": 0.8}) == solution


def test_scanning_vectorized_code_names_the_technique() -> None:
    assert scan_vectorization([NAIVE_FORWARD]) == Solution(("loops",), ())
    code = "def f(a, b):\n    return np.einsum('ij,jk->ik', a, b) + a @ b\n"
    assert scan_vectorization([code]).families == ("einsum", "matmul")
    modular = vectorize_starting_artifacts()["modular"].artifact
    assert reached_from_artifact("vectorize-conv", "modular", modular).solution.families == ("loops",)


def outcome(score: float, valid: bool, family: str) -> Outcome:
    metrics = {"accuracy": score, "valid_submission": float(valid), "run_s": 2.0, f"family:{family}": 1.0}
    return Outcome("test", score, "feedback", metrics=metrics)


def test_a_summary_per_start_counts_families_validity_and_the_metric() -> None:
    runs = [
        reached_from_outcomes("spaceship-titanic", "modular", [outcome(0.80, True, "RandomForestClassifier")]),
        reached_from_outcomes("spaceship-titanic", "modular", [outcome(0.78, True, "LogisticRegression")]),
        reached_from_outcomes("spaceship-titanic", "blank", [outcome(0.0, False, "LogisticRegression")]),
        ReachedSolution(
            "spaceship-titanic", "blank", Solution(("RandomForestClassifier",)), "accuracy", 0.79, True
        ),
    ]
    modular, blank = summarize(runs)
    assert (modular.start, modular.runs, modular.valid_runs, modular.metric) == ("modular", 2, 2, "accuracy")
    assert modular.mean == pytest.approx(0.79) and modular.standard_error == pytest.approx(0.01)
    assert modular.families == {"RandomForestClassifier": 1, "LogisticRegression": 1}
    assert (blank.valid_rate, blank.mean, blank.standard_error) == (0.5, 0.79, None)
    table = render_markdown([modular, blank])
    assert "| spaceship-titanic | modular | 2 | 2/2 | accuracy 0.79 ± 0.01 | 2.0 s |" in table
    assert "| spaceship-titanic | blank | 2 | 1/2 | accuracy 0.79 |" in table


def test_outcomes_of_several_test_items_are_averaged_when_all_are_valid() -> None:
    items = [
        Outcome("a", 10.0, "f", metrics={"speedup": 10.0, "valid_submission": 1.0, "family:einsum": 1.0}),
        Outcome("b", 20.0, "f", metrics={"speedup": 20.0, "valid_submission": 1.0}),
    ]
    reached = reached_from_outcomes("vectorize-conv", "monolithic", items)
    assert (reached.metric, reached.value, reached.valid) == ("speedup", 15.0, True)
    broken = [*items, Outcome("c", 0.0, "f", metrics={"valid_submission": 0.0})]
    assert reached_from_outcomes("vectorize-conv", "monolithic", broken).value is None
