"""Local wall-clock times to UTC, one IANA zone per row, with explicit DST choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Ambiguous = Literal["first", "NaT"]
Nonexistent = Literal["shift_forward", "NaT"]

_DAY_US = 86_400_000_000
_NAT = np.iinfo("int64").min  # NaT's integer in datetime64 and timedelta64


def localize(local: pd.Series, zones: pd.Series, ambiguous: Ambiguous, nonexistent: Nonexistent) -> pd.Series:
    """UTC instants of naive `local` times in per-row `zones`; NaT where the zone is unknown.

    `ambiguous="first"` takes the first of a repeated hour (DST end); `"NaT"` refuses it.
    `nonexistent="shift_forward"` moves a skipped clock time (DST start) forward; `"NaT"` refuses it.
    """
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us, UTC]")
    known = local.notna() & zones.notna()
    for zone, index in local[known].groupby(zones[known], sort=True).groups.items():
        part = local.loc[index]
        choice = np.ones(len(part), dtype=bool) if ambiguous == "first" else "NaT"
        stamped = part.dt.tz_localize(str(zone), ambiguous=choice, nonexistent=nonexistent)
        out.loc[index] = stamped.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    return out


def wall_clock(utc: pd.Series, zones: pd.Series) -> pd.Series:
    """The naive local clock time each UTC instant reads in its row's zone; NaT where either is unknown."""
    codes, distinct = pd.factorize(zones)
    instants = pd.DatetimeIndex(utc)
    out = np.full(len(utc), np.datetime64("NaT"), dtype="datetime64[us]")
    for code, zone in enumerate(distinct):
        rows = codes == code
        out[rows] = instants[rows].tz_convert(str(zone)).tz_localize(None).to_numpy(dtype="datetime64[us]")
    return pd.Series(out, index=utc.index)


@dataclass(frozen=True)
class LocalDays:
    """Per row, from its local date and zone: the zone's UTC offset at that date's midnight, and whether the
    offset changes within a day of the date (`near`). Rows whose local time or zone is unknown are not `known`.

    Away from a change the offset holds from the midnight before the date to two midnights after, so
    whatever happens at a clock time of that date follows from `offset` alone; `near` rows need the zone's
    rules. A midnight that is itself skipped or repeated counts as a change (its offset is NaT).
    """

    known: np.ndarray
    offset: np.ndarray  # int64 microseconds (local minus UTC); NaT's integer at a skipped or repeated midnight
    near: np.ndarray


def local_days(local: pd.Series, zones: pd.Series) -> LocalDays:
    """Offsets and changes per zone for each day in the rows' range (a year: a few hundred per zone), then
    looked up for every row at once, so the cost per row does not grow with the number of zones."""
    codes, distinct = pd.factorize(zones)
    clock = local.to_numpy(dtype="datetime64[us]").view("int64")
    known = (codes >= 0) & (clock != _NAT)
    if not known.any():
        return LocalDays(known, np.full(len(local), _NAT, dtype="int64"), np.zeros(len(local), dtype=bool))
    days = clock // _DAY_US  # floor: days since 1970-01-01, earlier ones negative
    first = int(days.min(where=known, initial=np.iinfo("int64").max)) - 1
    last = int(days.max(where=known, initial=_NAT)) + 2
    midnights = pd.date_range(pd.Timestamp(first * _DAY_US, unit="us"), periods=last - first + 1, freq="D", unit="us")
    offsets = np.empty((len(distinct), len(midnights)), dtype="int64")
    for code, zone in enumerate(distinct):
        placed = midnights.tz_localize(str(zone), ambiguous="NaT", nonexistent="NaT").tz_convert(None)
        offsets[code] = (midnights - placed).to_numpy(dtype="timedelta64[us]").view("int64")
    unknown = offsets == _NAT
    changes = np.zeros_like(offsets, dtype=bool)  # during day k; no row is on the last one
    changes[:, :-1] = (offsets[:, :-1] != offsets[:, 1:]) | unknown[:, :-1] | unknown[:, 1:]
    flagged = changes.copy()
    flagged[:, 1:] |= changes[:, :-1]
    flagged[:, :-1] |= changes[:, 1:]
    at = np.where(known, codes * len(midnights) + (days - first), 0)
    return LocalDays(known, np.where(known, offsets.ravel().take(at), _NAT), known & flagged.ravel().take(at))


def near_offset_change(local: pd.Series, zones: pd.Series) -> np.ndarray:
    """Rows whose local date is within a day of a change of their zone's UTC offset.

    Only there can a DST change skip or repeat a clock time, so checks of that kind need
    to look at these rows alone (on the flights: a few hundred of 336,776). A midnight that
    is itself skipped or repeated counts as a change, so the answer errs on the inclusive side.
    """
    return local_days(local, zones).near
