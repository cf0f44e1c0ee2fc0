"""Evaluation: flat scores on a hand-made example, fixed-size plot data, importance, predictions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from pipelab import evaluation
from pipelab.core.params import EvaluateParams, ModelParams
from pipelab.models.hgb import HGBConfig
from pipelab.models.logistic import LogisticConfig
from pipelab.training import train_model
from tests.unit.builders import model_table

# Four flights: two on time (p 0.1, 0.4), two late (p 0.35, 0.8).
Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny fits need no OpenMP threads, which spin slowly on a busy machine."""
    with threadpool_limits(limits=1):
        yield


def test_scores_on_a_hand_made_example() -> None:
    out = evaluation.scores(Y, P, threshold=0.5)
    # predicted late: only 0.8 -> one true positive, one false negative, two true negatives
    assert out == {
        "n_test": 4,
        "late_rate": 0.5,
        "roc_auc": 0.75,  # 3 of 4 (late, on-time) pairs ranked right: 0.35 < 0.4 is the miss
        "average_precision": round((1 + 2 / 3) / 2, 6),
        "log_loss": round(-(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4, 6),
        "brier": 0.158125,  # (0.1² + 0.4² + 0.65² + 0.2²) / 4
        "accuracy": 0.75,
        "precision": 1.0,
        "recall": 0.5,
        "f1": round(2 / 3, 6),
    }


def test_scores_threshold_is_inclusive() -> None:
    out = evaluation.scores(Y, P, threshold=0.35)
    assert out["recall"] == 1.0  # 0.35 counts as predicted late
    assert out["precision"] == round(2 / 3, 6)
    assert out["accuracy"] == 0.75


@pytest.mark.parametrize("label", [0, 1])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_scores_with_one_class_leave_out_the_ranking_metrics(label: int) -> None:
    y = np.full(4, label)
    out = evaluation.scores(y, P, threshold=0.5)
    assert "roc_auc" not in out
    assert "average_precision" not in out
    assert {"n_test", "late_rate", "log_loss", "brier", "accuracy"} <= set(out)
    assert out["late_rate"] == float(label)
    assert all(math.isfinite(float(v)) for v in out.values())


@pytest.mark.parametrize("points", [11, 101])
def test_roc_points_on_a_fixed_grid(points: int) -> None:
    roc = evaluation.roc_points(Y, P, points)
    assert list(roc.columns) == ["fpr", "tpr"]
    assert len(roc) == points
    assert roc["fpr"].is_monotonic_increasing
    assert roc["tpr"].is_monotonic_increasing
    assert (roc["fpr"].iloc[0], roc["fpr"].iloc[-1]) == (0.0, 1.0)
    assert roc["tpr"].iloc[-1] == 1.0
    # from the hand-made example: half the late flights are caught before any false alarm
    assert roc.loc[np.isclose(roc["fpr"], 0.4), "tpr"].tolist() == [0.5]


@pytest.mark.parametrize("points", [11, 101])
def test_precision_recall_points_on_a_fixed_grid(points: int) -> None:
    pr = evaluation.precision_recall_points(Y, P, points)
    assert list(pr.columns) == ["recall", "precision"]
    assert len(pr) == points
    assert pr["recall"].is_monotonic_increasing
    assert (pr["recall"].iloc[0], pr["recall"].iloc[-1]) == (0.0, 1.0)
    assert pr["precision"].between(0, 1).all()


def test_calibration_bins_count_every_flight() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.0, 0.05, 0.5, 0.74, 1.0, 0.2])
    bins = evaluation.calibration_bins(y, p, bins=4)
    # bins of width 0.25: 0.0, 0.05 and 0.2 in the first; 0.5 and 0.74 in the third; 1.0 in the last
    assert bins["bin_low"].tolist() == [0.0, 0.5, 0.75]
    assert bins["flights"].tolist() == [3, 2, 1]
    assert bins["flights"].sum() == len(y)
    assert bins["fraction_late"].tolist() == [0.0, 1.0, 1.0]
    assert bins["mean_predicted"].tolist() == pytest.approx([0.25 / 3, 0.62, 1.0])


def test_calibration_bins_on_many_flights_sum_to_n() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=997)
    y = (rng.uniform(size=997) < p).astype(int)
    bins = evaluation.calibration_bins(y, p, bins=10)
    assert bins["flights"].sum() == 997
    assert len(bins) == 10
    assert bins["mean_predicted"].is_monotonic_increasing


def test_error_by_carrier() -> None:
    test = pd.DataFrame({"carrier": ["UA", "AA", "AA"]}, index=[7, 8, 9])
    y = np.array([0, 1, 0])
    p = np.array([0.3, 0.8, 0.6])
    out = evaluation.error_by_carrier(test, y, p, threshold=0.5)
    assert out["carrier"].tolist() == ["AA", "UA"]
    assert out["flights"].tolist() == [2, 1]
    assert out["late_rate"].tolist() == [0.5, 0.0]
    assert out["mean_predicted"].tolist() == pytest.approx([0.7, 0.3])
    assert out["brier"].tolist() == pytest.approx([(0.2**2 + 0.6**2) / 2, 0.09])
    assert out["accuracy"].tolist() == [0.5, 1.0]


def test_permutation_importance_is_deterministic_for_a_seed() -> None:
    table, manifest = model_table(n=300)
    model = train_model(table, manifest, ModelParams(name="logistic", configs={"logistic": LogisticConfig()}), seed=1)
    y = table["late"].to_numpy(dtype="int64")
    params = EvaluateParams(importance_sample=150, importance_repeats=2)
    first = evaluation.permutation_importance(model, table, y, params, seed=5)
    again = evaluation.permutation_importance(model, table, y, params, seed=5)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == ["feature", "importance", "std"]
    assert sorted(first["feature"]) == sorted(model.columns)
    assert first["feature"].iloc[0] == "x"  # the signal matters most
    assert first["importance"].is_monotonic_decreasing
    other = evaluation.permutation_importance(model, table, y, params, seed=6)
    assert not np.array_equal(other["importance"].to_numpy(), first["importance"].to_numpy())


@pytest.mark.parametrize(
    ("name", "config", "once"), [("hgb", HGBConfig(max_iter=20), True), ("logistic", LogisticConfig(), False)]
)
def test_permutation_importance_transforms_a_sample_once_when_columns_map_one_to_one(
    name: str, config: HGBConfig | LogisticConfig, once: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hgb's ordinal codes keep one column per input: encoded once, not once per shuffle, and the
    importances are scikit-learn's on the whole pipeline. Logistic's one-hot columns are not: per shuffle."""
    from sklearn.inspection import permutation_importance as sk_importance

    table, manifest = model_table(n=300)
    model = train_model(table, manifest, ModelParams(name=name, configs={name: config}), seed=1)
    y = table["late"].to_numpy(dtype="int64")
    params = EvaluateParams(importance_sample=300, importance_repeats=3)
    preprocessing: Any = cast(Pipeline, model.estimator)[0]
    calls: list[int] = []
    encode = preprocessing.transform

    def counted(frame: pd.DataFrame) -> Any:
        calls.append(len(frame))
        return encode(frame)

    monkeypatch.setattr(preprocessing, "transform", counted)
    out = evaluation.permutation_importance(model, table, y, params, seed=5)
    assert calls == ([300] if once else [300] * (1 + 3 * len(model.columns)))  # unshuffled, then each shuffle
    monkeypatch.undo()
    expected = sk_importance(model.estimator, table[model.columns], y, scoring="roc_auc", n_repeats=3, random_state=5)
    by_feature = out.set_index("feature").loc[model.columns]
    np.testing.assert_array_equal(by_feature["importance"].to_numpy(), expected.importances_mean)
    np.testing.assert_array_equal(by_feature["std"].to_numpy(), expected.importances_std)


def test_permutation_importance_with_one_class_is_zero() -> None:
    table, manifest = model_table(n=300)
    model = train_model(table, manifest, ModelParams(name="logistic", configs={"logistic": LogisticConfig()}), seed=1)
    y = np.zeros(len(table), dtype="int64")
    out = evaluation.permutation_importance(model, table, y, EvaluateParams(), seed=5)
    assert out["feature"].tolist() == model.columns
    assert out["importance"].tolist() == [0.0] * len(model.columns)
    assert out["std"].tolist() == [0.0] * len(model.columns)


def test_predictions_table() -> None:
    test = pd.DataFrame(
        {
            "row_id": [4, 9],
            "month": [10, 11],
            "sched_date": pd.to_datetime(["2013-10-01", "2013-11-02"]),
            "carrier": ["AA", "UA"],
            "origin": ["JFK", "EWR"],
            "dest": ["LAX", "IAH"],
            "x": [0.1, 0.2],
            "late": np.array([1, 0], dtype="int8"),
        }
    )
    out = evaluation.predictions_table(test, np.array([0.5, 0.49]), threshold=0.5)
    assert list(out.columns) == [
        "row_id",
        "month",
        "sched_date",
        "carrier",
        "origin",
        "dest",
        "late",
        "p_late",
        "predicted_late",
    ]
    assert out["late"].tolist() == [1, 0]
    assert out["p_late"].tolist() == [0.5, 0.49]
    assert out["predicted_late"].tolist() == [1, 0]
    assert out["late"].dtype == "int8"
    assert out["predicted_late"].dtype == "int8"
    assert out.index.tolist() == [0, 1]
