"""Stage clean: typed, tidy tables with UTC times, status flags and a missing-value strategy.

Flights get UTC scheduled/actual departure and arrival times from local clocks and
airport time zones, plus `cancelled` and `diverted` flags. Weather and aircraft
measurements get the strategy `clean.missing` names (drop | flag | impute).
"""

from __future__ import annotations

from pipelab.cleaning import PLANE_MEASUREMENTS, WEATHER_MEASUREMENTS, clean_flights, clean_weather
from pipelab.stage import StageContext, StageSpec, run_stage
from pipelab.telemetry import measure_module

SPEC = StageSpec(
    name="clean",
    description=__doc__ or "",
    params=("clean",),
    deps=("data/validated",),
    outs=("data/clean",),
)
CONTRACT_VERSION = "1.0.0"


def run(ctx: StageContext) -> None:
    params = ctx.params.clean
    strategy = ctx.module("missing", params.missing, inputs=["data/validated/weather", "data/validated/planes"])
    apply_missing = strategy.obj
    config = params.config_for(params.missing)
    airports = ctx.read("data/validated/airports")
    flights = clean_flights(ctx.read("data/validated/flights"), airports, params.extra_timezones)
    unknown = sorted(set(flights.loc[~flights["dest_tz_known"], "dest"]))
    if unknown:
        ctx.log.warning("no time zone for destination(s) %s: arrival times left empty", ", ".join(unknown))
    hourly = clean_weather(ctx.read("data/validated/weather"))
    with measure_module(strategy.key, strategy.version, len(hourly)):
        weather = apply_missing(hourly, WEATHER_MEASUREMENTS, config, group="origin", order="time_hour")
    planes_in = ctx.read("data/validated/planes")
    with measure_module(strategy.key, strategy.version, len(planes_in)):
        planes = apply_missing(planes_in, PLANE_MEASUREMENTS, config)
    for name, result in (("weather", weather), ("planes", planes)):
        ctx.count(f"{name}_rows_dropped_missing", result.rows_dropped)
        ctx.count(f"{name}_values_filled", result.values_filled)
    ctx.count("flights_cancelled", int(flights["cancelled"].sum()))
    ctx.count("flights_diverted", int(flights["diverted"].sum()))
    ctx.write(flights, "data/clean/flights", ("clean_flights", CONTRACT_VERSION), partition_by="month")
    ctx.write(weather.frame, "data/clean/weather.parquet", ("clean_weather", CONTRACT_VERSION))
    ctx.write(planes.frame, "data/clean/planes.parquet", ("clean_planes", CONTRACT_VERSION))
    ctx.write(airports, "data/clean/airports.parquet", ("clean_airports", CONTRACT_VERSION))
    ctx.write(ctx.read("data/validated/airlines"), "data/clean/airlines.parquet", ("clean_airlines", CONTRACT_VERSION))


if __name__ == "__main__":
    raise SystemExit(run_stage(SPEC, run))
