"""Local wall-clock times to UTC, one IANA zone per row, with explicit DST choices."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Ambiguous = Literal["first", "NaT"]
Nonexistent = Literal["shift_forward", "NaT"]


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
