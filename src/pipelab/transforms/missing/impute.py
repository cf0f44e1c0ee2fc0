"""Strategy `impute`: interpolate short gaps in time, then use medians."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from pipelab.params import ModuleConfig
from pipelab.registry import register
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
