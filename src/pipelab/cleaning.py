"""Typed, tidy tables: UTC times from local schedules and airport time zones, explicit flags.

Flights keep every validated row. Cancelled (no departure time) and diverted (departed,
no arrival delay) flights are flagged, not dropped: whether they count as late is a
decision of the features stage (`target.cancelled`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipelab.localtime import localize

NYC_ZONE = "America/New_York"
WEATHER_MEASUREMENTS = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
PLANE_MEASUREMENTS = ["year"]

CLEAN_FLIGHT_COLUMNS = [
    "row_id",
    "year",
    "month",
    "day",
    "carrier",
    "flight",
    "tailnum",
    "origin",
    "dest",
    "sched_dep_time",
    "sched_arr_time",
    "dep_delay",
    "arr_delay",
    "air_time",
    "distance",
    "sched_dep_local",
    "sched_dep_utc",
    "sched_arr_utc",
    "dep_utc",
    "arr_utc",
    "sched_block_minutes",
    "origin_tz_known",
    "dest_tz_known",
    "cancelled",
    "diverted",
]


def airport_zones(airports: pd.DataFrame, extra: Mapping[str, str]) -> dict[str, str]:
    """FAA code -> IANA zone, from the airports table, completed by `clean.extra_timezones`."""
    zones = {faa: zone for faa, zone in zip(airports["faa"], airports["tzone"], strict=True) if isinstance(zone, str)}
    zones.update(extra)
    return zones


def local_clock(dates: pd.Series, hhmm: pd.Series) -> pd.Series:
    """Naive local timestamps from a date and an HHMM clock value (2400 = next midnight)."""
    values = hhmm.astype("float64")
    minutes = (values // 100) * 60 + values % 100
    return dates + pd.to_timedelta(minutes, unit="min")


def to_utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    """Localize naive times per zone; DST gaps shift forward, repeated hours take the first.

    Rows with an unknown zone get NaT. The clean contract flags both cases per row.
    """
    return localize(local, zones, ambiguous="first", nonexistent="shift_forward")


def clean_flights(flights: pd.DataFrame, airports: pd.DataFrame, extra_zones: Mapping[str, str]) -> pd.DataFrame:
    """One row per validated flight with UTC schedule and actual times and status flags."""
    zones = airport_zones(airports, extra_zones)
    out = flights.copy()
    dates = pd.to_datetime(pd.DataFrame({"year": out["year"], "month": out["month"], "day": out["day"]}))
    origin_zone = out["origin"].map(zones)
    dest_zone = out["dest"].map(zones)
    out["origin_tz_known"] = origin_zone.notna()
    out["dest_tz_known"] = dest_zone.notna()
    out["sched_dep_local"] = local_clock(dates, out["sched_dep_time"]).astype("datetime64[us]")
    out["sched_dep_utc"] = to_utc(out["sched_dep_local"], origin_zone)
    arr = to_utc(local_clock(dates, out["sched_arr_time"]).astype("datetime64[us]"), dest_zone)
    overnight = arr < out["sched_dep_utc"]
    out["sched_arr_utc"] = arr.where(~overnight, arr + pd.Timedelta(days=1))
    out["dep_utc"] = (out["sched_dep_utc"] + pd.to_timedelta(out["dep_delay"], unit="min")).astype(
        "datetime64[us, UTC]"
    )
    out["arr_utc"] = (out["sched_arr_utc"] + pd.to_timedelta(out["arr_delay"], unit="min")).astype(
        "datetime64[us, UTC]"
    )
    block = (out["sched_arr_utc"] - out["sched_dep_utc"]).dt.total_seconds() / 60
    out["sched_block_minutes"] = block.astype("float64")
    out["cancelled"] = flights["dep_time"].isna() | flights["dep_delay"].isna()
    out["diverted"] = ~out["cancelled"] & flights["arr_delay"].isna()
    out["distance"] = out["distance"].astype("float64")
    return out[CLEAN_FLIGHT_COLUMNS].sort_values("row_id", kind="stable").reset_index(drop=True)


def clean_weather(weather: pd.DataFrame) -> pd.DataFrame:
    """Hourly weather keyed by (origin, time_hour); a missing gust means no gust reported."""
    out = weather.drop(columns=["year", "month", "day", "hour"]).copy()
    out["wind_gust"] = out["wind_gust"].fillna(out["wind_speed"])
    return out.sort_values(["origin", "time_hour"], kind="stable").reset_index(drop=True)
