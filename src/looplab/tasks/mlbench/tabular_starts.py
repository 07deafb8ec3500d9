"""The three starting artifacts of each tabular task: `blank`, `monolithic` and `modular`.

They are the subject of the study, so they are built to differ in one thing each:

- `blank` and `monolithic` have the same editable surface, one `train_and_predict(train_path, test_path,
  submission_path)` that does everything; `blank` starts from a stub that writes nothing (its baseline is
  the worst score), `monolithic` from a weak first draft (a few numeric columns, missing values set to 0,
  a linear model).
- `modular` starts from the *same* draft, split into `engineer_features(frame)`, `build_model()` and
  `postprocess(predictions)`; loading, taking the label off, aligning the test columns, fitting, predicting
  and writing the file are fixed wiring (see `harness.py`). So `monolithic` and `modular` score the same
  at the start, and differ only in what the optimizer may change.

Every parameter's description states the data's columns and the submission format (the task's objective
adds the sandbox's rules): the study is about structure, not about hidden information.
"""

from __future__ import annotations

from dataclasses import dataclass

from looplab.artifact import Artifact, CodeParam, StartingArtifact
from looplab.tasks.mlbench.datasets import ProblemKind

SCRIPT_WIRING = "mlbench:script"
"""Starts `blank` and `monolithic`: the candidate's train_and_predict does everything."""
PIPELINE_WIRING = "mlbench:pipeline"
"""Start `modular`: fixed wiring around engineer_features, build_model and postprocess."""


@dataclass(frozen=True, slots=True)
class TabularSpec:
    """What differs between the tabular tasks: the data, the label, and the weak first draft."""

    name: str
    kind: ProblemKind
    id_column: str
    target_column: str
    goal: str
    columns: str
    """The feature columns of both files, in words."""
    label: str
    """The label column and its values, in words."""
    baseline_columns: tuple[str, ...]
    baseline_module: str
    baseline_model: str
    baseline_arguments: str = ""


SPACESHIP = TabularSpec(
    name="spaceship-titanic",
    kind="classification",
    id_column="PassengerId",
    target_column="Transported",
    goal="Predict which passengers of the Spaceship Titanic were transported to an alternate dimension.",
    columns="PassengerId (gggg_pp: travel group and number within it), HomePlanet, CryoSleep (True/False), "
    "Cabin (deck/num/side, side P or S), Destination, Age, VIP (True/False), RoomService, FoodCourt, "
    "ShoppingMall, Spa, VRDeck (amounts billed) and Name (values may be missing)",
    label="Transported: True or False",
    baseline_columns=("Age", "RoomService", "FoodCourt", "ShoppingMall", "Spa", "VRDeck"),
    baseline_module="linear_model",
    baseline_model="LogisticRegression",
    baseline_arguments="max_iter=1000",
)
DIABETES = TabularSpec(
    name="sklearn-diabetes",
    kind="regression",
    id_column="id",
    target_column="target",
    goal="Predict the disease progression of diabetes patients one year after a baseline visit.",
    columns="id, age, sex, bmi (body mass index), bp (mean blood pressure) and s1..s6 (six blood serum "
    "measurements), each mean-centred and scaled",
    label="target: a number (25 to 346 in the training data)",
    baseline_columns=("bmi", "bp"),
    baseline_module="linear_model",
    baseline_model="LinearRegression",
)
BREAST_CANCER = TabularSpec(
    name="sklearn-breast-cancer",
    kind="classification",
    id_column="id",
    target_column="target",
    goal="Predict whether a breast mass is malignant or benign from measurements of its cell nuclei.",
    columns="id, 30 numeric measurements: the mean, standard error and worst value of ten properties "
    "(mean_radius, mean_texture, mean_perimeter, mean_area, mean_smoothness, mean_compactness, "
    "mean_concavity, mean_concave_points, mean_symmetry, mean_fractal_dimension, then radius_error … "
    "fractal_dimension_error and worst_radius … worst_fractal_dimension)",
    label="target: 0 (malignant) or 1 (benign)",
    baseline_columns=("mean_radius", "mean_texture"),
    baseline_module="linear_model",
    baseline_model="LogisticRegression",
    baseline_arguments="max_iter=1000",
)
TABULAR_SPECS = {spec.name: spec for spec in (SPACESHIP, DIABETES, BREAST_CANCER)}


def sandbox_rules(wall_s: float, memory_mb: int) -> str:
    """What the code may use, in words (part of the objective)."""
    return (
        f"The code runs offline in a sandbox with pandas, numpy and scikit-learn, within {wall_s:g} s and "
        f"{memory_mb} MiB, in one process: starting processes (a process pool, e.g. joblib's default n_jobs "
        "backend in cross_val_score) is not allowed, threads are. It may read only train.csv and test.csv."
    )


def _script_description(spec: TabularSpec) -> str:
    return (
        "Train a model on the CSV at train_path and write a prediction for every row of the CSV at test_path "
        "to submission_path.\n"
        f"train_path: a CSV with the columns {spec.columns}, and the label {spec.label}.\n"
        f"test_path: a CSV with the same columns, without {spec.target_column}.\n"
        f"submission_path: write a CSV with the header {spec.id_column},{spec.target_column} and one row per "
        f"row of test_path."
    )


def _docstring(spec: TabularSpec) -> str:
    columns = f"{spec.id_column},{spec.target_column}"
    return f'"""Train on train_path, write {columns} for test_path to submission_path."""'


def blank_source(spec: TabularSpec) -> str:
    return (
        "def train_and_predict(train_path, test_path, submission_path):\n"
        f"    {_docstring(spec)}\n"
        "    # Write the whole solution: load the files, build features, train a model, write the submission.\n"
        "    return None\n"
    )


def monolithic_source(spec: TabularSpec) -> str:
    return (
        "import pandas as pd\n"
        f"from sklearn.{spec.baseline_module} import {spec.baseline_model}\n\n\n"
        "def train_and_predict(train_path, test_path, submission_path):\n"
        f"    {_docstring(spec)}\n"
        "    train = pd.read_csv(train_path)\n"
        "    test = pd.read_csv(test_path)\n"
        f"    columns = {list(spec.baseline_columns)!r}\n"
        f"    model = {spec.baseline_model}({spec.baseline_arguments})\n"
        f'    model.fit(train[columns].fillna(0), train["{spec.target_column}"])\n'
        "    predictions = model.predict(test[columns].fillna(0))\n"
        f'    submission = pd.DataFrame({{"{spec.id_column}": test["{spec.id_column}"], '
        f'"{spec.target_column}": predictions}})\n'
        "    submission.to_csv(submission_path, index=False)\n"
    )


def modular_sources(spec: TabularSpec) -> dict[str, str]:
    return {
        "engineer_features": (
            "def engineer_features(frame):\n"
            '    """Return the model inputs for one frame of rows (see the description)."""\n'
            f"    columns = {list(spec.baseline_columns)!r}\n"
            "    return frame[columns].fillna(0)\n"
        ),
        "build_model": (
            f"from sklearn.{spec.baseline_module} import {spec.baseline_model}\n\n\n"
            "def build_model():\n"
            '    """Return a new, unfitted estimator with fit and predict (see the description)."""\n'
            f"    return {spec.baseline_model}({spec.baseline_arguments})\n"
        ),
        "postprocess": (
            "def postprocess(predictions):\n"
            '    """Return the values to write to submission.csv, one per test row (see the description)."""\n'
            "    return predictions\n"
        ),
    }


def _modular_descriptions(spec: TabularSpec) -> dict[str, str]:
    wiring = (
        "Fixed wiring (not editable) reads train.csv and test.csv, takes the label column "
        f"{spec.target_column} off the training frame, calls engineer_features on the training frame and on "
        "the test frame separately, gives the test features the training features' columns (missing ones "
        "filled with 0, extra ones dropped), fits the estimator build_model() returns on the training "
        "features and labels, predicts the test features, passes the predictions through postprocess and "
        f"writes submission.csv ({spec.id_column},{spec.target_column})."
    )
    return {
        "engineer_features": (
            f"Turn one frame of raw rows into the model's inputs. The frame has the columns {spec.columns} "
            f"(not the label {spec.label}). Return a DataFrame (or 2-D array) with one row per input row. It "
            "is called on each frame separately, so anything fitted to the data (scaling, encoding, imputing) "
            f"belongs in build_model's Pipeline. {wiring}"
        ),
        "build_model": (
            "Return a new, unfitted scikit-learn estimator (a Pipeline or ColumnTransformer is fine) with "
            "fit(X, y) and predict(X); X is what engineer_features returns (see there for the fixed wiring)."
        ),
        "postprocess": (
            "Turn the estimator's predictions (an array, one per test row) into the values written to "
            f"submission.csv ({spec.label}); return an array of the same length."
        ),
    }


def tabular_starting_artifacts(spec: TabularSpec) -> dict[str, StartingArtifact]:
    """`blank`, `monolithic` and `modular` for the task `spec`."""
    script = _script_description(spec)

    def single(source: str) -> Artifact:
        param = CodeParam("train_and_predict", source, script)
        return Artifact({param.name: param}, frozenset({param.name}), SCRIPT_WIRING)

    descriptions = _modular_descriptions(spec)
    params = {
        name: CodeParam(name, source, descriptions[name]) for name, source in modular_sources(spec).items()
    }
    modular = Artifact(dict(params), frozenset(params), PIPELINE_WIRING)
    return {
        "blank": StartingArtifact(
            "blank",
            "a stub train_and_predict; the optimizer writes everything",
            single(blank_source(spec)),
        ),
        "monolithic": StartingArtifact(
            "monolithic",
            "one train_and_predict: load, features, model, write (a weak draft)",
            single(monolithic_source(spec)),
        ),
        "modular": StartingArtifact(
            "modular",
            "fixed wiring; trainable engineer_features, build_model, postprocess (the same draft)",
            modular,
        ),
    }
