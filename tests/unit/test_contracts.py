"""Contracts and lazy validation: quarantine with reasons, warnings kept, counts that reconcile, structure stops."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from pipelab.contracts import CONTRACTS, Column, Contract, Rule, conform, get, history, latest, names, validate_table
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.contracts.validation import QUARANTINE_COLUMNS
from pipelab.core.errors import ContractError
from pipelab.core.tables import TABLES
from tests.unit.builders import (
    AIRPORTS,
    flight,
    raw_airlines,
    raw_airports,
    raw_flights,
    raw_planes,
    raw_weather,
    read_small,
)

FLIGHTS = RAW_CONTRACTS["flights"]
WEATHER = RAW_CONTRACTS["weather"]
FLIGHT_KEYS = "year, month, day, carrier, flight, origin, sched_dep_time"


def references() -> dict[str, pd.DataFrame]:
    return {"raw_planes": raw_planes(), "raw_airports": raw_airports(), "raw_airlines": raw_airlines()}


# --- the contracts themselves -----------------------------------------------------------------------


def test_every_raw_table_and_boundary_has_a_versioned_contract() -> None:
    assert sorted(RAW_CONTRACTS) == sorted(TABLES)
    assert {f"raw_{t}" for t in TABLES} | {"clean_flights", "features", "predictions", "quarantine"} <= set(names())
    for contract in CONTRACTS:
        assert contract.version.count(".") == 2, contract.tag
        assert contract.description, contract.name


def test_every_version_is_kept_and_the_latest_is_current() -> None:
    for name in names():
        versions = history(name)
        assert latest(name) is versions[-1]
        assert [get(name, c.version) for c in versions] == versions


def test_unknown_contract_or_version_lists_what_exists() -> None:
    with pytest.raises(ContractError, match=r"unknown contract 'raw_flight'; contracts: .*raw_flights"):
        latest("raw_flight")
    with pytest.raises(ContractError, match=r"contract raw_flights has no version 9\.0\.0 \(versions: 1\.0\.0"):
        get("raw_flights", "9.0.0")


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0.1", "one"])
def test_version_must_be_semantic(version: str) -> None:
    with pytest.raises(ValidationError, match=r"is not MAJOR\.MINOR\.PATCH"):
        Contract(name="x", version=version, description="x", columns=(Column(name="a", dtype="int64"),))


def test_a_key_or_rule_must_name_existing_columns() -> None:
    with pytest.raises(ValidationError, match="key column 'b' is not a column"):
        Contract(name="x", version="1.0.0", description="x", columns=(Column(name="a", dtype="int64"),), keys=("b",))
    rule = Rule(name="b_after_a", rule="not_before", columns=("b", "a"))
    with pytest.raises(ValidationError, match="rule 'b_after_a' must name existing columns"):
        Contract(name="x", version="1.0.0", description="x", columns=(Column(name="a", dtype="int64"),), rules=(rule,))


# --- valid rows, quarantined rows ------------------------------------------------------------------


def test_valid_rows_pass_through_unchanged() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, dep_time=None, dep_delay=None, arr_delay=None))
    result = validate_table(frame, FLIGHTS, "validate", references=references())
    pd.testing.assert_frame_equal(result.valid, frame)
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert len(result.quarantine) == 0
    q = result.quality
    assert (q.rows_in, q.rows_valid, q.rows_quarantined, q.duplicates_removed) == (2, 2, 0, 0)
    assert q.errors == {}
    assert q.warnings == {}


def test_out_of_range_value_is_quarantined_with_its_reason() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, distance=20000.0), flight(flight=3))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0, 2]
    assert result.quarantine.to_dict("records") == [
        {
            "row_id": 1,
            "check": "distance_range",
            "column": "distance",
            "value": "20000.0",
            "contract": "raw_flights",
            "contract_version": "1.0.1",
            "stage": "validate",
        }
    ]
    assert result.quality.errors == {"distance_range": 1}
    assert result.quality.rows_quarantined == 1


def test_quarantine_uses_row_id_not_position() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, month=13), flight(flight=3)).iloc[::-1]
    frame["row_id"] = [72, 71, 70]  # positions 0, 1, 2 after the reversal; the bad row is 71
    result = validate_table(frame, FLIGHTS, "check")
    assert result.quarantine["row_id"].tolist() == [71]
    assert result.quarantine["stage"].tolist() == ["check"]
    assert result.valid["row_id"].tolist() == [72, 70]
    assert result.valid.index.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "column", "rule"),
    [
        ({"month": 13}, "month", "month_range"),
        ({"month": 2, "day": 30}, "year, month, day", "calendar_date"),
        ({"sched_dep_time": 2460, "hour": 24, "minute": 60}, "sched_dep_time", "sched_dep_time_clock"),
        ({"dep_time": 1275.0}, "dep_time", "dep_time_clock"),
        ({"carrier": "X"}, "carrier", "carrier_length"),
        ({"dep_delay": -300.0}, "dep_delay", "dep_delay_range"),
        ({"dep_delay": 1e9}, "dep_delay", "dep_delay_range"),  # a huge but well-typed outlier
        ({"air_time": np.inf}, "air_time", "air_time_range"),
        ({"distance": -np.inf}, "distance", "distance_range"),
        ({"distance": np.nan}, "distance", "distance_not_null"),
        ({"carrier": None}, "carrier", "carrier_not_null"),
        ({"dep_delay": None}, "dep_time, dep_delay", "departure_time_and_delay_together"),
        ({"dep_time": None}, "dep_time, dep_delay", "departure_time_and_delay_together"),
    ],
)
def test_bad_flight_values_are_quarantined(change: dict[str, Any], column: str, rule: str) -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, **change))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0]
    assert result.quality.rows_quarantined == 1
    assert (column, rule) in set(zip(result.quarantine["column"], result.quarantine["check"], strict=True))
    assert result.quality.errors[rule] == 1


@pytest.mark.parametrize(
    "columns", [("dep_time", "dep_delay"), ("arr_time",), ("arr_delay",), ("air_time",), ("tailnum",)]
)
def test_missing_allowed_where_nullable(columns: tuple[str, ...]) -> None:
    result = validate_table(raw_flights(flight(**dict.fromkeys(columns))), FLIGHTS, "validate")
    assert len(result.valid) == 1
    assert result.quality.rows_quarantined == 0


def test_weather_missing_readings_are_valid_but_infinite_ones_are_not() -> None:
    frame = raw_weather(
        {"temp": np.nan, "wind_gust": None},
        {"time_hour": "2013-01-01T11:00:00Z", "hour": 6, "temp": np.inf},
        {"time_hour": "2013-01-01T12:00:00Z", "hour": 7, "pressure": -np.inf},
    )
    result = validate_table(frame, WEATHER, "validate")
    assert result.valid["row_id"].tolist() == [0]
    assert result.quarantine[["row_id", "column", "value"]].to_dict("records") == [
        {"row_id": 1, "column": "temp", "value": "inf"},
        {"row_id": 2, "column": "pressure", "value": "-inf"},
    ]


def test_every_row_invalid_leaves_an_empty_valid_table_and_a_full_quarantine() -> None:
    frame = raw_flights(flight(flight=1, month=13), flight(flight=2, distance=-1.0))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid.empty
    assert list(result.valid.columns) == list(frame.columns)
    assert result.quality.rows_quarantined == 2
    assert result.quality.quarantine_share == 1.0
    assert result.quality.reconciles


# --- duplicates ------------------------------------------------------------------------------------


def test_exact_duplicate_rows_are_removed_and_counted_not_quarantined() -> None:
    frame = raw_flights(flight(flight=7), flight(flight=8), flight(flight=7), flight(flight=7))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0, 1]
    assert len(result.quarantine) == 0
    q = result.quality
    assert (q.rows_in, q.rows_valid, q.rows_quarantined, q.duplicates_removed) == (4, 2, 0, 2)
    assert q.reconciles


def test_conflicting_duplicate_keys_quarantine_every_row_of_the_key() -> None:
    """Two different rows claim the same flight: neither can be trusted, so neither goes on."""
    frame = raw_flights(flight(flight=7), flight(flight=8), flight(flight=7, dep_delay=9.0), flight(flight=7))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [1]
    assert result.quarantine["row_id"].tolist() == [0, 2]
    assert set(result.quarantine["check"]) == {"duplicate_key"}
    assert set(result.quarantine["column"]) == {FLIGHT_KEYS}
    q = result.quality
    assert (q.rows_in, q.rows_valid, q.rows_quarantined, q.duplicates_removed) == (4, 1, 2, 1)
    assert q.reconciles


def test_weather_key_is_origin_and_time_hour() -> None:
    # same local (year, month, day, hour) twice at the November DST change: different UTC hours, both valid
    frame = raw_weather(
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T05:00:00Z"},
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T06:00:00Z"},
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T06:00:00Z", "origin": "JFK"},
    )
    assert validate_table(frame, WEATHER, "validate").quality.rows_quarantined == 0


# --- rules across columns, several failures ----------------------------------------------------------


def test_cross_column_rule_names_its_columns_and_shows_plain_values() -> None:
    """The record is read by people: `hour=5`, not numpy's `hour=np.int64(5)`."""
    frame = raw_flights(flight(flight=1), flight(flight=2, sched_dep_time=515, hour=5, minute=20))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.quarantine[["row_id", "check", "column", "value"]].to_dict("records") == [
        {
            "row_id": 1,
            "check": "hour_minute_match_schedule",
            "column": "hour, minute, sched_dep_time",
            "value": "hour=5, minute=20, sched_dep_time=515",
        }
    ]


def test_an_integer_column_with_missing_values_shows_integers() -> None:
    """A missing value anywhere makes numpy read an Int64 column as floats: `25.0` and `nan` are not in the file."""
    frame = raw_flights(flight(flight=1, hour=25), flight(flight=2), flight(flight=3))
    frame.loc[1, "hour"] = pd.NA
    assert frame["hour"].dtype == "Int64"
    result = validate_table(frame, FLIGHTS, "validate")
    shown = result.quarantine.set_index("check")["value"].to_dict()
    assert shown["hour_range"] == "25"
    assert shown["hour_not_null"] == "None"
    assert shown["hour_minute_match_schedule"] == "hour=25, minute=15, sched_dep_time=515"


def test_row_failing_two_rules_counts_once_but_has_two_records() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, month=13, carrier="X"))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.quality.rows_quarantined == 1
    assert result.quarantine[["row_id", "column", "check"]].to_dict("records") == [
        {"row_id": 1, "column": "carrier", "check": "carrier_length"},
        {"row_id": 1, "column": "month", "check": "month_range"},
    ]
    assert result.quality.errors == {"carrier_length": 1, "month_range": 1}


def test_a_row_missing_a_required_value_and_failing_a_rule_has_both_records_and_no_pandas_warning() -> None:
    """All the missing values of a column as failure cases made pandera's concatenation warn (a FutureWarning on
    the stage's stderr, naming a file in site-packages) next to the stage's one line."""
    frame = raw_flights(flight(flight=1), flight(flight=2, month=13, carrier=None))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = validate_table(frame, FLIGHTS, "validate")
    assert result.quarantine[["row_id", "column", "check"]].to_dict("records") == [
        {"row_id": 1, "column": "carrier", "check": "carrier_not_null"},
        {"row_id": 1, "column": "month", "check": "month_range"},
    ]
    assert (result.quality.rows_in, result.quality.rows_valid, result.quality.rows_quarantined) == (2, 1, 1)


# --- warnings and foreign keys -----------------------------------------------------------------------


def test_warn_rule_keeps_the_row_and_counts_it_with_examples() -> None:
    frame = raw_airports({**AIRPORTS[0], "dst": "X"}, AIRPORTS[1])
    result = validate_table(frame, RAW_CONTRACTS["airports"], "validate")
    assert len(result.valid) == 2
    assert len(result.quarantine) == 0
    assert result.quality.warnings == {"dst_code": 1}
    assert result.quality.examples == {"dst_code": ["row_id 0: 'X'"]}


def test_orphan_foreign_keys_warn_or_quarantine_as_the_contract_says() -> None:
    frame = raw_flights(
        flight(flight=1),
        flight(flight=2, tailnum="N00000"),  # not in planes: kept, counted
        flight(flight=3, dest="BQN"),  # not in airports: kept, counted
        flight(flight=4, origin="XYZ"),  # unknown origin: no time zone, quarantined
    )
    result = validate_table(frame, FLIGHTS, "validate", references=references())
    assert result.valid["row_id"].tolist() == [0, 1, 2]
    assert result.quarantine[["row_id", "check", "value"]].to_dict("records") == [
        {"row_id": 3, "check": "origin_in_airports", "value": "'XYZ'"}
    ]
    assert result.quality.warnings == {"dest_in_airports": 1, "tailnum_in_planes": 1}


def test_an_airport_with_an_unknown_time_zone_is_quarantined_and_its_flights_follow() -> None:
    """clean could not place its clocks (an unknown zone stopped it with an internal error)."""
    airports = raw_airports(*[{**a, "tzone": "Not/AZone"} if a["faa"] == "EWR" else a for a in AIRPORTS])
    checked = validate_table(airports, RAW_CONTRACTS["airports"], "validate")
    assert checked.quarantine[["check", "column", "value"]].to_dict("records") == [
        {"check": "tzone_known_zone", "column": "tzone", "value": "'Not/AZone'"}
    ]
    assert "EWR" not in checked.valid["faa"].tolist()
    flights = raw_flights(flight(flight=1, origin="EWR"), flight(flight=2, origin="JFK"))
    result = validate_table(flights, FLIGHTS, "validate", references={**references(), "raw_airports": checked.valid})
    assert result.quarantine[["row_id", "check"]].to_dict("records") == [{"row_id": 0, "check": "origin_in_airports"}]


def test_foreign_keys_are_not_checked_without_the_referenced_table() -> None:
    frame = raw_flights(flight(flight=1, origin="XYZ", tailnum="N00000"))
    result = validate_table(frame, FLIGHTS, "validate")
    assert len(result.valid) == 1
    assert result.quality.warnings == {}


# --- the real data -----------------------------------------------------------------------------------


def test_flights_small_reconciles_every_table() -> None:
    frames = {t: read_small(t) for t in TABLES}
    refs = {RAW_CONTRACTS[t].name: frames[t] for t in ("planes", "airports", "airlines")}
    for table in TABLES:
        result = validate_table(frames[table], RAW_CONTRACTS[table], "validate", references=refs)
        q = result.quality
        assert q.reconciles, table
        assert q.rows_in == len(frames[table]) == q.rows_valid + q.rows_quarantined + q.duplicates_removed
        assert set(result.valid["row_id"]).isdisjoint(result.quarantine["row_id"]), table


def test_flights_small_real_findings() -> None:
    frames = {t: read_small(t) for t in TABLES}
    refs = {RAW_CONTRACTS[t].name: frames[t] for t in ("planes", "airports", "airlines")}
    weather = validate_table(frames["weather"], WEATHER, "validate", references=refs)
    (record,) = weather.quarantine.to_dict("records")
    assert (record["check"], record["column"]) == ("wind_speed_range", "wind_speed")
    assert float(record["value"]) == pytest.approx(1048.36058)
    bad = frames["weather"].loc[frames["weather"]["row_id"] == record["row_id"]].iloc[0]
    assert (bad["origin"], bad["time_hour"]) == ("EWR", pd.Timestamp("2013-02-12 08:00", tz="UTC"))
    flights = validate_table(frames["flights"], FLIGHTS, "validate", references=refs)
    assert flights.quality.rows_quarantined == 0
    assert flights.quality.warnings["tailnum_in_planes"] > 0  # fleet numbers of MQ and AA
    assert flights.quality.warnings["dest_in_airports"] > 0  # SJU and friends


# --- structure ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda f: f.drop(columns=["name"]), "missing required column(s): name"),
        (lambda f: f.assign(name=[1, 2]), "column 'name' has type int64, the contract says str"),
        (
            lambda f: f.assign(row_id=f["row_id"].astype("float64")),
            "column 'row_id' has type float64, the contract says int64",
        ),
        (lambda f: f.set_axis(["row_id", "carrier", "carrier"], axis=1), "duplicate column name(s): carrier"),
    ],
    ids=["missing column", "wrong type", "float row_id", "duplicate names"],
)
def test_structural_breakage_stops_naming_source_contract_version_and_column(breakage: Any, message: str) -> None:
    with pytest.raises(ContractError) as err:
        validate_table(breakage(raw_airlines()), RAW_CONTRACTS["airlines"], "validate", source="data/raw/airlines")
    assert str(err.value) == f"data/raw/airlines (raw_airlines v1.0.0): {message}"


def test_wrong_float_width_is_structural() -> None:
    frame = raw_weather()
    frame["temp"] = frame["temp"].astype("float32")
    with pytest.raises(ContractError, match=r"column 'temp' has type float32, the contract says float64$"):
        validate_table(frame, WEATHER, "validate")


def test_extra_columns_are_dropped_where_allowed_and_refused_where_strict() -> None:
    raw = raw_airlines().assign(alliance="Star")
    assert list(conform(raw, RAW_CONTRACTS["airlines"], "x").columns) == ["row_id", "carrier", "name"]
    strict = latest("predictions")
    with pytest.raises(ContractError, match=r"unexpected column\(s\) not in the contract: alliance$"):
        conform(pd.DataFrame({c: [] for c in [*strict.fixed_columns, "alliance"]}), strict, "x")


def test_column_order_does_not_matter_and_comes_out_in_contract_order() -> None:
    frame = raw_airlines()[["name", "carrier", "row_id"]]
    result = validate_table(frame, RAW_CONTRACTS["airlines"], "validate")
    assert list(result.valid.columns) == ["row_id", "carrier", "name"]
    assert result.quality.rows_valid == 2


def test_pattern_columns_take_any_of_their_types_and_rules() -> None:
    features = latest("features")
    frame = pd.DataFrame(
        {
            "row_id": [1, 2],
            "month": [1, 1],
            "sched_date": pd.to_datetime(["2013-01-01", "2013-01-01"]).astype("datetime64[us]"),
            "sched_dep_utc": pd.to_datetime(["2013-01-01", "2013-01-01"], utc=True).astype("datetime64[us, UTC]"),
            "carrier": ["AA", "UA"],
            "origin": ["JFK", "EWR"],
            "dest": ["LAX", "IAH"],
            "sched_dep_hour": [5, 6],
            "calendar__month": [1.0, np.inf],
            "schedule__carrier": ["AA", None],
            "late": np.array([0, 1], dtype="int8"),
        }
    )
    result = validate_table(frame, features, "features")
    assert result.valid["row_id"].tolist() == [1]
    assert result.quarantine[["row_id", "check", "column"]].to_dict("records") == [
        {"row_id": 2, "check": "feature_finite", "column": "calendar__month"}
    ]
    with pytest.raises(ContractError, match=r"unexpected column\(s\) not in the contract: Weather_Temp"):
        validate_table(frame.assign(Weather_Temp=1.0), features, "features")
