"""Missing-value strategies for measurements (weather readings, aircraft build year).

Chosen by `clean.missing`; each strategy's own settings live in `clean.<strategy>`.
Every strategy reports how many rows it dropped or values it filled, so nothing is lost
silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd
from pydantic import Field

from pipelab.params import ModuleConfig
from pipelab.registry import register


@dataclass(frozen=True)
class MissingResult:
    frame: pd.DataFrame
    rows_dropped: int
    values_filled: int


class MissingStrategy(Protocol):
    def __call__(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        config: ModuleConfig,
        group: str | None = None,
        order: str | None = None,
    ) -> MissingResult: ...


@register("missing", "drop")
def drop_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """Drop every row with a missing value in the measured columns (the count is recorded)."""
    keep = frame[columns].notna().all(axis=1)
    return MissingResult(frame.loc[keep].reset_index(drop=True), int((~keep).sum()), 0)


@register("missing", "flag")
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


class ImputeConfig(ModuleConfig):
    """Interpolate in time up to `max_gap` consecutive readings, then use the group median."""

    max_gap: int = Field(3, ge=0, le=48, description="longest run of missing readings to interpolate")


@register("missing", "impute", config=ImputeConfig)
def impute_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """Fill gaps: linear interpolation in time within a group, then group median, then overall median.

    Time series (weather by origin, ordered by hour) are interpolated over short gaps;
    what remains, and tables without an order (planes), get medians.
    """
    assert isinstance(config, ImputeConfig)
    out = frame.sort_values([c for c in (group, order) if c]).copy() if (group or order) else frame.copy()
    before = int(out[columns].isna().sum().sum())
    groups = out.groupby(group, sort=False) if group else None
    for column in columns:
        if order and config.max_gap > 0:
            if groups is not None:
                out[column] = groups[column].transform(
                    lambda s: s.interpolate(limit=config.max_gap, limit_area="inside")
                )
            else:
                out[column] = out[column].interpolate(limit=config.max_gap, limit_area="inside")
        if groups is not None:
            out[column] = out[column].fillna(groups[column].transform("median"))
        out[column] = out[column].fillna(out[column].median())
    after = int(out[columns].isna().sum().sum())
    return MissingResult(out.sort_index().reset_index(drop=True), 0, before - after)
