"""Stage clean: typed, tidy tables with UTC times, status flags and a missing-value strategy.

Flights get UTC scheduled/actual departure and arrival times from local clocks and
airport time zones, plus `cancelled` and `diverted` flags, and are validated against the
clean_flights contract (impossible times are quarantined); weather readings whose UTC hour
is not their local hour are quarantined under clean_weather. Weather and aircraft
measurements get the strategy `clean.missing` names (drop | flag | impute).
"""

from __future__ import annotations

import pipelab.core.startup  # noqa: F401  (first: a Ctrl-C while the modules below load is one line)
from pipelab.cleaning import (
    PLANE_MEASUREMENTS,
    WEATHER_MEASUREMENTS,
    clean_flights,
    clean_weather,
    require_rows_kept,
)
from pipelab.contracts.clean import CLEAN_FLIGHTS, CLEAN_PLANES, CLEAN_WEATHER
from pipelab.contracts.raw import RAW_AIRLINES, RAW_AIRPORTS, RAW_FLIGHTS, RAW_PLANES, RAW_WEATHER
from pipelab.core.stage import StageContext, StageSpec, run_stage
from pipelab.core.telemetry import measure_module

SPEC = StageSpec(
    name="clean",
    description=__doc__ or "",
    params=("clean", "quality"),
    deps=("data/validated",),
    outs=("data/clean",),
    validates=(CLEAN_FLIGHTS.name, CLEAN_WEATHER.name),
)


def run(ctx: StageContext) -> None:
    params = ctx.params.clean
    strategy = ctx.module("missing", params.missing, inputs=["data/validated/weather", "data/validated/planes"])
    config = params.config_for(params.missing)
    airports = ctx.read("data/validated/airports", contract=RAW_AIRPORTS)
    flights = clean_flights(ctx.read("data/validated/flights", contract=RAW_FLIGHTS), airports, params.extra_timezones)
    unknown = sorted(set(flights.loc[~flights["dest_tz_known"], "dest"]))
    if unknown:
        ctx.log.warning("no time zone for destination(s) %s: arrival times left empty", ", ".join(unknown))
    flights = ctx.validate(flights, CLEAN_FLIGHTS)
    raw_weather = ctx.read("data/validated/weather", contract=RAW_WEATHER)
    hourly = ctx.validate(clean_weather(raw_weather, airports, params.extra_timezones), CLEAN_WEATHER)
    with measure_module(strategy.key, strategy.version, len(hourly)):
        weather = strategy.obj(hourly, WEATHER_MEASUREMENTS, config, group="origin", order="time_hour")
    planes_in = ctx.read("data/validated/planes", contract=RAW_PLANES)
    with measure_module(strategy.key, strategy.version, len(planes_in)):
        planes = strategy.obj(planes_in, PLANE_MEASUREMENTS, config)
    for name, before, result, measured in (
        ("weather", hourly, weather, WEATHER_MEASUREMENTS),
        ("planes", planes_in, planes, PLANE_MEASUREMENTS),
    ):
        require_rows_kept(name, before, result.frame, measured, params.missing)
        ctx.count(f"{name}_rows_dropped_missing", result.rows_dropped)
        ctx.count(f"{name}_values_filled", result.values_filled)
    ctx.count("flights_cancelled", int(flights["cancelled"].sum()))
    ctx.count("flights_diverted", int(flights["diverted"].sum()))
    ctx.write(flights, "data/clean/flights", CLEAN_FLIGHTS, partition_by="month")
    ctx.write(weather.frame, "data/clean/weather.parquet", CLEAN_WEATHER)
    ctx.write(planes.frame, "data/clean/planes.parquet", CLEAN_PLANES)
    ctx.write(airports, "data/clean/airports.parquet", RAW_AIRPORTS)
    ctx.write(ctx.read("data/validated/airlines", contract=RAW_AIRLINES), "data/clean/airlines.parquet", RAW_AIRLINES)


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
