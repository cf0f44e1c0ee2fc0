"""Feature groups and the modelling table: population, target, manifest, group switches."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelab.cleaning import clean_flights, clean_weather
from pipelab.core import registry
from pipelab.core.errors import ContractError, DataError
from pipelab.core.params import FeaturesParams, ModuleConfig, TargetParams
from pipelab.features import ID_COLUMNS, build_features, population
from pipelab.manifest import TARGET, Manifest
from pipelab.transforms.features.aircraft import aircraft_features
from pipelab.transforms.features.base import FeatureBlock, FeatureInputs
from pipelab.transforms.features.calendar import calendar_features, days_to_holiday
from pipelab.transforms.features.congestion import CongestionConfig, congestion_features
from pipelab.transforms.features.route import route_features
from pipelab.transforms.features.schedule import schedule_features
from pipelab.transforms.features.weather import weather_features
from tests.unit.builders import (
    clean_flight_table,
    clean_weather_table,
    flight,
    raw_airports,
    raw_planes,
    read_small,
    run_stages_on_small,
)

ALL_GROUPS = ["calendar", "schedule", "weather", "aircraft", "route", "congestion"]
CANCELLED: dict[str, Any] = {"dep_time": None, "dep_delay": None, "arr_time": None, "arr_delay": None}
DIVERTED: dict[str, Any] = {"arr_time": None, "arr_delay": None, "air_time": None}

EXPECTED_COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    "calendar": (
        [
            "calendar__month",
            "calendar__day_of_week",
            "calendar__day_of_year",
            "calendar__weekend",
            "calendar__days_to_holiday",
        ],
        [],
    ),
    "schedule": (
        [
            "schedule__dep_hour",
            "schedule__dep_minute_of_day",
            "schedule__arr_hour",
            "schedule__block_minutes",
            "schedule__carrier",
            "schedule__origin",
        ],
        ["schedule__carrier", "schedule__origin"],
    ),
    "weather": (
        [
            "weather__temp",
            "weather__dewp",
            "weather__humid",
            "weather__wind_dir",
            "weather__wind_speed",
            "weather__wind_gust",
            "weather__precip",
            "weather__pressure",
            "weather__visib",
            "weather__known",
        ],
        [],
    ),
    "aircraft": (
        ["aircraft__age", "aircraft__seats", "aircraft__engines", "aircraft__engine", "aircraft__known"],
        ["aircraft__engine"],
    ),
    "route": (
        [
            "route__dest",
            "route__distance",
            "route__dest_lat",
            "route__dest_lon",
            "route__dest_alt",
            "route__dest_known",
        ],
        ["route__dest"],
    ),
    "congestion": (
        [
            "congestion__origin_departures_hour",
            "congestion__origin_departures_day",
            "congestion__dest_arrivals_hour",
        ],
        [],
    ),
}


def _inputs(
    flights: pd.DataFrame, weather: pd.DataFrame | None = None, chosen: pd.DataFrame | None = None
) -> FeatureInputs:
    return FeatureInputs(
        flights=flights if chosen is None else chosen,
        weather=clean_weather_table() if weather is None else weather,
        planes=raw_planes(),
        airports=raw_airports(),
        all_flights=flights,
    )


def _build(
    flights: pd.DataFrame,
    groups: list[str] | None = None,
    configs: dict[str, ModuleConfig] | None = None,
    **target: Any,
) -> tuple[pd.DataFrame, Manifest, dict[str, int]]:
    return build_features(
        flights,
        weather=clean_weather_table(),
        planes=raw_planes(),
        airports=raw_airports(),
        features=FeaturesParams(groups=groups or ALL_GROUPS, configs=configs or {}),
        target=TargetParams(**target),
    )


def _config(group: str) -> ModuleConfig:
    """The group's own config with its defaults, as params.yaml would give it."""
    return FeaturesParams(groups=[group]).config_for(group)


def test_every_group_is_registered() -> None:
    assert set(ALL_GROUPS) <= set(registry.names("feature_group"))


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_group_columns_are_prefixed_and_categoricals_declared(group: str) -> None:
    flights = clean_flight_table(flight(flight=1), flight(flight=2, dest="LAX"))
    block = registry.get("feature_group", group).obj(_inputs(flights), _config(group))
    columns, categorical = EXPECTED_COLUMNS[group]
    assert list(block.frame.columns) == columns
    assert block.categorical == categorical
    assert block.numeric == [c for c in columns if c not in categorical]
    assert block.frame.index.equals(flights.index)
    for column in block.numeric:
        assert block.frame[column].dtype == "float64", column


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2013-07-04", 0.0),
        ("2013-07-06", 2.0),
        ("2013-07-01", 3.0),
        ("2013-01-01", 0.0),
        ("2013-12-31", 1.0),  # New Year's Day 2014 is next
        ("2013-11-29", 1.0),  # day after Thanksgiving (Nov 28)
    ],
)
def test_days_to_holiday(day: str, expected: float) -> None:
    out = days_to_holiday(pd.Series([pd.Timestamp(f"{day} 17:45")], index=[5]))
    assert out.tolist() == [expected]
    assert out.index.tolist() == [5]


def test_calendar_features_of_local_departure_date() -> None:
    # 23:59 local on Saturday 2013-07-06 is already Sunday in UTC: the local date counts
    flights = clean_flight_table(flight(month=7, day=6, sched_dep_time=2359, sched_arr_time=259, dest="IAH"))
    frame = calendar_features(_inputs(flights), _config("calendar")).frame
    assert frame.iloc[0].to_dict() == {
        "calendar__month": 7.0,
        "calendar__day_of_week": 5.0,
        "calendar__day_of_year": 187.0,
        "calendar__weekend": 1.0,
        "calendar__days_to_holiday": 2.0,
    }


def test_schedule_features() -> None:
    flights = clean_flight_table(flight(carrier="AA", origin="JFK", sched_dep_time=2359, sched_arr_time=2400))
    frame = schedule_features(_inputs(flights), _config("schedule")).frame
    row = frame.iloc[0]
    assert row["schedule__dep_hour"] == 23.0
    assert row["schedule__dep_minute_of_day"] == 1439.0
    assert row["schedule__arr_hour"] == 0.0  # 2400 is midnight
    assert row["schedule__block_minutes"] == 61.0  # 23:59 EST to 00:00 CST next day
    assert (row["schedule__carrier"], row["schedule__origin"]) == ("AA", "JFK")


def test_weather_joins_origin_and_scheduled_utc_hour() -> None:
    weather = clean_weather_table(
        {"origin": "EWR", "time_hour": "2013-01-01T10:00:00Z", "temp": 30.0},
        {"origin": "EWR", "time_hour": "2013-01-01T11:00:00Z", "hour": 6, "temp": 31.0},
        {"origin": "JFK", "time_hour": "2013-01-01T10:00:00Z", "temp": 40.0},
    )
    flights = clean_flight_table(
        flight(flight=1, origin="EWR", sched_dep_time=515),  # 10:15 UTC
        flight(flight=2, origin="EWR", sched_dep_time=600),  # 11:00 UTC
        flight(flight=3, origin="JFK", sched_dep_time=559),  # 10:59 UTC
        flight(flight=4, origin="LGA", sched_dep_time=515),  # no LGA readings
        flight(flight=5, origin="EWR", sched_dep_time=700),  # 12:00 UTC: no reading that hour
    )
    frame = weather_features(_inputs(flights, weather), _config("weather")).frame
    assert frame["weather__temp"].tolist()[:3] == [30.0, 31.0, 40.0]
    assert frame["weather__temp"].isna().tolist() == [False, False, False, True, True]
    assert frame["weather__known"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert frame["weather__wind_gust"].tolist()[:3] == [10.0, 10.0, 10.0]  # gust filled with speed


def test_weather_hour_with_every_reading_missing_is_not_known() -> None:
    measured = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib"]
    weather = clean_weather_table(dict.fromkeys(measured))
    flights = clean_flight_table(flight())
    frame = weather_features(_inputs(flights, weather), _config("weather")).frame
    assert frame["weather__known"].tolist() == [0.0]


def test_weather_brings_missing_indicators_along() -> None:
    weather = clean_weather_table().assign(temp_missing=True)
    flights = clean_flight_table(flight())
    frame = weather_features(_inputs(flights, weather), _config("weather")).frame
    assert frame["weather__temp_missing"].tolist() == [1.0]


def test_aircraft_unknown_tail_number() -> None:
    flights = clean_flight_table(flight(flight=1), flight(flight=2, tailnum="N99999"), flight(flight=3, tailnum=None))
    block = aircraft_features(_inputs(flights), _config("aircraft"))
    frame = block.frame
    assert frame["aircraft__known"].tolist() == [1.0, 0.0, 0.0]
    assert frame.loc[0, "aircraft__age"] == 14.0  # 2013 - 1999
    assert frame.loc[0, "aircraft__seats"] == 149.0
    assert frame.loc[0, "aircraft__engine"] == "Turbo-fan"
    for column in ("aircraft__age", "aircraft__seats", "aircraft__engines"):
        assert frame[column].isna().tolist() == [False, True, True], column
    assert frame["aircraft__engine"].isna().tolist() == [False, True, True]


def test_aircraft_built_after_the_flight_is_a_later_plane_under_a_reused_tail_number() -> None:
    flights = clean_flight_table(flight(flight=1), flight(flight=2, tailnum="N2014"), flight(flight=3, tailnum="N2013"))
    planes = raw_planes({}, {"tailnum": "N2014", "year": 2014.0}, {"tailnum": "N2013", "year": 2013.0})
    block = aircraft_features(dataclasses.replace(_inputs(flights), planes=planes), _config("aircraft"))
    assert block.frame["aircraft__known"].tolist() == [1.0, 0.0, 1.0]
    assert block.frame["aircraft__age"].tolist()[::2] == [14.0, 0.0]  # built in the flight's year: age 0, fine
    assert block.frame.iloc[1].drop("aircraft__known").isna().all()  # no negative age, no seats of another plane
    assert block.counts == {"built_after_flight": 1}


def test_route_unknown_destination() -> None:
    flights = clean_flight_table(flight(flight=1, dest="LAX", distance=2475.0), flight(flight=2, dest="SJU"))
    frame = route_features(_inputs(flights), _config("route")).frame
    assert frame["route__dest"].tolist() == ["LAX", "SJU"]
    assert frame["route__distance"].tolist() == [2475.0, 1400.0]
    assert frame["route__dest_known"].tolist() == [1.0, 0.0]
    assert frame.loc[0, "route__dest_lat"] == 40.0
    for column in ("route__dest_lat", "route__dest_lon", "route__dest_alt"):
        assert frame[column].isna().tolist() == [False, True], column


def test_congestion_counts_include_cancelled_flights() -> None:
    flights = clean_flight_table(
        flight(flight=1, sched_dep_time=515, sched_arr_time=819),
        flight(flight=2, sched_dep_time=545, sched_arr_time=830, **CANCELLED),
        flight(flight=3, sched_dep_time=600, sched_arr_time=845),
        flight(flight=4, origin="JFK", sched_dep_time=520, sched_arr_time=900, dest="LAX"),
        flight(flight=5, sched_dep_time=530, sched_arr_time=830, dest="SJU"),  # arrival time unknown
        flight(flight=6, day=2, sched_dep_time=515, sched_arr_time=819),
    )
    population_rows = flights[~flights["cancelled"]].reset_index(drop=True)
    frame = congestion_features(_inputs(flights, chosen=population_rows), _config("congestion")).frame
    assert len(frame) == 5
    # EWR 10:00 UTC on Jan 1: flights 1, 2 (cancelled) and 5
    assert frame["congestion__origin_departures_hour"].tolist() == [3.0, 1.0, 1.0, 3.0, 1.0]
    # EWR on Jan 1 (local): flights 1, 2 (cancelled), 3 and 5
    assert frame["congestion__origin_departures_day"].tolist() == [4.0, 4.0, 1.0, 4.0, 1.0]
    # IAH arrivals 14:00 UTC on Jan 1: flights 1 (14:19), 2 (14:30, cancelled), 3 (14:45)
    dest_hour = frame["congestion__dest_arrivals_hour"]
    assert dest_hour.fillna(-1).tolist() == [3.0, 3.0, 1.0, -1.0, 1.0]


def test_congestion_counts_follow_row_id_when_flights_are_reordered() -> None:
    """Read back from month partitions, flights come in another order with a fresh index:
    each count must still land on its own flight (it used to land on the row whose
    position equalled the flight's row_id)."""
    flights = clean_flight_table(
        flight(flight=1, sched_dep_time=515, sched_arr_time=819),
        flight(flight=2, sched_dep_time=545, sched_arr_time=830),
        flight(flight=3, origin="JFK", sched_dep_time=520, sched_arr_time=900, dest="LAX"),
        flight(flight=4, day=2, sched_dep_time=515, sched_arr_time=819),
        flight(flight=5, day=2, sched_dep_time=520, sched_arr_time=819),
        flight(flight=6, day=2, sched_dep_time=530, sched_arr_time=819),
    )
    shuffled = flights.iloc[[4, 2, 0, 5, 3, 1]].reset_index(drop=True)
    assert (shuffled["row_id"].to_numpy() != shuffled.index.to_numpy()).any()
    chosen = shuffled[shuffled["flight"] != 3].iloc[::-1].reset_index(drop=True)
    frame = congestion_features(_inputs(shuffled, chosen=chosen), _config("congestion")).frame
    by_flight = dict(zip(chosen["flight"], frame["congestion__origin_departures_hour"], strict=True))
    assert by_flight == {1: 2.0, 2: 2.0, 4: 3.0, 5: 3.0, 6: 3.0}
    in_order = congestion_features(_inputs(flights, chosen=flights), _config("congestion")).frame
    expected = dict(zip(flights["flight"], in_order["congestion__origin_departures_day"], strict=True))
    assert dict(zip(chosen["flight"], frame["congestion__origin_departures_day"], strict=True)) == {
        f: expected[f] for f in (1, 2, 4, 5, 6)
    }


@pytest.mark.parametrize("flag", ["origin_hour", "origin_day", "dest_hour"])
def test_congestion_flag_off_removes_exactly_its_column(flag: str) -> None:
    column = {
        "origin_hour": "congestion__origin_departures_hour",
        "origin_day": "congestion__origin_departures_day",
        "dest_hour": "congestion__dest_arrivals_hour",
    }[flag]
    flights = clean_flight_table(flight(flight=1), flight(flight=2, sched_dep_time=530))
    full, full_manifest, _ = _build(flights)
    fewer, manifest, _ = _build(flights, configs={"congestion": CongestionConfig(**{flag: False})})
    pd.testing.assert_frame_equal(fewer, full.drop(columns=[column]))
    assert manifest.numeric == [c for c in full_manifest.numeric if c != column]


def test_population_and_late_threshold() -> None:
    flights = clean_flight_table(
        flight(flight=1, arr_delay=15.0),
        flight(flight=2, arr_delay=16.0),
        flight(flight=3, arr_delay=-20.0),
        flight(flight=4, **CANCELLED),
        flight(flight=5, **DIVERTED),
        flight(flight=6, arr_delay=120.0),
    )
    chosen, late, counts = population(flights, TargetParams())
    assert chosen["flight"].tolist() == [1, 2, 3, 6]
    assert late.tolist() == [False, True, False, True]
    assert counts == {"cancelled": 1, "diverted": 1, "excluded": 2}

    chosen, late, counts = population(flights, TargetParams(cancelled="late"))
    assert chosen["flight"].tolist() == [1, 2, 3, 4, 5, 6]
    assert late.tolist() == [False, True, False, True, True, True]
    assert counts == {"cancelled": 1, "diverted": 1, "excluded": 0}

    _, late, _ = population(flights, TargetParams(late_minutes=0))
    assert late.tolist() == [True, True, False, True]


def test_build_features_table_target_and_manifest() -> None:
    flights = clean_flight_table(
        flight(flight=1, arr_delay=15.0),
        flight(flight=2, arr_delay=16.0),
        flight(flight=3, **CANCELLED),
    )
    table, manifest, counts = _build(flights)
    assert len(table) == 2
    assert table["row_id"].tolist() == [0, 1]
    assert table[TARGET].tolist() == [0, 1]
    assert table[TARGET].dtype == "int8"
    assert counts == {"cancelled": 1, "diverted": 0, "excluded": 1, "aircraft_built_after_flight": 0}
    assert manifest.groups == ALL_GROUPS
    assert manifest.id_columns == ID_COLUMNS
    assert manifest.categorical == ["schedule__carrier", "schedule__origin", "aircraft__engine", "route__dest"]
    expected_numeric = [c for g in ALL_GROUPS for c in EXPECTED_COLUMNS[g][0] if c not in EXPECTED_COLUMNS[g][1]]
    assert manifest.numeric == expected_numeric
    assert list(table.columns) == [*ID_COLUMNS, *(c for g in ALL_GROUPS for c in EXPECTED_COLUMNS[g][0]), TARGET]
    assert table.loc[0, "sched_date"] == pd.Timestamp("2013-01-01")
    assert table.loc[0, "sched_dep_hour"] == 5
    assert Manifest.from_dict(manifest.to_dict()) == manifest


def test_build_features_cancelled_count_as_late() -> None:
    flights = clean_flight_table(flight(flight=1, arr_delay=3.0), flight(flight=2, **CANCELLED))
    table, _, counts = _build(flights, cancelled="late")
    assert table[TARGET].tolist() == [0, 1]
    assert counts["excluded"] == 0


@pytest.mark.parametrize("off", ALL_GROUPS)
def test_turning_a_group_off_removes_exactly_its_columns(off: str) -> None:
    flights = clean_flight_table(flight(flight=1), flight(flight=2, dest="LAX", arr_delay=40.0))
    full, full_manifest, _ = _build(flights)
    fewer, manifest, _ = _build(flights, [g for g in ALL_GROUPS if g != off])
    removed = EXPECTED_COLUMNS[off][0]
    assert list(fewer.columns) == [c for c in full.columns if c not in removed]
    pd.testing.assert_frame_equal(fewer, full.drop(columns=removed))
    assert manifest.features == [c for c in full_manifest.features if c not in removed]


BAD_BLOCKS: dict[str, tuple[Callable[[pd.DataFrame], Any], str]] = {
    "short": (
        lambda f: FeatureBlock(pd.DataFrame({"bad__x": 1.0}, index=f.index[:-1])),
        "returned 1 rows for 2 flights, or another index; build its frame with index=inputs.flights.index",
    ),
    "shifted": (
        lambda f: FeatureBlock(pd.DataFrame({"bad__x": 1.0}, index=f.index + 10)),
        "returned 2 rows for 2 flights, or another index; build its frame with index=inputs.flights.index",
    ),
    "frame": (lambda f: pd.DataFrame({"bad__x": 1.0}, index=f.index), "returned a DataFrame, not a FeatureBlock"),
    "prefix": (
        lambda f: FeatureBlock(pd.DataFrame({"bad__x": 1.0, "x": 2.0, "weather__temp": 3.0}, index=f.index)),
        "returned columns without the 'bad__' prefix: x, weather__temp",
    ),
    "twice": (
        lambda f: FeatureBlock(pd.DataFrame([[1.0, 2.0]] * len(f), columns=["bad__x", "bad__x"], index=f.index)),
        "returned columns named twice: bad__x",
    ),
    "categorical": (
        lambda f: FeatureBlock(pd.DataFrame({"bad__x": 1.0}, index=f.index), categorical=["bad__y"]),
        "returned categorical columns not in its frame: bad__y",
    ),
    "text": (
        lambda f: FeatureBlock(pd.DataFrame({"bad__x": "a"}, index=f.index)),
        "returned text columns not listed in categorical: bad__x",
    ),
}


@pytest.mark.usefixtures("private_registry")
@pytest.mark.parametrize("case", sorted(BAD_BLOCKS))
def test_a_group_result_the_table_cannot_take_is_one_line_naming_the_group(case: str) -> None:
    # A short or shifted frame used to become NaNs silently; the others failed later without naming the group.
    make, message = BAD_BLOCKS[case]
    registry.register("feature_group", "bad")(lambda inputs, config: make(inputs.flights))
    flights = clean_flight_table(flight(flight=1), flight(flight=2))
    with pytest.raises(ContractError) as raised:
        _build(flights, ["calendar", "bad"])
    assert str(raised.value) == f"feature_group 'bad' {message}"


def test_no_flights_give_an_empty_table_with_every_column() -> None:
    table, manifest, _ = _build(clean_flight_table(flight()).iloc[:0])
    assert len(table) == 0
    assert list(table.columns) == [*ID_COLUMNS, *(c for g in ALL_GROUPS for c in EXPECTED_COLUMNS[g][0]), TARGET]
    assert manifest.groups == ALL_GROUPS


def test_only_cancelled_flights_say_why_none_are_left_to_model() -> None:
    flights = clean_flight_table(flight(flight=1, **CANCELLED), flight(flight=2, **CANCELLED))
    with pytest.raises(DataError) as raised:
        _build(flights)
    assert str(raised.value) == (
        "all 2 flights are cancelled or diverted, and target.cancelled = 'exclude' leaves none to model "
        "(`target.cancelled: late` counts them as late)"
    )
    table, _, _ = _build(flights, cancelled="late")
    assert table[TARGET].tolist() == [1, 1]


def test_days_to_holiday_of_no_dates() -> None:
    out = days_to_holiday(pd.Series([], dtype="datetime64[us]"))
    assert len(out) == 0


def test_flights_small_population_reconciles() -> None:
    flights = clean_flights(read_small("flights"), read_small("airports"), {"SJU": "America/Puerto_Rico"})
    weather = clean_weather(read_small("weather"), read_small("airports"), {})
    table, manifest, counts = build_features(
        flights,
        weather=weather,
        planes=read_small("planes"),
        airports=read_small("airports"),
        features=FeaturesParams(groups=ALL_GROUPS),
        target=TargetParams(),
    )
    assert len(table) + counts["excluded"] == len(flights) == 2795
    assert counts["excluded"] == counts["cancelled"] + counts["diverted"]
    assert table["row_id"].is_unique
    assert table[TARGET].isin([0, 1]).all()
    assert set(manifest.features) < set(table.columns)


def _weather_at_ewr_only(tables: Path) -> None:
    weather = pd.read_csv(tables / "weather.csv")
    weather[weather["origin"] == "EWR"].to_csv(tables / "weather.csv", index=False)


def _weather_origins_in_lower_case(tables: Path) -> None:
    weather = pd.read_csv(tables / "weather.csv")
    weather.assign(origin=weather["origin"].str.lower()).to_csv(tables / "weather.csv", index=False)


@pytest.mark.parametrize(
    ("edit", "shares"),
    [
        (_weather_at_ewr_only, "at JFK 0.0%, at LGA 0.0%, overall 37.2%"),
        (_weather_origins_in_lower_case, "at EWR 0.0%, at JFK 0.0%, at LGA 0.0%, overall 0.0%"),
    ],
)
def test_features_stops_when_weather_covers_too_few_flights(
    tmp_path: Path, edit: Callable[[Path], None], shares: str
) -> None:
    """The real stages on the fixture: every stage before features succeeds, as it did before the coverage check."""
    done = run_stages_on_small(tmp_path, ("ingest", "validate", "clean", "features"), edit)
    assert done.returncode == 2, done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert line == (
        "error: features: quality gate tripped: features: weather data found for too few flights: "
        f"{shares} < quality.coverage.min_share 50.0%; is the weather table complete, with the same key spelling? "
        "(`weather__known`) (limits: params.yaml `quality`)"
    )
    assert (tmp_path / "data" / "clean").is_dir()
    assert not (tmp_path / "data" / "features").exists()
