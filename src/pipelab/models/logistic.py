"""Scaled logistic regression: the linear model to compare the trees against."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.models.base import FEATURES_V1, Estimator
from pipelab.models.preprocessing import scaled_one_hot


class LogisticConfig(ModuleConfig):
    """L2-regularised logistic regression on scaled numbers and one-hot categories."""

    C: float = Field(1.0, gt=0.0, le=1e6, description="inverse regularisation strength")
    max_iter: int = Field(500, ge=10, le=100_000)
    class_weight: Literal["balanced"] | None = None
    min_frequency: int = Field(20, ge=1, description="rarer categories share one column")


@register(
    "model",
    "logistic",
    config=LogisticConfig,
    reads=FEATURES_V1,
    writes=(ContractRef("model"),),
    failure_modes=(
        "lbfgs may stop at max_iter before converging (scikit-learn warns)",
        "linear in the scaled features: misses interactions",
    ),
)
def build_logistic(
    config: ModuleConfig, seed: int, numeric: list[str], categorical: list[str]
) -> tuple[Estimator, list[str]]:
    """Logistic regression (lbfgs) after median imputation with indicators, scaling and one-hot encoding."""
    assert isinstance(config, LogisticConfig)
    estimator: Any = make_pipeline(
        scaled_one_hot(numeric, categorical, config.min_frequency),
        LogisticRegression(C=config.C, max_iter=config.max_iter, class_weight=config.class_weight, random_state=seed),
    )
    return estimator, [*numeric, *categorical]
