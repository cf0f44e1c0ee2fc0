"""Atomic, deterministic writers and partition-aware readers for the pipeline's datasets.

Every writer goes through `atomic_file`: write to a temporary sibling, then rename, so a
killed process leaves the old file or none. Parquet files carry the contract name and
version in their schema metadata, so the version travels with the data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelab.core.errors import DataError, file_errors

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

PARTITION_FILE = "part-0.parquet"


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only if the block succeeds.

    A file that cannot be written (a read-only directory, a full disk) is a DataError naming it.
    """
    with file_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.chmod(0o666 & ~_umask())  # mkstemp makes it 0600; outputs get what open() would give
        try:
            yield tmp
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _umask() -> int:
    """The process umask (reading it means setting it, so it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def dumps_json(obj: Any) -> str:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False, default=_iso_date) + "\n"


def _iso_date(value: Any) -> str:
    """A date as JSON text, `2013-10-01`: params read as DVC reads them hold one for an unquoted date."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(obj: Any, path: Path) -> None:
    write_text(dumps_json(obj), path)


def csv_text(frame: pd.DataFrame, float_format: str = "%.6g") -> str:
    """A small table as the pipeline stores it: no index, six significant digits, LF line ends."""
    return frame.to_csv(index=False, float_format=float_format, lineterminator="\n")


def write_text(text: str, path: Path) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def contract_record(tag: tuple[str, str]) -> dict[str, str]:
    """A contract (name, version) as Parquet metadata and provenance store it."""
    return {"name": tag[0], "version": tag[1]}


def write_parquet(
    df: pd.DataFrame,
    path: Path,
    contract: tuple[str, str] | None = None,
    schema: pa.Schema | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write `df` (index dropped) as zstd Parquet, tagging the contract name and version.

    `schema` fixes the Arrow types (partitions of one dataset must share them); each
    `metadata` value is stored as JSON under `pipelab.<key>` (see `read_metadata`).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    values = dict(metadata or {})
    if contract is not None:
        values["contract"] = contract_record(contract)
    extra = {f"pipelab.{key}".encode(): json.dumps(value, sort_keys=True).encode() for key, value in values.items()}
    if extra:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    with atomic_file(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def partition_dir(root: Path, key: str, value: int) -> Path:
    return root / f"{key}={value:02d}"


def write_partitioned(df: pd.DataFrame, root: Path, key: str, contract: tuple[str, str] | None = None) -> list[Path]:
    """One Parquet file per value of `key` (e.g. month=01/part-0.parquet), key kept as a column.

    Every part gets the schema of the whole frame, so a partition whose text column is all
    missing still reads back as text. Rows without a key go to `<key>=missing`: never dropped.
    """
    import pandas as pd
    import pyarrow as pa

    schema = pa.Schema.from_pandas(df, preserve_index=False)
    if df.empty:  # no partitions, but readers still need the columns and types
        write_parquet(df, root / PARTITION_FILE, contract, schema)
        return [root / PARTITION_FILE]
    written = []
    for value, part in df.groupby(df[key].astype("Int64"), sort=True, dropna=False):
        missing = bool(pd.isna(value))
        path = (root / f"{key}=missing" if missing else partition_dir(root, key, int(value))) / PARTITION_FILE
        write_parquet(part, path, contract, schema)
        written.append(path)
    return written


def dataset_files(path: Path) -> list[Path]:
    """The Parquet files of a dataset: the file itself, or a directory's parts in key order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: dataset not found")
    files = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        raise DataError(f"{path}: no Parquet files in dataset directory")
    return files


def read_parquet(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file or partitioned directory; broken files give a one-line DataError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = dataset_files(path)
    tables = []
    for file in files:
        try:
            tables.append(pq.read_table(file, columns=columns))
        except (pa.ArrowInvalid, OSError) as err:
            raise DataError(f"{file}: unreadable Parquet ({str(err).splitlines()[0]})") from None
    first = tables[0].schema
    for file, table in zip(files[1:], tables[1:], strict=True):
        if not table.schema.equals(first):  # a part another tool wrote, or another version's
            differ = [f"{f.name} {f.type}" for f in table.schema if f not in first]
            differ += [f"no {name}" for name in first.names if name not in table.schema.names]
            differ = differ or ["the column order"]
            how = "re-run the stage that writes it (`dvc repro`)"
            raise DataError(f"{file}: its columns differ from {files[0]}'s ({', '.join(differ)}); {how}")
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _schema(path: Path) -> pa.Schema:
    """The schema of a Parquet file (first part of a directory); a broken file gives a one-line DataError."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = dataset_files(path)[0]
    try:
        return pq.read_schema(file)
    except (pa.ArrowInvalid, OSError) as err:
        raise DataError(f"{file}: unreadable Parquet ({str(err).splitlines()[0]})") from None


def parquet_columns(path: Path) -> list[str]:
    """The column names a Parquet file holds, as written (repeated ones too), without reading its data."""
    return list(_schema(path).names)


def _schema_metadata(path: Path) -> dict[bytes, bytes]:
    return dict(_schema(path).metadata or {})


def read_contract(path: Path) -> dict[str, str] | None:
    """The contract name/version recorded in a Parquet file (first part of a directory)."""
    tag: dict[str, str] | None = read_metadata(path, "contract")
    return tag


def read_metadata(path: Path, key: str) -> Any:
    """The JSON value `write_parquet` stored under `pipelab.<key>`, or None."""
    raw = _schema_metadata(path).get(f"pipelab.{key}".encode())
    return json.loads(raw) if raw else None


def hash_file(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_path(path: Path) -> str:
    """md5 of a file, or of a directory's sorted (relative path, file md5) listing."""
    if path.is_file():
        return hash_file(path)
    digest = hashlib.md5()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(path).as_posix()}\0{hash_file(file)}\n".encode())
    return digest.hexdigest()
