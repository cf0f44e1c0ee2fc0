"""Typed, tidy tables: UTC times from local schedules and airport time zones, explicit flags.

Flights keep every validated row. Cancelled (no departure time) and diverted (departed,
no arrival delay) flights are flagged, not dropped: whether they count as late is a
decision of the features stage (`target.cancelled`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_WEATHER
from pipelab.core.errors import DataError
from pipelab.core.localtime import localize

NYC_ZONE = "America/New_York"
WEATHER_MEASUREMENTS = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
PLANE_MEASUREMENTS = ["year"]
WHOLE_MINUTES = ["dep_delay", "arr_delay", "air_time"]  # recorded in whole minutes (rounded, if a source has fractions)


def airport_zones(airports: pd.DataFrame, extra: Mapping[str, str]) -> dict[str, str]:
    """FAA code -> IANA zone, from the airports table, completed by `clean.extra_timezones`."""
    zones = {faa: zone for faa, zone in zip(airports["faa"], airports["tzone"], strict=True) if isinstance(zone, str)}
    zones.update(extra)
    return zones


def zone_names(zones: pd.Series) -> pd.Series:
    """Zone names as a text column: None (not NaN) where unknown, as the contracts' `str` type says."""
    return zones.astype(object).where(zones.notna(), None)


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
    """One row per validated flight, as the current clean_flights contract says.

    Local scheduled times become UTC in the airport's zone; an arrival clock earlier (in
    UTC) than the departure is the next day. Delays and air time are whole minutes.
    """
    zones = airport_zones(airports, extra_zones)
    out = flights.copy()
    dates = pd.to_datetime(pd.DataFrame({"year": out["year"], "month": out["month"], "day": out["day"]}))
    origin_zone, dest_zone = out["origin"].map(zones), out["dest"].map(zones)
    out["origin_tzone"], out["dest_tzone"] = zone_names(origin_zone), zone_names(dest_zone)
    out["origin_tz_known"] = origin_zone.notna()
    out["dest_tz_known"] = dest_zone.notna()
    out["sched_dep_local"] = local_clock(dates, out["sched_dep_time"]).astype("datetime64[us]")
    out["sched_dep_utc"] = to_utc(out["sched_dep_local"], origin_zone)
    arrival = local_clock(dates, out["sched_arr_time"]).astype("datetime64[us]")
    same_day = to_utc(arrival, dest_zone)
    overnight = (same_day < out["sched_dep_utc"]).where(same_day.notna(), out["sched_arr_time"] < out["sched_dep_time"])
    out["sched_arr_local"] = arrival.where(~overnight.astype(bool), arrival + pd.Timedelta(days=1))
    out["sched_arr_utc"] = to_utc(out["sched_arr_local"], dest_zone)
    for column in WHOLE_MINUTES:
        out[column] = flights[column].round().astype("Int64")
    out["dep_utc"] = _after(out["sched_dep_utc"], out["dep_delay"])
    out["arr_utc"] = _after(out["sched_arr_utc"], out["arr_delay"])
    block = (out["sched_arr_utc"] - out["sched_dep_utc"]).dt.total_seconds() / 60
    out["sched_block_minutes"] = block.astype("float64")
    out["cancelled"] = flights["dep_time"].isna() | flights["dep_delay"].isna()
    out["diverted"] = ~out["cancelled"] & flights["arr_delay"].isna()
    out["distance"] = out["distance"].astype("float64")
    return out[CLEAN_FLIGHTS.fixed_columns].sort_values("row_id", kind="stable").reset_index(drop=True)


def _after(start: pd.Series, minutes: pd.Series) -> pd.Series:
    return (start + pd.to_timedelta(minutes.astype("float64"), unit="min")).astype("datetime64[us, UTC]")


def clean_weather(weather: pd.DataFrame, airports: pd.DataFrame, extra_zones: Mapping[str, str]) -> pd.DataFrame:
    """Hourly weather keyed by (origin, time_hour); a missing gust means no gust reported.

    Each reading keeps the local hour it was recorded under and its origin's zone, so the
    clean_weather contract can check that time_hour is that hour in UTC.
    """
    parts = ["year", "month", "day", "hour"]
    out = weather.drop(columns=parts)
    out["local_hour"] = pd.to_datetime(weather[parts].astype("int64")).astype("datetime64[us]")
    out["origin_tzone"] = zone_names(out["origin"].map(airport_zones(airports, extra_zones)))
    out["wind_gust"] = out["wind_gust"].fillna(out["wind_speed"])
    return out[CLEAN_WEATHER.fixed_columns].sort_values(["origin", "time_hour"], kind="stable").reset_index(drop=True)


def require_rows_kept(table: str, before: pd.DataFrame, after: pd.DataFrame, measurements: list[str], how: str) -> None:
    """A missing-value strategy that leaves no row of a table is a user error, not an empty table downstream.

    Typically `drop` on a source that lacks one measurement altogether: every row has a gap.
    """
    if len(before) and not len(after):
        empty = [c for c in measurements if before[c].isna().all()]
        why = f" ({', '.join(empty)} has no value at all)" if empty else ""
        raise DataError(
            f"clean.missing = {how!r} left none of the {len(before):,} {table} rows: each has a missing "
            f"measurement{why}; choose flag or impute"
        )
