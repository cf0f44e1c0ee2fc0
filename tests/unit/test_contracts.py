"""Raw contracts and lazy validation: quarantine row by row, stop on structural breakage."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.contracts.validation import QUARANTINE_COLUMNS, validate_table
from pipelab.errors import ContractError
from pipelab.tables import KEYS, TABLES
from tests.unit.builders import flight, raw_airlines, raw_flights, raw_weather, read_small

FLIGHTS = RAW_CONTRACTS["flights"]
WEATHER = RAW_CONTRACTS["weather"]


def test_every_table_has_a_versioned_contract() -> None:
    assert sorted(RAW_CONTRACTS) == sorted(TABLES)
    for table, contract in RAW_CONTRACTS.items():
        assert contract.tag == (f"raw_{table}", "1.0.0")


def test_valid_rows_pass_through_unchanged() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, dep_time=None, dep_delay=None, arr_delay=None))
    result = validate_table(frame, FLIGHTS, "validate")
    pd.testing.assert_frame_equal(result.valid, frame)
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert len(result.quarantine) == 0
    assert result.rows_quarantined == 0
    assert result.check_counts == {}


def test_out_of_range_value_is_quarantined_with_its_reason() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, distance=20000.0), flight(flight=3))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0, 2]
    assert result.quarantine.to_dict("records") == [
        {
            "row_id": 1,
            "check": "in_range(1, 13000)",
            "column": "distance",
            "value": "20000.0",
            "contract": "raw_flights",
            "contract_version": "1.0.0",
            "stage": "validate",
        }
    ]
    assert result.check_counts == {"distance:in_range(1, 13000)": 1}
    assert result.rows_quarantined == 1


def test_quarantine_uses_row_id_not_position() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, month=13), flight(flight=3)).iloc[::-1]
    frame["row_id"] = [72, 71, 70]  # positions 0, 1, 2 after the reversal; the bad row is 71
    result = validate_table(frame, FLIGHTS, "check")
    assert result.quarantine["row_id"].tolist() == [71]
    assert result.quarantine["stage"].tolist() == ["check"]
    assert result.valid["row_id"].tolist() == [72, 70]
    assert result.valid.index.tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "column", "check"),
    [
        ({"month": 13}, "month", "in_range(1, 12)"),
        ({"sched_dep_time": 2460, "hour": 24, "minute": 60}, "sched_dep_time", "in_range(0, 2400)"),
        ({"dep_time": 1275.0}, "dep_time", "clock_minutes_below_60"),
        ({"carrier": "X"}, "carrier", "str_length(2, 3)"),
        ({"dep_delay": -300.0}, "dep_delay", "in_range(-240, 2880)"),
        ({"air_time": np.inf}, "air_time", "in_range(1, 1440)"),
        ({"distance": -np.inf}, "distance", "in_range(1, 13000)"),
        ({"distance": np.nan}, "distance", "not_nullable"),
        ({"carrier": None}, "carrier", "not_nullable"),
    ],
)
def test_bad_flight_values_are_quarantined(change: dict[str, Any], column: str, check: str) -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, **change))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0]
    assert result.rows_quarantined == 1
    assert (column, check) in set(zip(result.quarantine["column"], result.quarantine["check"], strict=True))
    assert result.check_counts[f"{column}:{check}"] == 1


@pytest.mark.parametrize("column", ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time", "tailnum"])
def test_missing_allowed_where_nullable(column: str) -> None:
    frame = raw_flights(flight(**{column: None}))
    result = validate_table(frame, FLIGHTS, "validate")
    assert len(result.valid) == 1
    assert result.rows_quarantined == 0


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


def test_duplicate_key_keeps_first_and_quarantines_later_copies() -> None:
    frame = raw_flights(flight(flight=7), flight(flight=8), flight(flight=7), flight(flight=7, dep_delay=9.0))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0, 1]
    assert result.quarantine["row_id"].tolist() == [2, 3]
    assert set(result.quarantine["check"]) == {"multiple_fields_uniqueness"}
    assert set(result.quarantine["column"]) == {", ".join(KEYS["flights"])}
    assert result.rows_quarantined == 2
    assert sum(result.check_counts.values()) == 2


def test_weather_key_is_origin_and_time_hour() -> None:
    # same local (year, month, day, hour) twice at the November DST change: different UTC hours, both valid
    frame = raw_weather(
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T05:00:00Z"},
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T06:00:00Z"},
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T06:00:00Z", "origin": "JFK"},
    )
    assert validate_table(frame, WEATHER, "validate").rows_quarantined == 0


def test_hour_and_minute_must_match_sched_dep_time() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, sched_dep_time=515, hour=5, minute=20))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.valid["row_id"].tolist() == [0]
    assert result.quarantine["row_id"].tolist() == [1]
    assert result.quarantine["check"].tolist() == ["hour_minute_match_sched_dep_time"]
    assert result.rows_quarantined == 1


def test_cross_check_quarantine_names_the_columns_it_involves() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, sched_dep_time=515, hour=5, minute=20))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.quarantine["column"].tolist() == ["hour, minute, sched_dep_time"]
    assert result.check_counts == {"hour, minute, sched_dep_time:hour_minute_match_sched_dep_time": 1}


def test_cross_check_quarantine_shows_plain_values() -> None:
    """The record is read by people: `hour=5`, not numpy's `hour=np.int64(5)`."""
    frame = raw_flights(flight(flight=1), flight(flight=2, sched_dep_time=515, hour=5, minute=20))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.quarantine["value"].tolist() == ["hour=5, minute=20, sched_dep_time=515"]


def test_row_failing_two_checks_counts_once_but_has_two_records() -> None:
    frame = raw_flights(flight(flight=1), flight(flight=2, month=13, carrier="X"))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.rows_quarantined == 1
    assert result.quarantine[["row_id", "column", "check"]].to_dict("records") == [
        {"row_id": 1, "column": "month", "check": "in_range(1, 12)"},
        {"row_id": 1, "column": "carrier", "check": "str_length(2, 3)"},
    ]
    assert result.check_counts == {"carrier:str_length(2, 3)": 1, "month:in_range(1, 12)": 1}


def test_same_check_failing_in_two_columns_keeps_both_records() -> None:
    """dep_delay and arr_delay share the check `in_range(-240, 2880)`: each failure is its own reason."""
    frame = raw_flights(flight(flight=1), flight(flight=2, dep_delay=5000.0, arr_delay=-500.0))
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.rows_quarantined == 1
    assert sorted(result.quarantine["column"]) == ["arr_delay", "dep_delay"]
    assert result.check_counts == {"arr_delay:in_range(-240, 2880)": 1, "dep_delay:in_range(-240, 2880)": 1}


def test_check_counts_count_rows_per_column_and_check() -> None:
    frame = raw_flights(
        flight(flight=1, month=13),
        flight(flight=2, month=0),
        flight(flight=3, carrier="LONG"),
        flight(flight=4),
    )
    result = validate_table(frame, FLIGHTS, "validate")
    assert result.check_counts == {"carrier:str_length(2, 3)": 1, "month:in_range(1, 12)": 2}
    assert result.rows_quarantined == 3
    assert result.valid["row_id"].tolist() == [3]


def test_flights_small_reconciles_rows_in_with_valid_and_quarantined() -> None:
    for table in TABLES:
        frame = read_small(table)
        result = validate_table(frame, RAW_CONTRACTS[table], "validate")
        assert len(frame) == len(result.valid) + result.rows_quarantined, table
        assert set(result.valid["row_id"]).isdisjoint(result.quarantine["row_id"]), table


def test_flights_small_impossible_wind_is_quarantined() -> None:
    weather = read_small("weather")
    result = validate_table(weather, WEATHER, "validate")
    record = result.quarantine.to_dict("records")
    assert len(record) == 1
    assert record[0]["check"] == "in_range(0, 200)"
    assert record[0]["column"] == "wind_speed"
    assert float(record[0]["value"]) == pytest.approx(1048.36058)
    bad = weather.loc[weather["row_id"] == record[0]["row_id"]].iloc[0]
    assert (bad["origin"], bad["time_hour"]) == ("EWR", pd.Timestamp("2013-02-12 08:00", tz="UTC"))
    assert result.check_counts == {"wind_speed:in_range(0, 200)": 1}


@pytest.mark.parametrize(
    ("breakage", "column"),
    [
        (lambda f: f.drop(columns=["name"]), "name"),
        (lambda f: f.assign(name=[1, 2]), "name"),
        (lambda f: f.assign(row_id=f["row_id"].astype("float64")), "row_id"),
        (lambda f: f.assign(extra="x"), "extra"),
    ],
    ids=["missing column", "wrong dtype", "float row_id", "unexpected column"],
)
def test_structural_failure_stops_with_contract_version_and_column(breakage: Any, column: str) -> None:
    frame = breakage(raw_airlines())
    with pytest.raises(ContractError) as err:
        validate_table(frame, RAW_CONTRACTS["airlines"], "validate")
    message = str(err.value)
    assert message.startswith("raw_airlines v1.0.0: ")
    assert f"'{column}'" in message
    assert "\n" not in message


def test_wrong_float_width_is_structural() -> None:
    frame = raw_weather()
    frame["temp"] = frame["temp"].astype("float32")
    with pytest.raises(ContractError, match=r"^raw_weather v1\.0\.0: column 'temp' fails dtype\('float64'\)"):
        validate_table(frame, WEATHER, "validate")
