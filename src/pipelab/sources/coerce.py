"""Coerce a source's columns to the raw types; anything that will not convert stops ingest."""

from __future__ import annotations

import pandas as pd

from pipelab.errors import DataError
from pipelab.tables import FLOAT, INT, RAW_COLUMNS, ROW_ID, STR, UTC


def _fail(origin: str, column: str, bad: pd.Series, what: str) -> DataError:
    example = bad.iloc[0]
    return DataError(f"{origin}: column {column!r}: {len(bad)} value(s) {what}, e.g. {example!r} (row {bad.index[0]})")


def coerce_table(frame: pd.DataFrame, table: str, origin: str) -> pd.DataFrame:
    """Required columns present, typed as RAW_COLUMNS says, plus a stable `row_id`.

    Extra columns are dropped (they are not part of any contract); missing ones stop ingest.
    """
    spec = RAW_COLUMNS[table]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise DataError(f"{origin}: duplicate column name(s): {', '.join(map(str, duplicated))}")
    missing = [c for c in spec if c not in frame.columns]
    if missing:
        raise DataError(f"{origin}: missing required column(s): {', '.join(missing)}")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    frame = frame.reset_index(drop=True)
    for column, kind in spec.items():
        values = frame[column]
        if kind == STR:
            text = values.astype("string").str.strip()
            out[column] = text.mask(text == "").astype(object).where(text.notna() & (text != ""), None)
            continue
        if kind == UTC:
            parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
            bad = values[parsed.isna() & values.notna()]
            if len(bad):
                raise _fail(origin, column, bad, "are not ISO-8601 times")
            out[column] = parsed.astype("datetime64[us, UTC]")
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values[numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")]
        if len(bad):
            raise _fail(origin, column, bad, "are not numbers")
        if kind == INT:
            fractional = numbers[numbers.notna() & (numbers % 1 != 0)]
            if len(fractional):
                raise _fail(origin, column, fractional, "are not whole numbers")
            out[column] = numbers.astype("Int64")
        else:
            assert kind == FLOAT
            out[column] = numbers.astype("float64")
    out.insert(0, ROW_ID, pd.RangeIndex(len(frame), dtype="int64"))
    return out
