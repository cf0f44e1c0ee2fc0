"""Histogram gradient boosting: the strongest default model, NaN-aware and categorical-aware."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import make_pipeline

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.models.base import FEATURES_V1, Estimator
from pipelab.models.preprocessing import ordinal_categories


class HGBConfig(ModuleConfig):
    """Hyperparameters passed to scikit-learn's HistGradientBoostingClassifier."""

    learning_rate: float = Field(0.1, gt=0.0, le=1.0)
    max_iter: int = Field(200, ge=1, le=10_000, description="boosting rounds")
    max_leaf_nodes: int = Field(31, ge=2, le=4096)
    max_depth: int | None = Field(None, ge=1, le=64)
    min_samples_leaf: int = Field(20, ge=1, le=100_000)
    l2_regularization: float = Field(0.0, ge=0.0, le=1e6)
    early_stopping: bool = True
    validation_fraction: float = Field(0.1, gt=0.0, lt=0.5)
    n_iter_no_change: int = Field(10, ge=1, le=1000)


@register(
    "model",
    "hgb",
    config=HGBConfig,
    reads=FEATURES_V1,
    writes=(ContractRef("model"),),
    version="1.0.1",  # 1.0.1: more than 255 categories in a column group the rarest (1.0.0 failed, max_bins)
    failure_modes=(
        "more than 255 categories in one column: the rarest are coded as one infrequent category",
        "early stopping needs both classes in the held-out fraction",
    ),
)
def build_hgb(
    config: ModuleConfig, seed: int, numeric: list[str], categorical: list[str]
) -> tuple[Estimator, list[str]]:
    """HistGradientBoostingClassifier with native categorical splits and NaN handling.

    Early stopping holds out `validation_fraction` of the training rows, drawn with `seed`.
    """
    assert isinstance(config, HGBConfig)
    n_cat = len(categorical)
    estimator: Any = make_pipeline(
        ordinal_categories(numeric, categorical),
        HistGradientBoostingClassifier(
            learning_rate=config.learning_rate,
            max_iter=config.max_iter,
            max_leaf_nodes=config.max_leaf_nodes,
            max_depth=config.max_depth,
            min_samples_leaf=config.min_samples_leaf,
            l2_regularization=config.l2_regularization,
            early_stopping=config.early_stopping,
            validation_fraction=config.validation_fraction,
            n_iter_no_change=config.n_iter_no_change,
            random_state=seed,
            categorical_features=[i < n_cat for i in range(n_cat + len(numeric))] or None,
        ),
    )
    return estimator, [*categorical, *numeric]
