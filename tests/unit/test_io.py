"""io.py: atomic writers, Parquet round trips with contract tags, partitions, hashing."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelab.core import io
from pipelab.core.errors import DataError


def sample_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "month": pd.Series([10, 2, 1, 2, 10], dtype="int64"),
            "flight": pd.Series([5, 4, 3, 2, 1], dtype="Int64"),
            "delay": pd.Series([1.5, None, 0.0, -2.0, 30.0], dtype="float64"),
            "carrier": pd.Series(["UA", "AA", None, "DL", "B6"], dtype="string"),
            "origin": pd.Series(["EWR", "JFK", "LGA", "EWR", "JFK"], dtype="category"),
            "cancelled": pd.Series([False, True, False, False, True], dtype="bool"),
            "time_hour": pd.to_datetime(
                ["2013-10-01 05:00", "2013-02-01 06:00", "2013-01-01 07:00", "2013-02-02 08:00", "2013-10-03 09:00"],
                utc=True,
            ),
        }
    )
    return frame.set_axis([10, 11, 12, 13, 14])  # not a RangeIndex: the writer drops it


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- atomic_file ---------------------------------------------------------------------------


def write_then_fail(target: Path, error: BaseException) -> None:
    with io.atomic_file(target) as tmp:
        tmp.write_text("half of the new content", encoding="utf-8")
        assert tmp.exists()
        raise error


def test_atomic_file_replaces_the_file_on_success(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "out.txt"
    with io.atomic_file(target) as tmp:
        assert tmp.parent == target.parent
        assert tmp != target
        tmp.write_text("new", encoding="utf-8")
        assert not target.exists()
    assert target.read_text(encoding="utf-8") == "new"
    assert files_in(tmp_path) == ["deep/dir/out.txt"]


def test_atomic_file_keeps_the_old_file_when_the_block_raises(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError, match="half way"):
        write_then_fail(target, ValueError("half way"))
    assert target.read_text(encoding="utf-8") == "old"
    assert files_in(tmp_path) == ["out.txt"]


def test_atomic_file_leaves_nothing_when_a_new_file_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt):
        write_then_fail(target, KeyboardInterrupt())
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)], ids=["022", "027", "077"])
def test_written_files_get_the_mode_the_umask_gives_not_the_temp_files_0600(
    tmp_path: Path, umask: int, mode: int
) -> None:
    previous = os.umask(umask)
    try:
        io.write_text("x\n", tmp_path / "a.txt")
        io.write_parquet(pd.DataFrame({"x": [1]}), tmp_path / "b.parquet")
    finally:
        os.umask(previous)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {"a.txt": mode, "b.parquet": mode}


def test_write_text_and_write_json_are_atomic_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    io.write_text("first\n", target)
    io.write_json({"b": 1, "a": [1, 2]}, target)
    assert target.read_text(encoding="utf-8") == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert files_in(tmp_path) == ["a.json"]


def test_write_json_refusing_nan_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    io.write_json({"ok": 1}, target)
    with pytest.raises(ValueError, match="not JSON compliant"):
        io.write_json({"bad": math.nan}, target)
    assert json.loads(target.read_text(encoding="utf-8")) == {"ok": 1}
    assert files_in(tmp_path) == ["a.json"]


# --- dumps_json ----------------------------------------------------------------------------


def test_dumps_json_sorts_keys_indents_and_ends_with_a_newline() -> None:
    text = io.dumps_json({"z": {"b": 2, "a": 1}, "a": "é"})
    assert text == '{\n  "a": "é",\n  "z": {\n    "a": 1,\n    "b": 2\n  }\n}\n'
    assert io.dumps_json({"b": 1, "a": 2}) == io.dumps_json({"a": 2, "b": 1})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_dumps_json_refuses_non_finite_numbers(value: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        io.dumps_json({"x": [1.0, value]})


# --- Parquet -------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_values_and_dtypes(tmp_path: Path) -> None:
    frame = sample_frame()
    path = tmp_path / "t.parquet"
    io.write_parquet(frame, path)
    back = io.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True))
    assert dict(back.dtypes.astype(str)) == dict(frame.dtypes.astype(str))
    assert isinstance(back.index, pd.RangeIndex)


def test_read_parquet_selects_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    io.write_parquet(sample_frame(), path)
    assert list(io.read_parquet(path, ["delay", "month"]).columns) == ["delay", "month"]


def test_contract_tag_travels_with_the_file(tmp_path: Path) -> None:
    tagged, plain = tmp_path / "tagged.parquet", tmp_path / "plain.parquet"
    io.write_parquet(sample_frame(), tagged, ("flights_raw", "1.2.0"))
    io.write_parquet(sample_frame(), plain)
    assert io.read_contract(tagged) == {"name": "flights_raw", "version": "1.2.0"}
    assert io.read_contract(plain) is None
    pd.testing.assert_frame_equal(io.read_parquet(tagged), io.read_parquet(plain))


def test_write_parquet_is_deterministic(tmp_path: Path) -> None:
    io.write_parquet(sample_frame(), tmp_path / "a.parquet", ("x", "1.0.0"))
    io.write_parquet(sample_frame(), tmp_path / "b.parquet", ("x", "1.0.0"))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_write_partitioned_writes_one_zero_padded_file_per_value(tmp_path: Path) -> None:
    root = tmp_path / "flights"
    written = io.write_partitioned(sample_frame(), root, "month", ("flights", "1.0.0"))
    expected = ["month=01/part-0.parquet", "month=02/part-0.parquet", "month=10/part-0.parquet"]
    assert [p.relative_to(root).as_posix() for p in written] == expected
    assert files_in(root) == expected
    assert io.read_parquet(root / "month=02" / "part-0.parquet")["flight"].tolist() == [4, 2]
    assert io.read_contract(root) == {"name": "flights", "version": "1.0.0"}


def test_read_parquet_of_a_directory_returns_rows_in_partition_order(tmp_path: Path) -> None:
    root = tmp_path / "flights"
    io.write_partitioned(sample_frame(), root, "month")
    back = io.read_parquet(root)
    assert back["month"].tolist() == [1, 2, 2, 10, 10]
    assert back["flight"].tolist() == [3, 4, 2, 5, 1]  # input order kept within a partition
    assert dict(back.dtypes.astype(str)) == dict(sample_frame().dtypes.astype(str))
    assert io.read_parquet(root, ["flight"]).columns.tolist() == ["flight"]


def test_partition_with_only_missing_values_in_an_object_column_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame({"month": [1, 1, 2], "note": [None, None, "late aircraft"]})
    io.write_partitioned(frame, tmp_path / "notes", "month")
    back = io.read_parquet(tmp_path / "notes")
    assert back["month"].tolist() == [1, 1, 2]
    assert back["note"].tolist() == [None, None, "late aircraft"]


@pytest.mark.parametrize(
    ("part", "shown"),
    [
        (pa.table({"month": pa.array([], pa.int64()), "flight": pa.array([], pa.null())}), "flight null"),
        (pa.table({"month": pa.array([11], pa.int64())}), "no flight"),
    ],
    ids=["empty-part-typed-null", "part-without-a-column"],
)
def test_a_partition_with_other_columns_or_types_is_one_line_naming_it(
    tmp_path: Path, part: pa.Table, shown: str
) -> None:
    """A part another tool wrote (an empty one types its text column null): before, the stage stopped with
    'internal error: ArrowInvalid: Schema at index 1 was different', naming no file."""
    root = tmp_path / "flights"
    io.write_partitioned(pd.DataFrame({"month": [1, 2], "flight": ["UA1", "AA2"]}), root, "month")
    (root / "month=11").mkdir()
    pq.write_table(part, root / "month=11" / "part-0.parquet")
    with pytest.raises(DataError) as err:
        io.read_parquet(root)
    assert str(err.value) == (
        f"{root / 'month=11' / 'part-0.parquet'}: its columns differ from {root / 'month=01' / 'part-0.parquet'}'s "
        f"({shown}); re-run the stage that writes it (`dvc repro`)"
    )


def test_write_partitioned_never_drops_rows_silently(tmp_path: Path) -> None:
    frame = pd.DataFrame({"month": [1.0, None, 2.0], "flight": [1, 2, 3]})
    try:
        io.write_partitioned(frame, tmp_path / "flights", "month")
        outcome = f"kept {len(io.read_parquet(tmp_path / 'flights'))} rows"
    except DataError as err:
        outcome = f"refused: {err}"
    # refusing a missing partition key (and naming it) is fine; losing the row is not
    assert outcome == "kept 3 rows" or (outcome.startswith("refused") and "month" in outcome), outcome


def test_dataset_files_skip_hidden_files(tmp_path: Path) -> None:
    root = tmp_path / "flights"
    io.write_partitioned(sample_frame(), root, "month")
    (root / "month=01" / ".part-0.parquet.abc.tmp.parquet").write_bytes(b"half written")
    assert [p.relative_to(root).as_posix() for p in io.dataset_files(root)] == [
        "month=01/part-0.parquet",
        "month=02/part-0.parquet",
        "month=10/part-0.parquet",
    ]
    assert len(io.read_parquet(root)) == 5


def test_corrupt_parquet_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(DataError) as info:
        io.read_parquet(path)
    message = str(info.value)
    assert message.startswith(f"{path}: unreadable Parquet (")
    assert "\n" not in message


def test_truncated_partition_is_a_data_error_naming_that_part(tmp_path: Path) -> None:
    root = tmp_path / "flights"
    io.write_partitioned(sample_frame(), root, "month")
    part = root / "month=02" / "part-0.parquet"
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.raises(DataError) as info:
        io.read_parquet(root)
    assert str(info.value).startswith(f"{part}: unreadable Parquet")


def test_empty_dataset_directory_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no Parquet files in dataset directory") as info:
        io.read_parquet(tmp_path / "empty")
    assert str(tmp_path / "empty") in str(info.value)


def test_missing_dataset_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="dataset not found"):
        io.read_parquet(tmp_path / "nothing")
    with pytest.raises(DataError, match="dataset not found"):
        io.read_contract(tmp_path / "nothing")


# --- hashing -------------------------------------------------------------------------------


def test_hash_of_a_file_is_its_md5(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1000)
    assert io.hash_path(path) == hashlib.md5(b"abc" * 1000).hexdigest()
    assert io.hash_file(path) == io.hash_path(path)


def make_tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.txt").write_bytes(b"hello")
    (root / "y.txt").write_bytes(b"world")


def test_hash_of_a_directory_is_stable_and_location_independent(tmp_path: Path) -> None:
    make_tree(tmp_path / "one")
    make_tree(tmp_path / "two")
    first = io.hash_path(tmp_path / "one")
    assert first == io.hash_path(tmp_path / "one")
    assert first == io.hash_path(tmp_path / "two")
    assert len(first) == 32


def test_hash_of_a_directory_changes_with_one_byte(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    make_tree(root)
    before = io.hash_path(root)
    (root / "a" / "b" / "x.txt").write_bytes(b"hellO")
    assert io.hash_path(root) != before


def test_hash_of_a_directory_changes_when_a_file_is_renamed(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    make_tree(root)
    before = io.hash_path(root)
    (root / "y.txt").rename(root / "z.txt")
    assert io.hash_path(root) != before


def test_hash_of_a_partitioned_dataset_ignores_where_it_was_copied(tmp_path: Path) -> None:
    io.write_partitioned(sample_frame(), tmp_path / "a", "month")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert io.hash_path(tmp_path / "a") == io.hash_path(tmp_path / "b")


def test_an_empty_partitioned_dataset_keeps_its_columns_and_types(tmp_path: Path) -> None:
    frame = pd.DataFrame({"month": pd.Series([], dtype="int64"), "note": pd.Series([], dtype=object)})
    written = io.write_partitioned(frame, tmp_path / "flights", "month", ("demo", "1.0.0"))
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["flights/part-0.parquet"]
    back = io.read_parquet(tmp_path / "flights")
    assert list(back.columns) == ["month", "note"]
    assert str(back["month"].dtype) == "int64"
    assert io.read_contract(tmp_path / "flights") == {"name": "demo", "version": "1.0.0"}


def test_rows_without_a_partition_key_go_to_their_own_partition(tmp_path: Path) -> None:
    frame = pd.DataFrame({"month": pd.array([1, None], dtype="Int64"), "flight": [1, 2]})
    written = io.write_partitioned(frame, tmp_path / "flights", "month")
    assert [p.parent.name for p in written] == ["month=01", "month=missing"]
    assert io.read_parquet(tmp_path / "flights")["flight"].tolist() == [1, 2]
