"""Coerce a source's columns to the raw contract's types; a value that will not convert stops ingest.

A column whose values are not of its contract type is structural breakage (the file, not
a row, is wrong), so it stops the stage naming the file, column, contract version, count
and an example. Rows with in-type but bad values are the validate stage's business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelab.contracts import Contract
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.errors import DataError
from pipelab.core.tables import ROW_ID

INT64_LIMIT = 2**63
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zip")
# Neither numbers nor text, though to_numeric would take them: bools as 0/1, times and durations as nanoseconds.
NOT_NUMBERS = (bool, np.bool_, dt.date, dt.time, dt.timedelta, np.datetime64, np.timedelta64)


@dataclass(frozen=True)
class Where:
    """The file (or source) being coerced and its contract: how errors name the place."""

    origin: str
    contract: Contract
    line_of: Callable[[int], int] | None = None  # a CSV's line of a 0-based data row, where rows and lines differ

    def __str__(self) -> str:
        return f"{self.origin} ({self.contract.name} v{self.contract.version})"

    def row(self, position: int) -> str:
        """A 0-based data row as the user finds it: the CSV's line (header on line 1), else 1-based."""
        if self.line_of is not None:
            return f"line {self.line_of(position)}"
        if self.origin.endswith(CSV_SUFFIXES):
            return f"line {position + 2}"
        return f"row {position + 1}"


def _fail(where: Where, column: str, bad: pd.Series, what: str) -> DataError:
    """`bad` holds the source's values (as the user wrote them) at their 0-based data rows."""
    example = bad.iloc[0]
    if isinstance(example, np.generic):  # np.float64(1.5) -> 1.5
        example = example.item()
    return DataError(
        f"{where}: column {column!r}: {len(bad)} value(s) {what}, e.g. {example!r} ({where.row(bad.index[0])})"
    )


def column_name(name: object) -> str:
    """A header as the contract reads it: spaces around it (`year, month` headers) are not part of it."""
    return str(name).strip()


def ignored_columns(frame: pd.DataFrame, contract: Contract) -> list[str]:
    """Source columns the contract does not know: dropped at ingest (and recorded in provenance)."""
    return [str(c) for c in frame.columns if column_name(c) not in contract.fixed_columns]


def _missing_hint(names: list[str], contract: Contract) -> str:
    """What the header has instead: the names the contract does not know (often a misspelt one).

    (A CSV not separated by commas is refused earlier, where the files source reads it.)
    """
    unknown = [n for n in names if n not in contract.fixed_columns]
    return f" (columns the contract does not name: {', '.join(map(repr, unknown))})" if unknown else ""


def _found(values: pd.Series, wrong: pd.Series) -> str:
    """What the wrong values are: in a column of objects the first one's type, else the column's."""
    return type(wrong.iloc[0]).__name__ if values.dtype == object else str(values.dtype)


def _as_text(value: object) -> str | None:
    """A str as it is, bytes holding UTF-8 (a Parquet binary column) decoded, anything else None."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _text(values: pd.Series, where: Where, column: str) -> pd.Series:
    """Text stripped, blank as missing. Numbers, bools, lists (a Parquet column of another type) stop
    ingest: written as text they would pass for it (737.0 as the model '737.0')."""
    present = values.dropna().astype(object)  # a Parquet dictionary column arrives as a categorical
    text = present if pd.api.types.infer_dtype(present) == "string" else present.map(_as_text)
    wrong = present[text.isna()]
    if len(wrong):
        undecodable = isinstance(wrong.iloc[0], bytes)
        what = "are bytes that are not UTF-8 text" if undecodable else f"are {_found(values, wrong)}, not text"
        raise _fail(where, column, wrong, f"{what} (the contract says str)")
    stripped = text.reindex(values.index).astype("string").str.strip()
    return stripped.astype(object).where(stripped.notna() & (stripped != ""), None)


def _wrong_type(values: pd.Series) -> pd.Series:
    """The non-missing values of a type a number column cannot hold (e.g. a Parquet bool or timestamp column)."""
    if values.dtype.kind in "bmM":
        return values.dropna()
    if values.dtype == object:
        return values[values.map(lambda value: isinstance(value, NOT_NUMBERS))]
    return values.iloc[:0]


def _numbers(values: pd.Series, where: Where, column: str, dtype: str) -> pd.Series:
    wrong = _wrong_type(values)
    if len(wrong):
        raise _fail(where, column, wrong, f"are {_found(values, wrong)}, not numbers (the contract says {dtype})")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values[numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")]
    if len(bad):
        raise _fail(where, column, bad, "are not numbers")
    if dtype == "float64":
        return numbers.astype("float64")
    fractional = numbers[numbers.notna() & (numbers % 1 != 0)]
    if len(fractional):
        raise _fail(where, column, values[fractional.index], "are not whole numbers (the contract says integer)")
    huge = numbers[numbers.notna() & (numbers.abs() >= INT64_LIMIT)]
    if len(huge):
        raise _fail(where, column, values[huge.index], "are too large for an integer column")
    return numbers.astype("Int64")


def _utc(values: pd.Series, where: Where, column: str) -> pd.Series:
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    bad = values[parsed.isna() & values.notna()]
    if len(bad):
        raise _fail(where, column, bad, "are not ISO-8601 times")
    return parsed.astype("datetime64[us, UTC]")


def _numpy_backed(values: pd.Series) -> pd.Series:
    """A pyarrow-backed column (pandas' `dtype_backend="pyarrow"`, restored from a Parquet file's
    pandas metadata) as pyarrow reads it without that metadata: numpy types, objects for text."""
    if not isinstance(values.dtype, pd.ArrowDtype):
        return values
    import pyarrow as pa

    converted: pd.Series = pa.array(values.array).to_pandas()
    return converted.set_axis(values.index)


def coerce_table(
    frame: pd.DataFrame, contract: Contract, origin: str, line_of: Callable[[int], int] | None = None
) -> pd.DataFrame:
    """The contract's columns, typed as it says, in its order, plus a stable `row_id` (source row number).

    Extra columns are dropped (see `ignored_columns`); missing or duplicated ones stop ingest.
    """
    where = Where(origin, contract, line_of)
    names = [column_name(c) for c in frame.columns]
    frame = frame.set_axis(names, axis=1)
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise DataError(f"{where}: duplicate column name(s): {', '.join(duplicated)}")
    wanted = [c for c in contract.columns if c.name != ROW_ID and not c.pattern]
    missing = [c.name for c in wanted if c.name not in names]
    if missing:
        raise DataError(f"{where}: missing required column(s): {', '.join(missing)}{_missing_hint(names, contract)}")
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({ROW_ID: pd.RangeIndex(len(frame), dtype="int64")})
    for column in wanted:
        values = _numpy_backed(frame[column.name])
        if column.dtype == "str":
            out[column.name] = _text(values, where, column.name)
        elif column.dtype == "datetime64[us, UTC]":
            out[column.name] = _utc(values, where, column.name)
        elif column.dtype in ("Int64", "float64"):
            out[column.name] = _numbers(values, where, column.name, column.dtype)
        else:
            raise RuntimeError(f"{contract.name}: raw column type {column.dtype} has no coercion")
    return out


def typed_table(
    frame: pd.DataFrame,
    table: str,
    origin: str,
    identifiers: dict[str, Any],
    line_of: Callable[[int], int] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A source table coerced to its raw contract, and its provenance identifiers (ignored columns added)."""
    contract = RAW_CONTRACTS[table]
    ignored = ignored_columns(frame, contract)
    return coerce_table(frame, contract, origin, line_of), {"table": table, **identifiers} | (
        {"ignored_columns": ignored} if ignored else {}
    )
