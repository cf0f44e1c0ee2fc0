"""Bring your own data: the five tables as CSV or Parquet files in one directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipelab.errors import DataError
from pipelab.io import hash_file, read_parquet
from pipelab.params import DataParams
from pipelab.registry import ContractRef, register
from pipelab.sources.coerce import CSV_SUFFIXES, typed_table
from pipelab.tables import TABLES

SUFFIXES = (".parquet", *CSV_SUFFIXES)


def find_table(directory: Path, table: str) -> Path:
    found = [directory / f"{table}{suffix}" for suffix in SUFFIXES if (directory / f"{table}{suffix}").is_file()]
    if not found:
        names = [f"{table}{suffix}" for suffix in SUFFIXES]
        raise DataError(f"{directory}: no file for table {table!r} (expected {', '.join(names[:-1])} or {names[-1]})")
    if len(found) > 1:
        raise DataError(f"{directory}: table {table!r} is ambiguous: {', '.join(p.name for p in found)}")
    return found[0]


def read_table_file(path: Path) -> pd.DataFrame:
    """Read one CSV (UTF-8, optional BOM) or Parquet file; unreadable files stop with one line."""
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes)")
    if path.suffix == ".parquet":
        return read_parquet(path)
    try:
        header = pd.read_csv(path, encoding="utf-8-sig", header=None, nrows=1, dtype=str).iloc[0].tolist()
        repeated = sorted({str(h) for h in header if header.count(h) > 1})
        if repeated:
            raise DataError(f"{path}: duplicate column name(s) in the header: {', '.join(repeated)}")
        return pd.read_csv(path, encoding="utf-8-sig", low_memory=False)
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text (byte {err.start}); re-save the file as UTF-8") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path}: malformed CSV ({str(err).strip().splitlines()[-1]})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no header and no rows") from None


@register(
    "source",
    "files",
    writes=tuple(ContractRef(f"raw_{t}") for t in TABLES),
    failure_modes=(
        "data.path missing, or a table file missing or ambiguous (both .csv and .parquet)",
        "0-byte, non-UTF-8, malformed CSV or unreadable Parquet file",
        "missing or duplicated column, value not a number, fraction in an integer column",
    ),
)
def load_files(params: DataParams) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """The five tables from `data.path`: flights, weather, planes, airports, airlines.

    Each as `<table>.csv` (optionally .gz/.zip) or `<table>.parquet`, with the nycflights13
    column names; extra columns are ignored. File paths and md5s go into provenance.
    """
    directory = Path(params.path)
    if not directory.is_dir():
        raise DataError(f"data.path={params.path!r}: directory not found")
    tables, sources = {}, []
    for table in TABLES:
        path = find_table(directory, table)
        identifiers = {"path": path.as_posix(), "md5": hash_file(path)}
        tables[table], identifiers = typed_table(read_table_file(path), table, path.as_posix(), identifiers)
        sources.append(identifiers)
    return tables, sources
