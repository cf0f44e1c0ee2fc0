"""Cleaning: local schedules to UTC across DST, overnight arrivals, status flags, weather tidy-up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelab.cleaning import airport_zones, clean_flights, clean_weather, local_clock, require_rows_kept, to_utc
from pipelab.contracts import conform, validate_table
from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_WEATHER
from pipelab.core.errors import DataError
from tests.unit.builders import (
    AIRPORTS,
    clean_flight_table,
    flight,
    raw_airports,
    raw_flights,
    raw_weather,
    read_small,
    run_stages_on_small,
)

NY = "America/New_York"


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("local", "zone", "expected"),
    [
        ("2013-01-15 08:00", NY, "2013-01-15 13:00"),  # EST, -5h
        ("2013-07-15 08:00", NY, "2013-07-15 12:00"),  # EDT, -4h
        ("2013-03-10 02:30", NY, "2013-03-10 07:00"),  # does not exist: shifts forward to 03:00 EDT
        ("2013-11-03 01:30", NY, "2013-11-03 05:30"),  # happens twice: the first one (EDT, -4h)
        ("2013-07-15 08:00", "America/Los_Angeles", "2013-07-15 15:00"),
        ("2013-07-15 08:00", "Pacific/Honolulu", "2013-07-15 18:00"),
    ],
)
def test_to_utc(local: str, zone: str, expected: str) -> None:
    out = to_utc(pd.Series([pd.Timestamp(local)]), pd.Series([zone]))
    assert out.tolist() == [_utc(expected)]
    assert str(out.dtype) == "datetime64[us, UTC]"


def test_to_utc_mixed_zones_keep_row_alignment_and_unknown_zone_is_nat() -> None:
    local = pd.Series(pd.to_datetime(["2013-07-01 12:00"] * 4), index=[7, 3, 9, 1])
    zones = pd.Series(["America/Los_Angeles", None, NY, "America/Chicago"], index=[7, 3, 9, 1])
    out = to_utc(local, zones)
    assert out.index.tolist() == [7, 3, 9, 1]
    assert out[7] == _utc("2013-07-01 19:00")
    assert pd.isna(out[3])
    assert out[9] == _utc("2013-07-01 16:00")
    assert out[1] == _utc("2013-07-01 17:00")


def test_local_clock_handles_midnight_at_both_ends_of_the_day() -> None:
    dates = pd.Series(pd.to_datetime(["2013-12-31"] * 4))
    out = local_clock(dates, pd.Series([0, 1, 1559, 2400], dtype="Int64"))
    assert out.tolist() == [
        pd.Timestamp("2013-12-31 00:00"),
        pd.Timestamp("2013-12-31 00:01"),
        pd.Timestamp("2013-12-31 15:59"),
        pd.Timestamp("2014-01-01 00:00"),
    ]


def test_airport_zones_skip_missing_and_extra_zones_fill_gaps() -> None:
    airports = raw_airports(
        {"faa": "EWR", "name": "Newark", "tz": -5.0, "tzone": NY},
        {"faa": "XYZ", "name": "No zone", "tz": -5.0, "tzone": None},
    )
    assert airport_zones(airports, {}) == {"EWR": NY}
    assert airport_zones(airports, {"XYZ": "America/Chicago", "SJU": "America/Puerto_Rico"}) == {
        "EWR": NY,
        "XYZ": "America/Chicago",
        "SJU": "America/Puerto_Rico",
    }


def test_clean_flight_new_york_to_los_angeles() -> None:
    out = clean_flight_table(
        flight(origin="JFK", dest="LAX", month=7, sched_dep_time=900, sched_arr_time=1200, dep_delay=10, arr_delay=-5)
    )
    row = out.iloc[0]
    assert row["sched_dep_local"] == pd.Timestamp("2013-07-01 09:00")
    assert row["sched_dep_utc"] == _utc("2013-07-01 13:00")
    assert row["sched_arr_utc"] == _utc("2013-07-01 19:00")
    assert row["dep_utc"] == _utc("2013-07-01 13:10")
    assert row["arr_utc"] == _utc("2013-07-01 18:55")
    assert row["sched_block_minutes"] == 360.0
    assert out[["origin_tz_known", "dest_tz_known", "cancelled", "diverted"]].iloc[0].tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert list(out.columns) == CLEAN_FLIGHTS.fixed_columns
    assert (row["origin_tzone"], row["dest_tzone"]) == (NY, "America/Los_Angeles")
    assert row["sched_arr_local"] == pd.Timestamp("2013-07-01 12:00")
    assert [str(out[c].dtype) for c in ("dep_delay", "arr_delay", "air_time")] == ["Int64"] * 3


def test_clean_flights_writes_exactly_what_its_contract_says() -> None:
    out = clean_flight_table(flight(flight=1), flight(flight=2, dep_time=None, dep_delay=None, arr_delay=None))
    conform(out, CLEAN_FLIGHTS, "clean")  # raises on any column or type the contract does not say
    assert validate_table(out, CLEAN_FLIGHTS, "clean").quality.rows_valid == 2


def test_fractional_minutes_from_a_source_are_rounded_to_whole_minutes() -> None:
    out = clean_flight_table(flight(dep_delay=2.4, arr_delay=-3.6, air_time=226.5))
    assert out[["dep_delay", "arr_delay", "air_time"]].iloc[0].tolist() == [2, -4, 226]


def test_clean_overnight_arrival_rolls_to_the_next_day() -> None:
    out = clean_flight_table(flight(origin="JFK", dest="LAX", month=7, sched_dep_time=2200, sched_arr_time=100))
    assert out.loc[0, "sched_dep_utc"] == _utc("2013-07-02 02:00")
    assert out.loc[0, "sched_arr_utc"] == _utc("2013-07-02 08:00")
    assert out.loc[0, "sched_arr_local"] == pd.Timestamp("2013-07-02 01:00")
    assert out.loc[0, "sched_block_minutes"] == 360.0


@pytest.mark.parametrize(
    ("month", "day", "utc_arrival"),
    [(11, 3, "2013-11-04 05:03"), (3, 10, "2013-03-11 04:03")],
    ids=["DST ends that night", "DST started that morning"],
)
def test_overnight_arrival_after_a_dst_change_is_placed_in_the_next_days_offset(
    month: int, day: int, utc_arrival: str
) -> None:
    """JFK 22:45 to ROC 00:03: 78 minutes. Adding 24 hours in UTC to the same-day arrival was an hour off (v1)."""
    out = clean_flight_table(
        flight(origin="JFK", dest="LGA", month=month, day=day, sched_dep_time=2245, sched_arr_time=3)
    )
    assert out.loc[0, "sched_arr_utc"] == _utc(utc_arrival)
    assert out.loc[0, "sched_block_minutes"] == 78.0


def test_clean_overnight_arrival_at_an_airport_without_a_zone_goes_by_the_clock() -> None:
    out = clean_flight_table(flight(origin="JFK", dest="BQN", sched_dep_time=2300, sched_arr_time=330))
    assert out.loc[0, "sched_arr_local"] == pd.Timestamp("2013-01-02 03:30")
    assert out["sched_arr_utc"].isna().tolist() == [True]
    assert out.loc[0, "dest_tzone"] is None


def test_clean_arrival_at_2400_is_next_midnight() -> None:
    out = clean_flight_table(flight(origin="EWR", dest="IAH", sched_dep_time=2059, sched_arr_time=2400))
    assert out.loc[0, "sched_arr_utc"] == _utc("2013-01-02 06:00")  # 00:00 CST on Jan 2
    assert out.loc[0, "sched_block_minutes"] == 241.0


def test_clean_departure_in_the_spring_forward_gap() -> None:
    out = clean_flight_table(flight(month=3, day=10, sched_dep_time=230, sched_arr_time=600, dest="LGA"))
    assert out.loc[0, "sched_dep_utc"] == _utc("2013-03-10 07:00")
    assert out.loc[0, "sched_arr_utc"] == _utc("2013-03-10 10:00")


def test_a_departure_skipped_by_dst_is_quarantined_and_a_repeated_one_kept_with_a_warning() -> None:
    out = clean_flight_table(
        flight(flight=1),
        flight(flight=2, month=3, day=10, sched_dep_time=230, hour=2, minute=30, sched_arr_time=600, dest="LGA"),
        flight(flight=3, month=11, day=3, sched_dep_time=130, hour=1, minute=30, sched_arr_time=500, dest="LGA"),
    )
    result = validate_table(out, CLEAN_FLIGHTS, "clean")
    assert result.valid["row_id"].tolist() == [0, 2]
    assert result.quarantine[["row_id", "check", "column", "value"]].to_dict("records") == [
        {
            "row_id": 1,
            "check": "sched_dep_local_exists",
            "column": "sched_dep_local, origin_tzone, sched_dep_utc",
            "value": "sched_dep_local=2013-03-10T02:30:00, origin_tzone='America/New_York', "
            "sched_dep_utc=2013-03-10T07:00:00+00:00",
        }
    ]
    assert result.quality.warnings == {"sched_dep_local_unambiguous": 1}


def test_an_arrival_skipped_by_dst_at_the_destination_is_quarantined() -> None:
    out = clean_flight_table(flight(month=3, day=10, sched_dep_time=2359, hour=23, minute=59, sched_arr_time=230))
    result = validate_table(out, CLEAN_FLIGHTS, "clean")
    assert result.quarantine["check"].tolist() == []  # IAH: 02:30 on 11 March exists
    skipped = clean_flight_table(flight(month=3, day=9, sched_dep_time=2359, hour=23, minute=59, sched_arr_time=230))
    assert validate_table(skipped, CLEAN_FLIGHTS, "clean").quarantine["check"].tolist() == ["sched_arr_local_exists"]


def test_clean_flags_cancelled_and_diverted() -> None:
    out = clean_flight_table(
        flight(flight=1),
        flight(flight=2, dep_time=None, dep_delay=None, arr_time=None, arr_delay=None, air_time=None),
        flight(flight=3, arr_time=None, arr_delay=None, air_time=None),
        flight(flight=4, dep_time=None),  # no departure time: cancelled even with a delay recorded
    )
    assert out["cancelled"].tolist() == [False, True, False, True]
    assert out["diverted"].tolist() == [False, False, True, False]
    assert out[["dep_utc", "arr_utc"]].isna().to_numpy().tolist()[1] == [True, True]
    assert out.loc[2, "dep_utc"] == _utc("2013-01-01 10:17")
    assert out["arr_utc"].isna().tolist() == [False, True, True, False]


def test_clean_destination_without_zone() -> None:
    out = clean_flight_table(flight(flight=1, dest="SJU"), flight(flight=2))
    assert out["dest_tz_known"].tolist() == [False, True]
    assert out["origin_tz_known"].tolist() == [True, True]
    for column in ("sched_arr_utc", "arr_utc", "sched_block_minutes"):
        assert out[column].isna().tolist() == [True, False], column
    assert out.loc[0, "sched_dep_utc"] == _utc("2013-01-01 10:15")


def test_a_flight_from_an_airport_without_zone_is_quarantined_by_the_clean_contract() -> None:
    """No UTC departure means no weather or congestion: before 2.0.2 such flights went on silently."""
    airports = raw_airports(*[{**a, "tzone": None} if a["faa"] == "EWR" else a for a in AIRPORTS])
    out = clean_flights(raw_flights(flight(flight=1, origin="EWR"), flight(flight=2, origin="JFK")), airports, {})
    assert out["origin_tz_known"].tolist() == [False, True]
    result = validate_table(out, CLEAN_FLIGHTS, "clean")
    assert result.valid["row_id"].tolist() == [1]
    assert result.quarantine[["row_id", "check", "column"]].to_dict("records") == [
        {"row_id": 0, "check": "origin_time_zone_known", "column": "origin_tz_known"}
    ]


def test_clean_extra_zones_fill_gaps() -> None:
    out = clean_flight_table(
        flight(dest="SJU", sched_dep_time=600, sched_arr_time=1030), extra_zones={"SJU": "America/Puerto_Rico"}
    )
    assert bool(out.loc[0, "dest_tz_known"])
    assert out.loc[0, "sched_arr_utc"] == _utc("2013-01-01 14:30")  # AST, -4h all year
    assert out.loc[0, "sched_block_minutes"] == 210.0


def test_clean_sorts_by_row_id_and_keeps_every_row() -> None:
    raw = raw_flights(flight(flight=1), flight(flight=2), flight(flight=3)).iloc[[2, 0, 1]]
    out = clean_flights(raw, raw_airports(), {})
    assert out["row_id"].tolist() == [0, 1, 2]
    assert out["flight"].tolist() == [1, 2, 3]
    assert out.index.tolist() == [0, 1, 2]


def test_clean_weather_fills_gust_and_drops_local_date_parts() -> None:
    weather = raw_weather(
        {"origin": "JFK", "time_hour": "2013-01-01T11:00:00Z", "hour": 6, "wind_speed": 8.0, "wind_gust": None},
        {"origin": "EWR", "time_hour": "2013-01-01T11:00:00Z", "hour": 6, "wind_speed": 12.0, "wind_gust": 20.0},
        {"origin": "EWR", "time_hour": "2013-01-01T10:00:00Z", "hour": 5, "wind_speed": None, "wind_gust": None},
    )
    out = clean_weather(weather, raw_airports(), {})
    assert not {"year", "month", "day", "hour"} & set(out.columns)
    assert out["row_id"].tolist() == [2, 1, 0]  # by origin, then time
    assert out["wind_gust"].tolist()[1:] == [20.0, 8.0]
    assert np.isnan(out["wind_gust"].iloc[0])  # no speed either: still missing


def test_clean_weather_keeps_the_local_hour_and_zone_of_each_reading() -> None:
    weather = raw_weather(
        {"origin": "JFK", "month": 7, "day": 4, "hour": 8, "time_hour": "2013-07-04T12:00:00Z"},
        {"origin": "XXX", "time_hour": "2013-01-01T10:00:00Z"},  # no such airport: zone unknown
    )
    out = clean_weather(weather, raw_airports(), {})
    assert out["local_hour"].tolist() == [pd.Timestamp("2013-07-04 08:00"), pd.Timestamp("2013-01-01 05:00")]
    assert out["origin_tzone"].tolist() == [NY, None]
    assert out["origin_tzone"].iloc[1] is None
    assert validate_table(out, CLEAN_WEATHER, "clean").quality.rows_quarantined == 0  # unknown zone: not judged


def test_weather_written_in_local_time_without_a_zone_is_quarantined() -> None:
    """A CSV export with `time_hour` as naive local time reads as UTC: every reading is 5 hours off."""
    weather = raw_weather(
        {"hour": 5, "time_hour": "2013-01-01T10:00:00Z"},  # right: 05:00 EST is 10:00 UTC
        {"hour": 6, "time_hour": "2013-01-01 06:00:00"},  # local time, no zone: read as 06:00 UTC
    )
    result = validate_table(clean_weather(weather, raw_airports(), {}), CLEAN_WEATHER, "clean")
    assert result.valid["row_id"].tolist() == [0]
    (record,) = result.quarantine.to_dict("records")
    assert record["check"] == "time_hour_is_local_hour"
    assert record["value"] == (
        "local_hour=2013-01-01T06:00:00, origin_tzone='America/New_York', time_hour=2013-01-01T06:00:00+00:00"
    )


def test_weather_of_the_hour_a_dst_end_repeats_is_valid_twice() -> None:
    weather = raw_weather(
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T05:00:00Z"},  # 01:00 EDT
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T06:00:00Z"},  # 01:00 EST, an hour later
        {"month": 11, "day": 3, "hour": 1, "time_hour": "2013-11-03T07:00:00Z"},  # 02:00 EST: wrong hour
    )
    result = validate_table(clean_weather(weather, raw_airports(), {}), CLEAN_WEATHER, "clean")
    assert result.valid["row_id"].tolist() == [0, 1]
    assert result.quarantine["row_id"].tolist() == [2]


def test_flights_small_weather_is_all_at_its_local_hour() -> None:
    weather = clean_weather(read_small("weather"), read_small("airports"), {})
    result = validate_table(weather, CLEAN_WEATHER, "clean")
    assert len(weather) == 1720
    # only the 1,048 mph reading validate quarantines already (the gust is filled with that speed)
    assert result.quality.errors == {"wind_gust_range": 1, "wind_speed_range": 1}


def test_clean_stops_on_weather_written_in_local_time_naming_the_rule(tmp_path: Path) -> None:
    """The real stages on the fixture, its weather `time_hour` rewritten as R's write.csv gives it: local, no zone."""

    def local_times(tables: Path) -> None:
        weather = pd.read_csv(tables / "weather.csv")
        local = pd.to_datetime(weather[["year", "month", "day", "hour"]])
        weather.assign(time_hour=local.dt.strftime("%Y-%m-%d %H:%M:%S")).to_csv(tables / "weather.csv")

    done = run_stages_on_small(tmp_path, ("ingest", "validate", "clean"), local_times)
    assert done.returncode == 2
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert "clean_weather: 1,719 of 1,719 rows quarantined (100.000%)" in line
    assert "(time_hour_is_local_hour 1,719)" in line
    assert not (tmp_path / "data" / "clean").exists()  # nothing reaches features


def test_a_strategy_that_leaves_no_row_is_an_error_naming_the_empty_measurement() -> None:
    weather = raw_weather({"precip": None}, {"precip": None, "temp": None})
    with pytest.raises(DataError) as err:
        require_rows_kept("weather", weather, weather.iloc[:0], ["temp", "precip"], "drop")
    assert str(err.value) == (
        "clean.missing = 'drop' left none of the 2 weather rows: each has a missing measurement "
        "(precip has no value at all); choose flag or impute"
    )
    require_rows_kept("weather", weather, weather.iloc[:1], ["temp", "precip"], "drop")  # some kept: fine
    require_rows_kept("weather", weather.iloc[:0], weather.iloc[:0], ["temp", "precip"], "drop")  # none to keep


def test_flights_whose_clock_times_are_not_local_are_quarantined() -> None:
    """A source that writes sched_dep_time in UTC: placed as New York time, every flight would be 5 hours late."""
    out = clean_flight_table(
        flight(flight=1),  # 05:15 EST, time_hour 10:00 UTC: agree
        flight(flight=2, sched_dep_time=1015, time_hour="2013-01-01T10:00:00Z"),  # 10:15 in UTC, not local
        flight(flight=3, month=11, day=3, sched_dep_time=130, sched_arr_time=500, dest="LGA"),  # DST end: first
    )
    assert out["time_hour"].tolist()[:2] == [_utc("2013-01-01 10:00")] * 2
    result = validate_table(out, CLEAN_FLIGHTS, "clean")
    assert result.valid["row_id"].tolist() == [0, 2]
    (record,) = result.quarantine.to_dict("records")
    assert (record["row_id"], record["check"]) == (1, "time_hour_is_scheduled_hour")
    assert record["value"] == "sched_dep_utc=2013-01-01T15:15:00+00:00, time_hour=2013-01-01T10:00:00+00:00"


def test_flights_small_schedules_all_fall_in_their_time_hour() -> None:
    flights = clean_flights(read_small("flights"), read_small("airports"), {"SJU": "America/Puerto_Rico"})
    assert "time_hour_is_scheduled_hour" not in validate_table(flights, CLEAN_FLIGHTS, "clean").quality.errors
