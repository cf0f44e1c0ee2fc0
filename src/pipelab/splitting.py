"""Time-based train/test split: never random across time, so tests see only the future."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelab.core.errors import DataError


def split_by_cutoff(
    table: pd.DataFrame, cutoff: dt.date, column: str = "sched_date"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows scheduled before `cutoff` train, the rest test; an empty side is a user error."""
    if table.empty:
        raise DataError("features table is empty: nothing to split")
    when = pd.Timestamp(cutoff)
    before = table[column] < when
    train, test = table.loc[before], table.loc[~before]
    span = f"data spans {table[column].min():%Y-%m-%d}..{table[column].max():%Y-%m-%d}"
    if train.empty:
        raise DataError(f"split.cutoff={cutoff}: no rows before the cutoff to train on ({span})")
    if test.empty:
        raise DataError(f"split.cutoff={cutoff}: no rows on or after the cutoff to test on ({span})")
    return train.reset_index(drop=True), test.reset_index(drop=True)
