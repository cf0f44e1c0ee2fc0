"""Which rows a DST change can touch: the pre-filter of the contracts' local-time rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelab.contracts.rules import get_rule
from pipelab.localtime import near_offset_change


def times(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype=object))


def test_only_days_within_one_of_a_dst_change_are_near() -> None:
    local = times(
        "2013-03-09 12:00",  # the day before the spring change (2013-03-10 in New York)
        "2013-03-10 02:30",  # a clock time the change skips
        "2013-03-11 23:59",
        "2013-03-12 00:00",  # two days after: nothing can happen any more
        "2013-07-04 12:00",
        "2013-11-03 01:30",  # repeated at the autumn change
        None,
    )
    zones = pd.Series(["America/New_York"] * 7)
    assert near_offset_change(local, zones).tolist() == [True, True, True, False, False, True, False]


def test_zones_without_dst_and_unknown_zones_have_no_near_rows() -> None:
    local = times("2013-03-10 02:30", "2013-11-03 01:30", "2013-03-10 02:30")
    zones = pd.Series(["Pacific/Honolulu", "America/Phoenix", None])
    assert not near_offset_change(local, zones).any()


def test_each_zone_is_judged_by_its_own_changes() -> None:
    # Europe changed on 2013-03-31 and 2013-10-27, the US on 2013-03-10 and 2013-11-03
    local = times("2013-03-31 02:30", "2013-03-31 02:30", "2013-03-10 02:30", "2013-03-10 02:30")
    zones = pd.Series(["Europe/London", "America/Chicago", "Europe/London", "America/Chicago"])
    assert near_offset_change(local, zones).tolist() == [True, False, False, True]


def test_the_filtered_rules_find_what_checking_every_row_finds() -> None:
    days = pd.date_range("2013-01-01", "2013-12-31 23:30", freq="30min")
    frame = pd.DataFrame({"local": days.repeat(2), "zone": ["America/New_York", "America/Denver"] * len(days)})
    exists, unambiguous = get_rule("local_time_exists")(frame), get_rule("local_time_unambiguous")(frame)
    skipped = frame["local"].between("2013-03-10 02:00", "2013-03-10 02:59")
    repeated = frame["local"].between("2013-11-03 01:00", "2013-11-03 01:59")
    np.testing.assert_array_equal(~exists, skipped)  # both zones change at 2 AM local
    np.testing.assert_array_equal(~unambiguous, repeated)
    assert (~exists).sum() == 4  # 02:00 and 02:30 in two zones
    assert (~unambiguous).sum() == 4  # 01:00 and 01:30 in two zones
