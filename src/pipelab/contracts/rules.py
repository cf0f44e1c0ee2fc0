"""The row rules contracts refer to by name: vectorised, True where a row passes.

Column rules take the column; cross-column rules take the frame of the columns the
contract names, in that order. Missing values pass (nullability is checked apart), so
each rule says one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import available_timezones

import numpy as np
import pandas as pd

from pipelab.core.localtime import Ambiguous, Nonexistent, local_days, localize, near_offset_change, wall_clock

RuleFunction = Callable[..., pd.Series]
RULES: dict[str, RuleFunction] = {}


def rule(name: str) -> Callable[[RuleFunction], RuleFunction]:
    def add(function: RuleFunction) -> RuleFunction:
        RULES[name] = function
        return function

    return add


def get_rule(name: str) -> RuleFunction:
    if name not in RULES:
        raise KeyError(f"unknown contract rule {name!r}; rules: {', '.join(sorted(RULES))}")
    return RULES[name]


def _passes(result: Any, index: pd.Index) -> pd.Series:
    return pd.Series(np.asarray(result, dtype=bool), index=index)


@rule("in_range")
def in_range(series: pd.Series, min: float | None = None, max: float | None = None) -> pd.Series:
    """Between `min` and `max` inclusive; infinities fail."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isnan(values) | np.isfinite(values)
    if min is not None:
        ok &= np.isnan(values) | (values >= min)
    if max is not None:
        ok &= np.isnan(values) | (values <= max)
    return _passes(ok, series.index)


@rule("finite")
def finite(series: pd.Series) -> pd.Series:
    """Not +inf or -inf (text passes: the rule is about numbers)."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return _passes(np.ones(len(series), dtype=bool), series.index)
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return _passes(~np.isinf(values), series.index)


@rule("one_of")
def one_of(series: pd.Series, values: list[Any]) -> pd.Series:
    """One of the listed values."""
    return _passes(series.isna() | series.isin(values), series.index)


@rule("time_zone")
def time_zone(series: pd.Series) -> pd.Series:
    """An IANA time zone name: clean places local clocks in it, and an unknown one cannot be used."""
    return _passes(series.isna() | series.isin(sorted(available_timezones())), series.index)


@rule("text_length")
def text_length(series: pd.Series, min: int = 0, max: int | None = None) -> pd.Series:
    """Text of `min` to `max` characters (measured once per distinct value: codes repeat a lot)."""
    codes, distinct = pd.factorize(series)
    lengths = np.array([len(str(value)) for value in distinct], dtype="int64")
    fits = (lengths >= min) & (lengths <= (max if max is not None else np.iinfo("int64").max))
    return _passes(np.where(codes < 0, True, fits[codes] if len(fits) else True), series.index)


@rule("clock_hhmm")
def clock_hhmm(series: pd.Series) -> pd.Series:
    """An HHMM clock value: 0 to 2400 with minutes below 60 (2400 is the end of the day)."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    ok = np.isnan(values) | ((values >= 0) & (values <= 2400) & (np.mod(values, 100) < 60))
    return _passes(ok, series.index)


@rule("hhmm_of")
def hhmm_of(frame: pd.DataFrame) -> pd.Series:
    """Columns (hour, minute, hhmm): hour * 100 + minute equals hhmm."""
    hour, minute, hhmm = (frame.iloc[:, i].to_numpy(dtype="float64", na_value=np.nan) for i in range(3))
    ok = np.isnan(hour) | np.isnan(minute) | np.isnan(hhmm) | (hour * 100 + minute == hhmm)
    return _passes(ok, frame.index)


@rule("calendar_date")
def calendar_date(frame: pd.DataFrame) -> pd.Series:
    """Columns (year, month, day): a real date (no 30 February); parts out of range are the range rules' business."""
    parts = frame.set_axis(["year", "month", "day"], axis=1).astype("float64")
    judged = parts["month"].between(1, 12) & parts["day"].between(1, 31)
    dates = pd.to_datetime(parts.where(judged), errors="coerce")
    return _passes(dates.notna() | ~judged | parts.isna().any(axis=1), frame.index)


@rule("known_together")
def known_together(frame: pd.DataFrame) -> pd.Series:
    """Columns (a, b, ...): all known or all missing (one without the other is a half-recorded event)."""
    known = frame.notna().to_numpy()
    return _passes(known.all(axis=1) | ~known.any(axis=1), frame.index)


@rule("in_hour")
def in_hour(frame: pd.DataFrame) -> pd.Series:
    """Columns (instant, hour): the instant falls in that hour (the hour written as its start)."""
    instant, hour = frame.iloc[:, 0], frame.iloc[:, 1]
    return _passes(instant.isna() | hour.isna() | (instant.dt.floor("h") == hour), frame.index)


@rule("not_before")
def not_before(frame: pd.DataFrame) -> pd.Series:
    """Columns (later, earlier): the first is not before the second where both are known."""
    later, earlier = frame.iloc[:, 0], frame.iloc[:, 1]
    return _passes(later.isna() | earlier.isna() | (later >= earlier), frame.index)


def _near_dst_changes(frame: pd.DataFrame, check: Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
    """`check` on the rows a DST change can affect (columns: local time, zone, ...); the others pass."""
    near = near_offset_change(frame.iloc[:, 0], frame.iloc[:, 1])
    ok = np.ones(len(frame), dtype=bool)
    if near.any():
        ok[near] = check(frame[near]).to_numpy(dtype=bool)
    return _passes(ok, frame.index)


def _localizes(frame: pd.DataFrame, ambiguous: Ambiguous, nonexistent: Nonexistent) -> pd.Series:
    """Columns (naive local time, zone): localizing with these choices gives an instant (NaT is the refusal)."""

    def check(part: pd.DataFrame) -> pd.Series:
        local, zones = part.iloc[:, 0], part.iloc[:, 1]
        stamped = localize(local, zones, ambiguous=ambiguous, nonexistent=nonexistent)
        return stamped.notna() | local.isna() | zones.isna()

    return _near_dst_changes(frame, check)


@rule("local_time_exists")
def local_time_exists(frame: pd.DataFrame) -> pd.Series:
    """Columns (naive local time, zone): the clock time exists (was not skipped at a DST start)."""
    return _localizes(frame, ambiguous="first", nonexistent="NaT")


@rule("local_time_unambiguous")
def local_time_unambiguous(frame: pd.DataFrame) -> pd.Series:
    """Columns (naive local time, zone): the clock time happens once (is not repeated at a DST end)."""
    return _localizes(frame, ambiguous="NaT", nonexistent="shift_forward")


@rule("placed_local_time_exists")
def placed_local_time_exists(frame: pd.DataFrame) -> pd.Series:
    """Columns (naive local time, zone, the UTC instant it was placed at): that instant reads as the local time.

    Only a clock time a DST start skips has no such instant. Away from an offset change the instant reads
    as the local time when the two differ by the zone's offset that day; near one it is converted.
    """
    local, zones, utc = frame.iloc[:, 0], frame.iloc[:, 1], frame.iloc[:, 2]
    days = local_days(local, zones)
    judged = days.known & utc.notna().to_numpy()
    clock, instant = (times.to_numpy(dtype="datetime64[us]").view("int64") for times in (local, utc))
    ok = ~judged | (clock - instant == days.offset)
    exact = judged & days.near
    if exact.any():
        ok[exact] = (wall_clock(utc[exact], zones[exact]) == local[exact]).to_numpy()
    return _passes(ok, frame.index)


@rule("placed_local_time_unambiguous")
def placed_local_time_unambiguous(frame: pd.DataFrame) -> pd.Series:
    """Columns (naive local time, zone, UTC instant): no instant an hour earlier or later reads the same clock time."""

    def unambiguous(part: pd.DataFrame) -> pd.Series:
        local, zones, utc = part.iloc[:, 0], part.iloc[:, 1], part.iloc[:, 2]
        hour = pd.Timedelta(hours=1)
        repeated = (wall_clock(utc - hour, zones) == local) | (wall_clock(utc + hour, zones) == local)
        return local.isna() | zones.isna() | utc.isna() | ~repeated

    return _near_dst_changes(frame, unambiguous)
