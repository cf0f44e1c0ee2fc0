"""Strategy `drop`: remove rows with a missing measurement."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register
from pipelab.transforms.missing.base import READS, WRITES, MissingResult


@register(
    "missing",
    "drop",
    reads=READS,
    writes=WRITES,
    failure_modes=("drops every hour with any missing reading: flights then have no weather",),
)
def drop_missing(
    frame: pd.DataFrame, columns: list[str], config: ModuleConfig, group: str | None = None, order: str | None = None
) -> MissingResult:
    """Drop every row with a missing value in the measured columns (the count is recorded)."""
    keep = frame[columns].notna().all(axis=1)
    return MissingResult(frame.loc[keep].reset_index(drop=True), int((~keep).sum()), 0)
