"""Which rows a DST change can touch, and the local-time rules built on that, against their definitions."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from pipelab.contracts.rules import get_rule
from pipelab.core.localtime import localize, near_offset_change


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


# Zones whose rules are odd in one way or another: negative DST (Dublin), half-hour DST (Lord Howe), changes at
# midnight (Sao Paulo, Havana), a skipped day (Apia, 2011-12-30), DST suspended for Ramadan (Casablanca).
TRICKY_ZONES = (
    "America/New_York",
    "America/Sao_Paulo",
    "America/Havana",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Africa/Casablanca",
    "Asia/Kathmandu",
    "America/Phoenix",
    "UTC",
)


def offset_at_midnight(day: pd.Timestamp, zone: str) -> pd.Timedelta | None:
    """The zone's UTC offset at the day's midnight, one Timestamp at a time; None where it is skipped or repeated."""
    placed = day.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    return None if pd.isna(placed) else day - placed.tz_convert(None)


def random_rows(n: int, seed: int) -> tuple[pd.Series, pd.Series]:
    """Local times at whole minutes from 1995 to 2019 (stable rules in every tz database), a zone each, and as
    many again every 20 minutes around 2011-2013's offset changes of each zone (some missing in both)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("1995-01-01").value // 60_000_000_000
    minutes = rng.integers(start, pd.Timestamp("2019-12-31").value // 60_000_000_000, n)
    local = pd.Series(minutes * 60_000_000).astype("datetime64[us]")
    zones = pd.Series(rng.choice(TRICKY_ZONES, n), dtype=object)
    spread = pd.DataFrame({"local": local, "zone": zones})
    rows = pd.concat([CHANGES.sample(n, replace=True, random_state=seed), spread], ignore_index=True)
    return rows["local"].mask(rng.random(2 * n) < 0.02), rows["zone"].mask(rng.random(2 * n) < 0.02)


def changes_in(zone: str, days: pd.DatetimeIndex) -> list[pd.Timestamp]:
    offsets = [offset_at_midnight(day, zone) for day in days]
    return [day for day, a, b in zip(days, offsets, offsets[1:], strict=False) if a is None or a != b]


CHANGES = pd.DataFrame(  # every 20 minutes from two days before to two days after each change
    [
        {"local": day + pd.Timedelta(minutes=20 * k), "zone": zone}
        for zone in TRICKY_ZONES
        for day in changes_in(zone, pd.date_range("2011-01-01", "2013-12-31"))
        for k in range(-144, 144)
    ]
).astype({"local": "datetime64[us]"})


def near_by_definition(local: pd.Timestamp, zone: str | float) -> bool:
    if pd.isna(local) or not isinstance(zone, str):
        return False
    day = local.normalize()
    offsets = [offset_at_midnight(day + pd.Timedelta(days=k), zone) for k in range(-1, 3)]
    return any(a is None or b is None or a != b for a, b in itertools.pairwise(offsets))


def test_near_rows_are_those_the_definition_finds_in_zones_with_odd_rules() -> None:
    local, zones = random_rows(3000, seed=1)
    near = near_offset_change(local, zones)
    expected = [near_by_definition(t, z) for t, z in zip(local, zones, strict=True)]
    assert near.tolist() == expected
    assert 0 < near.sum() < len(near)  # both kinds of rows are tested


def test_near_rows_include_midnight_changes_and_a_skipped_day() -> None:
    local = times("2011-12-29 12:00", "2011-12-31 12:00", "2012-01-02 12:00", "2018-11-04 00:30", "2018-11-06 12:00")
    # Apia skipped 30 December 2011; Brazil's DST began at midnight
    zones = pd.Series(["Pacific/Apia"] * 3 + ["America/Sao_Paulo"] * 2)
    assert near_offset_change(local, zones).tolist() == [True, True, False, True, False]


def reads_as_local(utc: pd.Timestamp, zone: str, local: pd.Timestamp) -> bool:
    """The rule's definition, one Timestamp at a time: the instant's clock time in the zone is the local time."""
    return bool(utc.tz_convert(zone).tz_localize(None) == local)


@pytest.mark.parametrize("shift", ["0h", "1h", "-1h", "30min", "-30min", "2h", "1D", "-1D", "1D1h"])
def test_placed_local_time_exists_is_its_definition_row_by_row(shift: str) -> None:
    local, zones = random_rows(3000, seed=2)
    placed = localize(local, zones, ambiguous="first", nonexistent="shift_forward") + pd.Timedelta(shift)
    frame = pd.DataFrame({"local": local, "zone": zones, "utc": placed})
    passes = get_rule("placed_local_time_exists")(frame)
    expected = [
        pd.isna(t) or not isinstance(z, str) or pd.isna(u) or reads_as_local(u, z, t)
        for t, z, u in zip(local, zones, placed, strict=True)
    ]
    assert passes.tolist() == expected
    if shift == "0h":  # placed by clean's own choice: only clock times a DST start skips fail
        skipped = localize(local, zones, ambiguous="first", nonexistent="NaT").isna() & local.notna() & zones.notna()
        assert (~passes).tolist() == skipped.tolist()
    else:
        assert (~passes).sum() > 0
