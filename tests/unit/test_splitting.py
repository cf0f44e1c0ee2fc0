"""Time split: before the cutoff trains, on/after tests; an empty side is a user error."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelab.core.errors import DataError
from pipelab.splitting import split_by_cutoff


def _table(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"row_id": range(len(days)), "sched_date": pd.to_datetime(list(days)), "late": 0})


def test_rows_before_cutoff_train_and_on_or_after_test() -> None:
    table = _table("2013-09-30", "2013-10-01", "2013-01-01", "2013-12-31", "2013-09-15")
    train, test = split_by_cutoff(table, dt.date(2013, 10, 1))
    assert train["row_id"].tolist() == [0, 2, 4]
    assert test["row_id"].tolist() == [1, 3]
    assert train.index.tolist() == [0, 1, 2]
    assert test.index.tolist() == [0, 1]
    assert list(train.columns) == list(table.columns)


def test_split_on_another_column() -> None:
    table = _table("2013-01-01", "2013-02-01").assign(when=pd.to_datetime(["2013-03-01", "2013-01-01"]))
    train, test = split_by_cutoff(table, dt.date(2013, 2, 1), column="when")
    assert train["row_id"].tolist() == [1]
    assert test["row_id"].tolist() == [0]


@pytest.mark.parametrize(
    ("cutoff", "message"),
    [
        (dt.date(2013, 1, 1), r"^split\.cutoff=2013-01-01: no rows before the cutoff to train on"),
        (dt.date(2013, 3, 2), r"^split\.cutoff=2013-03-02: no rows on or after the cutoff to test on"),
        (dt.date(2014, 1, 1), r"no rows on or after the cutoff"),
    ],
)
def test_empty_side_mentions_the_data_span(cutoff: dt.date, message: str) -> None:
    table = _table("2013-03-01", "2013-01-01", "2013-02-10")
    with pytest.raises(DataError, match=message) as err:
        split_by_cutoff(table, cutoff)
    assert str(err.value).endswith("(data spans 2013-01-01..2013-03-01)")


def test_empty_table() -> None:
    with pytest.raises(DataError, match="features table is empty: nothing to split"):
        split_by_cutoff(_table(), dt.date(2013, 10, 1))
