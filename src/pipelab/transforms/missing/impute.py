"""Strategy `impute`: interpolate short gaps in time, then use medians."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.transforms.missing.base import READS, WRITES, MissingResult


class ImputeConfig(ModuleConfig):
    """Interpolate in time up to `max_gap` consecutive readings, then use the group median."""

    max_gap: int = Field(3, ge=0, le=48, description="longest run of missing readings to interpolate")


@register(
    "missing",
    "impute",
    config=ImputeConfig,
    reads=READS,
    writes=WRITES,
    failure_modes=(
        "a column missing in a whole group falls back to the overall median",
        "an all-missing column stays missing",
    ),
)
def impute_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """Fill gaps: linear interpolation in time within a group, then group median, then overall median.

    Time series (weather by origin, ordered by hour) are interpolated over short gaps;
    what remains, and tables without an order (planes), get medians.
    """
    assert isinstance(config, ImputeConfig)
    keys = [c for c in (group, order) if c]
    out = frame.sort_values(keys, kind="stable").copy() if keys else frame.copy()
    before = int(out[columns].isna().sum().sum())
    groups = out.groupby(group, sort=False) if group else None
    for column in columns:
        observed = out[column]
        if observed.isna().all():
            continue  # nothing to interpolate or take a median of
        medians = groups[column].transform("median") if groups is not None else None  # of real readings only
        if order and config.max_gap > 0:
            out[column] = (
                groups[column].transform(lambda s: interpolate_short_gaps(s, config.max_gap))
                if groups is not None
                else interpolate_short_gaps(observed, config.max_gap)
            )
        if medians is not None:
            out[column] = out[column].fillna(medians)
        out[column] = out[column].fillna(observed.median())
    after = int(out[columns].isna().sum().sum())
    return MissingResult(out.sort_index().reset_index(drop=True), 0, before - after)


def interpolate_short_gaps(series: pd.Series, max_gap: int) -> pd.Series:
    """Linear interpolation inside runs of at most `max_gap` missing values; longer runs stay missing."""
    missing = series.isna()
    run_id = (~missing).cumsum()
    run_length = missing.groupby(run_id).transform("sum")
    filled = series.interpolate(limit_area="inside")
    return filled.where(~missing | (run_length <= max_gap))
