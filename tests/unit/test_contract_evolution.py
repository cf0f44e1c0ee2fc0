"""Schema evolution: migrations on read, the compatibility rules, the snapshot and `pipelab contracts diff`."""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipelab import contract_docs as docs
from pipelab import contract_evolution as evolution
from pipelab.cli import app
from pipelab.contracts import (
    Column,
    Contract,
    adapt,
    clean,
    conform,
    migrations,
    validate_table,
    versions,
)
from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_FLIGHTS_V1
from pipelab.core.errors import ContractError
from tests.unit.builders import clean_flight_table, flight

REPO = Path(__file__).parents[2]


def contract(version: str, *columns: Column, keys: tuple[str, ...] = ("id",)) -> Contract:
    base = (Column(name="id", dtype="int64"), *columns)
    return Contract(name="trips", version=version, description="test trips", columns=base, keys=keys)


V1 = contract("1.0.0", Column(name="minutes", dtype="float64", nullable=True))
V1_1 = contract(
    "1.1.0", Column(name="minutes", dtype="float64", nullable=True), Column(name="note", dtype="str", nullable=True)
)
V2 = contract(
    "2.0.0", Column(name="minutes", dtype="Int64", nullable=True), Column(name="note", dtype="str", nullable=True)
)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[migrations.Migration]:
    """A private migration registry with trips 1.1.0 -> 2.0.0 (whole minutes become integers)."""
    registry: list[migrations.Migration] = []
    monkeypatch.setattr(migrations, "MIGRATIONS", registry)

    @migrations.migration("trips", "1.1.0", "2.0.0")
    def minutes_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
        """minutes: float64 -> Int64 (whole minutes)."""
        return frame.assign(minutes=frame["minutes"].round().astype("Int64"))

    return registry


# --- reading older data -------------------------------------------------------------------------------------


def test_current_version_is_read_as_it_is() -> None:
    frame = pd.DataFrame({"id": [1], "minutes": [2.0]})
    out, steps = adapt(frame, V1, "1.0.0", "data/trips")
    pd.testing.assert_frame_equal(out, frame)
    assert steps == []


def test_an_older_minor_version_gets_the_columns_added_since_as_missing() -> None:
    out, steps = adapt(pd.DataFrame({"id": [1, 2], "minutes": [2.0, None]}), V1_1, "1.0.0", "data/trips")
    assert out["note"].tolist() == [None, None]
    assert steps == [
        {
            "contract": "trips",
            "from": "1.0.0",
            "to": "1.1.0",
            "how": "columns added since, filled with missing values: note",
        }
    ]


@pytest.mark.usefixtures("registered")
def test_migrations_chain_from_the_version_the_data_carries() -> None:
    frame = pd.DataFrame({"id": [1, 2], "minutes": [2.0, None], "note": ["a", None]})
    out, steps = adapt(frame, V2, "1.1.0", "data/trips")
    assert str(out["minutes"].dtype) == "Int64"
    assert out["minutes"].tolist() == [2, pd.NA]
    assert steps == [
        {"contract": "trips", "from": "1.1.0", "to": "2.0.0", "how": "minutes: float64 -> Int64 (whole minutes)."}
    ]


@pytest.mark.usefixtures("registered")
def test_an_older_minor_version_is_read_up_to_the_version_the_migration_starts_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(versions, "CONTRACTS", (V1, V1_1, V2))
    out, steps = adapt(pd.DataFrame({"id": [1], "minutes": [2.4]}), V2, "1.0.0", "data/trips")
    assert out.to_dict("list") == {"id": [1], "minutes": [2], "note": [None]}
    assert [(s["from"], s["to"], s["how"]) for s in steps] == [
        ("1.0.0", "1.1.0", "columns added since, filled with missing values: note"),
        ("1.1.0", "2.0.0", "minutes: float64 -> Int64 (whole minutes)."),
    ]


def test_no_chain_across_a_major_version_is_an_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [])
    with pytest.raises(ContractError) as err:
        adapt(pd.DataFrame({"id": [1], "minutes": [2.0]}), V2, "1.0.0", "data/trips")
    assert (
        str(err.value)
        == "data/trips (trips v1.0.0): no migration to v2.0.0; re-run the stage that writes it (`dvc repro`)"
    )


@pytest.mark.parametrize(
    ("migrate", "error"),
    [
        (
            lambda frame: frame.assign(minutes=frame["minute"]),
            "data/trips (trips v1.1.0): migration 1.1.0 -> 2.0.0 (<lambda>) failed: KeyError: 'minute'",
        ),
        (
            lambda frame: frame.drop(columns="note"),
            "data/trips migrated 1.1.0 -> 2.0.0 (trips v2.0.0): missing required column(s): note",
        ),
        (
            lambda frame: frame.assign(minutes=frame["minutes"] * 60),
            "data/trips migrated 1.1.0 -> 2.0.0 (trips v2.0.0): column 'minutes' has type float64, "
            "the contract says Int64",
        ),
        (lambda frame: None, "data/trips (trips v1.1.0): migration 1.1.0 -> 2.0.0 (<lambda>) returned NoneType"),
    ],
    ids=["raises", "drops-a-column", "wrong-type", "returns-none"],
)
def test_a_migration_that_fails_or_returns_the_wrong_columns_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, migrate: migrations.Migrate, error: str
) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", [])
    migrations.migration("trips", "1.1.0", "2.0.0")(migrate)
    with pytest.raises(ContractError) as err:
        adapt(pd.DataFrame({"id": [1], "minutes": [2.0], "note": ["a"]}), V2, "1.1.0", "data/trips")
    assert str(err.value).startswith(error)


def test_data_from_newer_code_is_refused() -> None:
    with pytest.raises(
        ContractError, match=r"^data/trips \(trips v1\.1\.0\): written by newer code than this \(reads v1\.0\.0\)"
    ):
        adapt(pd.DataFrame({"id": [1], "minutes": [2.0], "note": ["x"]}), V1, "1.1.0", "data/trips")


def test_a_required_column_added_within_a_major_cannot_be_filled() -> None:
    strict = contract(
        "1.1.0", Column(name="minutes", dtype="float64", nullable=True), Column(name="km", dtype="float64")
    )
    with pytest.raises(ContractError, match=r"required column\(s\) km missing"):
        adapt(pd.DataFrame({"id": [1], "minutes": [2.0]}), strict, "1.0.0", "data/trips")


def test_a_migration_registered_twice_is_refused(registered: list[migrations.Migration]) -> None:
    with pytest.raises(ValueError, match=r"trips: a migration from 1\.1\.0 is registered twice"):
        migrations.migration("trips", "1.1.0", "2.0.0")(lambda frame: frame)
    assert len(registered) == 1


def test_a_migration_to_an_earlier_version_is_refused(registered: list[migrations.Migration]) -> None:
    with pytest.raises(ValueError, match=r"trips: a migration from 2\.0\.0 must lead to a later version, not 1\.1\.0"):
        migrations.migration("trips", "2.0.0", "1.1.0")(lambda frame: frame)
    assert len(registered) == 1


# --- the compatibility rules --------------------------------------------------------------------------------


def as_dict(*columns: Column, **changes: Any) -> dict[str, Any]:
    return contract("1.0.0", *columns).model_copy(update=changes).to_dict()


MINUTES = Column(name="minutes", dtype="float64", nullable=True)


@pytest.mark.parametrize(
    ("new", "impact", "what"),
    [
        (
            as_dict(MINUTES, Column(name="note", dtype="str", nullable=True)),
            "compatible",
            "column 'note' added (nullable)",
        ),
        (as_dict(MINUTES, Column(name="note", dtype="str")), "breaking", "column 'note' added as required"),
        (as_dict(), "breaking", "column 'minutes' removed"),
        (
            as_dict(Column(name="mins", dtype="float64", nullable=True)),
            "breaking",
            "column 'minutes' removed (renamed to 'mins'?)",
        ),
        (
            as_dict(Column(name="minutes", dtype="float32", nullable=True)),
            "breaking",
            "type changed float64 -> float32",
        ),
        (as_dict(Column(name="minutes", dtype="Int64", nullable=True)), "breaking", "type changed float64 -> Int64"),
        (as_dict(Column(name="minutes", dtype="float64")), "breaking", "column 'minutes' made required"),
        (as_dict(MINUTES, keys=("id", "minutes")), "breaking", "keys changed"),
        (as_dict(MINUTES, description="other"), "patch", "description changed"),
        (
            as_dict(Column(name="minutes", dtype="float64", nullable=True, unit="min")),
            "patch",
            "rules, unit or description",
        ),
    ],
)
def test_each_change_is_classified(new: dict[str, Any], impact: str, what: str) -> None:
    changes = evolution.classify(as_dict(MINUTES), new)
    assert [c.impact for c in changes if what in c.what] == [impact], changes


@pytest.mark.parametrize(
    ("old", "new"), [("int32", "int64"), ("float32", "float64"), ("int64", "Int64"), ("int8", "float64")]
)
def test_widening_is_compatible(old: Any, new: Any) -> None:
    changes = evolution.classify(as_dict(Column(name="x", dtype=old)), as_dict(Column(name="x", dtype=new)))
    assert [(c.impact, c.what) for c in changes] == [("compatible", f"column 'x': type widened {old} -> {new}")]


def test_making_a_column_nullable_is_compatible() -> None:
    changes = evolution.classify(
        as_dict(Column(name="x", dtype="str")), as_dict(Column(name="x", dtype="str", nullable=True))
    )
    assert [(c.impact, c.what) for c in changes] == [("compatible", "column 'x' made nullable")]


def snapshot_of(*contracts: Contract, chains: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    found: dict[str, dict[str, Any]] = {}
    for c in contracts:
        found.setdefault(c.name, {})[c.version] = c.to_dict()
    return {"contracts": found, "migrations": [{"contract": "trips", "from": a, "to": b} for a, b in chains]}


def verdict(base: dict[str, Any], current: dict[str, Any]) -> evolution.Verdict:
    (found,) = evolution.compare(base, current)
    return found


def test_compatible_change_with_a_minor_bump_is_ok() -> None:
    found = verdict(snapshot_of(V1), snapshot_of(V1, V1_1))
    assert found.ok
    assert found.impact == "compatible"


def test_compatible_change_without_a_bump_fails() -> None:
    same_version = V1_1.model_copy(update={"version": "1.0.0"})
    found = verdict(snapshot_of(V1), snapshot_of(same_version))
    assert found.problems == [
        "v1.0.0 was changed in place; released versions are immutable",
        "compatible change needs version >= 1.1.0, has 1.0.0",
    ]


def test_breaking_change_needs_a_major_bump_and_a_migration() -> None:
    assert verdict(snapshot_of(V1_1), snapshot_of(V1_1, V2, chains=(("1.1.0", "2.0.0"),))).ok
    v1_1_1 = V1_1.model_copy(update={"version": "1.1.1", "description": "trips, described better"})
    after_a_patch = snapshot_of(V1_1, v1_1_1, V2, chains=(("1.1.1", "2.0.0"),))
    assert verdict(snapshot_of(V1_1, v1_1_1), after_a_patch).ok
    assert verdict(snapshot_of(V1_1, v1_1_1), snapshot_of(V1_1, v1_1_1, V2, chains=(("1.1.0", "2.0.0"),))).problems == [
        "breaking change needs a migration chain 1.1.1 -> 2.0.0"
    ]
    no_migration = verdict(snapshot_of(V1_1), snapshot_of(V1_1, V2))
    assert no_migration.problems == ["breaking change needs a migration chain 1.1.0 -> 2.0.0"]
    minor_only = V2.model_copy(update={"version": "1.2.0"})
    wrong_bump = verdict(snapshot_of(V1_1), snapshot_of(V1_1, minor_only, chains=(("1.1.0", "1.2.0"),)))
    assert wrong_bump.problems == ["breaking change needs version >= 2.0.0, has 1.2.0"]


def test_deleting_an_old_version_or_the_contract_fails_and_a_new_contract_is_fine() -> None:
    assert verdict(snapshot_of(V1, V1_1), snapshot_of(V1_1)).problems == [
        "v1.0.0 was deleted; data written under it could no longer be read"
    ]
    removed = evolution.compare(snapshot_of(V1), {"contracts": {}, "migrations": []})
    assert [v.problems for v in removed] == [
        ["contract removed: readers of its data break; keep it, or remove its readers first"]
    ]
    added = evolution.compare({"contracts": {}, "migrations": []}, snapshot_of(V1))
    assert [(v.ok, v.impact) for v in added] == [(True, "compatible")]


def test_a_version_added_below_the_released_one_fails() -> None:
    below = V1_1.model_copy(update={"version": "1.0.1", "description": "trips, described better"})
    assert verdict(snapshot_of(V1, V1_1), snapshot_of(V1, below, V1_1)).problems == [
        "v1.0.1 is new but below v1.1.0, released before: versions only go up"
    ]


def test_a_new_major_version_needs_a_migration_even_without_a_breaking_change() -> None:
    major = V1_1.model_copy(update={"version": "2.0.0"})
    assert verdict(snapshot_of(V1_1), snapshot_of(V1_1, major)).problems == [
        "a new major version needs a migration chain 1.1.0 -> 2.0.0"
    ]
    assert verdict(snapshot_of(V1_1), snapshot_of(V1_1, major, chains=(("1.1.0", "2.0.0"),))).ok


def test_a_migration_removed_or_naming_no_version_fails() -> None:
    released = snapshot_of(V1_1, V2, chains=(("1.1.0", "2.0.0"),))
    assert verdict(released, snapshot_of(V1_1, V2)).problems == [
        "migration 1.1.0 -> 2.0.0 was removed; data written under 1.1.0 could no longer be read"
    ]
    assert verdict(snapshot_of(V1_1), snapshot_of(V1_1, chains=(("1.1.0", "2.0.0"),))).problems == [
        "migration 1.1.0 -> 2.0.0 names no version 2.0.0 of trips"
    ]
    typo = {"contracts": {}, "migrations": [{"contract": "trip", "from": "1.0.0", "to": "2.0.0"}]}
    assert [(v.contract, v.problems) for v in evolution.compare(typo, typo)] == [
        ("trip", ["migration 1.0.0 -> 2.0.0 names no version 1.0.0 or 2.0.0 of trip"])
    ]


def test_rule_or_description_change_needs_a_patch_bump() -> None:
    described = V1.model_copy(update={"version": "1.0.1", "description": "trips, described better"})
    assert verdict(snapshot_of(V1), snapshot_of(V1, described)).ok


@pytest.fixture
def reloaded_versions(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """`monkeypatch` for the contract modules, then `versions` read again; as it was afterwards."""
    yield monkeypatch
    monkeypatch.undo()
    importlib.reload(versions)


def test_pointing_a_current_name_at_a_new_version_registers_it_and_keeps_the_released_one(
    reloaded_versions: pytest.MonkeyPatch,
) -> None:
    """README step 1: the next version beside the current one, the current name pointed at it. Before, the new
    clean_flights version was not registered (`contracts diff`: unchanged) and clean_weather 1.1.0 was dropped."""
    for current, version in (("CLEAN_FLIGHTS", "2.2.0"), ("CLEAN_WEATHER", "1.2.0")):
        reloaded_versions.setattr(clean, current, getattr(clean, current).model_copy(update={"version": version}))
    importlib.reload(versions)
    assert [c.version for c in versions.history("clean_flights")][-2:] == ["2.1.0", "2.2.0"]
    assert [c.version for c in versions.history("clean_weather")] == ["1.0.0", "1.1.0", "1.2.0"]


# --- the committed snapshot and the command ------------------------------------------------------------------


def test_committed_snapshot_and_docs_are_current() -> None:
    data = evolution.snapshot()
    committed = json.loads((REPO / "docs" / "contracts.json").read_text(encoding="utf-8"))
    assert committed == data, "docs/contracts.json is out of date: run `pipelab contracts snapshot`"
    assert (REPO / "docs" / "contracts.md").read_text(encoding="utf-8") == docs.render(data), (
        "docs/contracts.md is out of date: run `pipelab contracts snapshot`"
    )


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose first commit holds the current snapshot; the working directory."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "contracts.json").write_text(json.dumps(evolution.snapshot()), encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "snapshot")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def commit_snapshot(repo: Path, data: dict[str, Any]) -> None:
    (repo / "docs" / "contracts.json").write_text(json.dumps(data), encoding="utf-8")
    git(repo, "commit", "-qam", "older contracts")


def test_diff_against_an_unchanged_revision_exits_0(history: Path) -> None:
    result = CliRunner().invoke(app, ["contracts", "diff", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output == "contracts unchanged since HEAD\n"


def test_diff_catches_a_change_made_in_place(history: Path) -> None:
    base = copy.deepcopy(evolution.snapshot())
    weather = base["contracts"]["raw_weather"]["1.0.0"]
    weather["columns"] = [c for c in weather["columns"] if c["name"] != "visib"]
    commit_snapshot(history, base)
    result = CliRunner().invoke(app, ["contracts", "diff", "HEAD", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    (row,) = report["contracts"]
    assert row["contract"] == "raw_weather"
    assert row["changes"] == [{"impact": "compatible", "what": "column 'visib' added (nullable)"}]
    assert row["problems"] == [
        "v1.0.0 was changed in place; released versions are immutable",
        "compatible change needs version >= 1.1.0, has 1.0.0",
    ]
    assert result.stderr.startswith("error: contract changes not matched by their versions: raw_weather: v1.0.0")


def test_diff_of_an_unknown_revision_exits_2(history: Path) -> None:
    result = CliRunner().invoke(app, ["contracts", "diff", "no-such-branch"])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown git revision 'no-such-branch'\n"


def test_diff_against_a_revision_without_a_snapshot_has_nothing_to_compare(history: Path) -> None:
    (history / "docs" / "contracts.json").unlink()
    git(history, "commit", "-qam", "no snapshot")
    result = CliRunner().invoke(app, ["contracts", "diff", "HEAD"])
    assert result.exit_code == 0
    assert result.output == "no docs/contracts.json at HEAD: nothing to compare\n"
    result = CliRunner().invoke(app, ["contracts", "diff", "HEAD", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "base": "HEAD",
        "contracts": [],
        "note": "no docs/contracts.json at HEAD: nothing to compare",
    }


# --- the real evolution: clean_flights 1.0.0 -> 2.0.0 ----------------------------------------------------------


def as_v1(v2: pd.DataFrame) -> pd.DataFrame:
    """What clean wrote under clean_flights v1: delays as floats, no arrival local time, zones or time_hour."""
    v1 = v2.astype({c: "float64" for c in ("dep_delay", "arr_delay", "air_time")})
    return conform(v1.drop(columns=ADDED_SINCE_V1), CLEAN_FLIGHTS_V1, "v1")


ADDED_SINCE_V1 = ["sched_arr_local", "origin_tzone", "dest_tzone", "time_hour"]


def test_clean_flights_v1_data_is_read_as_v2_through_the_registered_migration() -> None:
    v2 = clean_flight_table(
        flight(flight=1, dep_delay=2.0, arr_delay=-7.0),
        flight(flight=2, dep_time=None, dep_delay=None, arr_time=None, arr_delay=None, air_time=None),
    )
    out, steps = adapt(as_v1(v2), CLEAN_FLIGHTS, "1.0.0", "data/clean/flights")
    assert CLEAN_FLIGHTS.version == "2.1.0"
    assert [(s["from"], s["to"]) for s in steps] == [("1.0.0", "2.0.0"), ("2.0.0", "2.1.0")]
    assert "rounded to whole minutes" in steps[0]["how"]
    pd.testing.assert_frame_equal(out.drop(columns=ADDED_SINCE_V1), v2.drop(columns=ADDED_SINCE_V1))
    assert out[ADDED_SINCE_V1].isna().all().all()
    assert validate_table(out, CLEAN_FLIGHTS, "features").quality.rows_valid == 2  # migrated data is valid v2


def test_clean_flights_v1_data_still_reads_when_a_v3_migrates_from_the_current_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's path for a major version: a migration from the current one (2.1.0); 1.0.0 and 2.0.x data go on
    reading, through 1.0.0 -> 2.0.0 and a compatible read up to 2.1.0."""
    v3 = CLEAN_FLIGHTS.model_copy(
        update={
            "version": "3.0.0",
            "columns": tuple(c for c in CLEAN_FLIGHTS.columns if c.name != "sched_block_minutes"),
        }
    )
    monkeypatch.setattr(versions, "CONTRACTS", (*versions.CONTRACTS, v3))
    monkeypatch.setattr(migrations, "MIGRATIONS", list(migrations.MIGRATIONS))
    migrations.migration("clean_flights", "2.1.0", "3.0.0")(lambda frame: frame.drop(columns="sched_block_minutes"))
    v2 = clean_flight_table(flight(flight=1, dep_delay=2.0, arr_delay=-7.0))
    for found, frame in (("1.0.0", as_v1(v2)), ("2.0.2", v2.drop(columns="time_hour"))):
        out, steps = adapt(frame, v3, found, "data/clean/flights")
        assert list(out.columns) == v3.fixed_columns
        assert [s["to"] for s in steps][-2:] == ["2.1.0", "3.0.0"], found


CONTRACT_MODULES = ("raw", "clean", "modelling", "quarantine")


def current_names() -> dict[str, Contract]:
    """Each contract's current name (no `_V…` suffix): what the stages write and read."""
    found = {}
    for module in CONTRACT_MODULES:
        for attribute, value in vars(importlib.import_module(f"pipelab.contracts.{module}")).items():
            if isinstance(value, Contract) and attribute.isupper() and "_V" not in attribute:
                found[f"{module}.{attribute}"] = value
    return found


def test_every_current_name_points_at_its_newest_version() -> None:
    """Pointing a current name back at an older released version passes `contracts diff` (the snapshot lists
    versions, not which is current), while readers check against the newest and refuse data written since."""
    names = current_names()
    assert {c.name for c in names.values()} == {c.name for c in versions.CONTRACTS}  # every contract has one
    behind = {
        where: f"{c.version} < {versions.latest(c.name).version}"
        for where, c in names.items()
        if c is not versions.latest(c.name)
    }
    assert not behind, behind
