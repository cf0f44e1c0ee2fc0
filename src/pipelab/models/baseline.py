"""The historical late-rate baseline every other model must beat."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field
from sklearn.base import BaseEstimator, ClassifierMixin

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.models.base import FEATURES_V1, Estimator

LEVELS = (["carrier"], ["carrier", "origin"], ["carrier", "origin", "sched_dep_hour"])


class BaselineConfig(ModuleConfig):
    """Shrinkage of each group's rate toward its parent group's rate."""

    prior_strength: float = Field(20.0, ge=0.0, le=10_000.0, description="pseudo-flights of the parent rate")
    min_flights: int = Field(30, ge=1, le=100_000, description="fewer flights than this: use the parent rate")


class HistoricalLateRate(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """P(late) = shrunk historical rate of carrier x origin x hour, falling back to coarser groups."""

    def __init__(self, prior_strength: float = 20.0, min_flights: int = 30):
        self.prior_strength = prior_strength
        self.min_flights = min_flights

    def fit(self, X: pd.DataFrame, y: pd.Series) -> HistoricalLateRate:
        frame = X[list(LEVELS[-1])].copy()
        frame["y"] = np.asarray(y, dtype="float64")
        if frame.empty:
            raise ValueError("cannot fit the baseline on zero rows")
        self.global_rate_ = float(frame["y"].mean())
        self.tables_: list[pd.DataFrame] = []
        parent: pd.DataFrame | None = None
        for keys in LEVELS:
            stats = frame.groupby(keys, sort=True)["y"].agg(["sum", "count"]).reset_index()
            if parent is None:
                stats["parent"] = self.global_rate_
            else:
                stats = stats.merge(
                    parent[[*keys[:-1], "rate"]].rename(columns={"rate": "parent"}), on=keys[:-1], how="left"
                )
            shrunk = (stats["sum"] + self.prior_strength * stats["parent"]) / (stats["count"] + self.prior_strength)
            stats["rate"] = shrunk.where(stats["count"] >= self.min_flights, stats["parent"])
            self.tables_.append(stats[[*keys, "rate"]])
            parent = stats
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        rate = pd.Series(self.global_rate_, index=range(len(X)), dtype="float64")
        frame = X[list(LEVELS[-1])].reset_index(drop=True)
        for keys, table in zip(LEVELS, self.tables_, strict=True):
            found = frame[keys].merge(table, on=keys, how="left")["rate"]
            rate = found.fillna(rate)
        p = rate.to_numpy().clip(1e-6, 1 - 1e-6)
        return np.column_stack([1 - p, p])


@register(
    "model",
    "baseline",
    config=BaselineConfig,
    reads=FEATURES_V1,
    writes=(ContractRef("model"),),
    failure_modes=("carrier x origin x hour groups unseen in training fall back to coarser rates",),
)
def build_baseline(
    config: ModuleConfig, seed: int, numeric: list[str], categorical: list[str]
) -> tuple[Estimator, list[str]]:
    """Historical late rate by carrier x origin x scheduled departure hour, with fallbacks.

    Groups with fewer than `min_flights` use the rate of the coarser group
    (carrier x origin, then carrier, then all flights); larger groups are shrunk toward
    it by `prior_strength` pseudo-flights. Needs no feature groups: it reads id columns.
    """
    assert isinstance(config, BaselineConfig)
    estimator: Any = HistoricalLateRate(config.prior_strength, config.min_flights)
    return estimator, list(LEVELS[-1])
