"""Strategy `flag`: keep missing values and say so in indicator columns."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.transforms.missing.base import READS, WRITES, MissingResult


@register(
    "missing",
    "flag",
    reads=READS,
    writes=WRITES,
    failure_modes=("models without native NaN support must impute themselves (logistic does)",),
)
def flag_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """Keep missing values as NaN and add a `<column>_missing` indicator per measured column.

    Suits models that handle NaN natively (hgb); the logistic model imputes inside its own
    pipeline and learns from the indicators.
    """
    out = frame.copy()
    for column in columns:
        out[f"{column}_missing"] = out[column].isna()
    return MissingResult(out, 0, 0)
