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


def near_offset_change(local: pd.Series, zones: pd.Series) -> np.ndarray:
    """Rows whose local date is within a day of a change of their zone's UTC offset.

    Only there can a DST change skip or repeat a clock time, so checks of that kind need
    to look at these rows alone (on the flights: a few hundred of 336,776). A midnight that
    is itself skipped or repeated counts as a change, so the answer errs on the inclusive side.
    """
    near = np.zeros(len(local), dtype=bool)
    days = pd.DatetimeIndex(local).floor("D")
    codes, distinct = pd.factorize(zones)
    for code, zone in enumerate(distinct):
        rows = (codes == code) & days.notna()
        if not rows.any():
            continue
        span = pd.date_range(days[rows].min() - pd.Timedelta(days=1), days[rows].max() + pd.Timedelta(days=2))
        midnight_utc = span.tz_localize(str(zone), ambiguous="NaT", nonexistent="NaT").tz_convert(None)
        offsets = pd.Series(span - midnight_utc)  # UTC offset at each midnight; NaT at a skipped/repeated one
        changes = (offsets != offsets.shift(-1)) | offsets.isna() | offsets.shift(-1).isna()
        flagged = changes | changes.shift(1, fill_value=False) | changes.shift(-1, fill_value=False)
        near[rows] = days[rows].isin(span[flagged.to_numpy()])
    return near
