"""Tiny, readable tables for the unit tests: one valid base row per table, override what matters.

Raw builders go through `coerce_table`, so their dtypes are exactly what ingest produces
and what the raw contracts expect. `clean_flight_table` runs the real `clean_flights`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from pipelab.cleaning import clean_flights, clean_weather
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.manifest import Manifest
from pipelab.sources.coerce import coerce_table

REPO = Path(__file__).resolve().parents[2]
FLIGHTS_SMALL = REPO / "tests" / "fixtures" / "flights_small"

Row = Mapping[str, Any]

FLIGHT: dict[str, Any] = {
    "year": 2013,
    "month": 1,
    "day": 1,
    "dep_time": 517.0,
    "sched_dep_time": 515,
    "dep_delay": 2.0,
    "arr_time": 830.0,
    "sched_arr_time": 819,
    "arr_delay": 11.0,
    "carrier": "UA",
    "flight": 1545,
    "tailnum": "N14228",
    "origin": "EWR",
    "dest": "IAH",
    "air_time": 227.0,
    "distance": 1400.0,
    "hour": 5,
    "minute": 15,
    "time_hour": "2013-01-01T10:00:00Z",
}

WEATHER: dict[str, Any] = {
    "origin": "EWR",
    "year": 2013,
    "month": 1,
    "day": 1,
    "hour": 5,
    "temp": 39.0,
    "dewp": 26.0,
    "humid": 59.0,
    "wind_dir": 270.0,
    "wind_speed": 10.0,
    "wind_gust": None,
    "precip": 0.0,
    "pressure": 1012.0,
    "visib": 10.0,
    "time_hour": "2013-01-01T10:00:00Z",
}

PLANE: dict[str, Any] = {
    "tailnum": "N14228",
    "year": 1999.0,
    "type": "Fixed wing multi engine",
    "manufacturer": "BOEING",
    "model": "737-824",
    "engines": 2,
    "seats": 149,
    "speed": None,
    "engine": "Turbo-fan",
}

AIRPORTS: list[dict[str, Any]] = [
    {"faa": "EWR", "name": "Newark Liberty Intl", "tz": -5.0, "tzone": "America/New_York"},
    {"faa": "JFK", "name": "John F Kennedy Intl", "tz": -5.0, "tzone": "America/New_York"},
    {"faa": "LGA", "name": "La Guardia", "tz": -5.0, "tzone": "America/New_York"},
    {"faa": "IAH", "name": "George Bush Intercontinental", "tz": -6.0, "tzone": "America/Chicago"},
    {"faa": "LAX", "name": "Los Angeles Intl", "tz": -8.0, "tzone": "America/Los_Angeles"},
]
AIRPORT_DEFAULTS: dict[str, Any] = {"lat": 40.0, "lon": -74.0, "alt": 10.0, "dst": "A"}

AIRLINES: list[dict[str, Any]] = [
    {"carrier": "AA", "name": "American Airlines Inc."},
    {"carrier": "UA", "name": "United Air Lines Inc."},
]


def _rows(base: Mapping[str, Any], overrides: tuple[Row, ...]) -> pd.DataFrame:
    return pd.DataFrame([{**base, **o} for o in (overrides or ({},))])


def _typed(frame: pd.DataFrame, table: str, origin: str = "test") -> pd.DataFrame:
    return coerce_table(frame, RAW_CONTRACTS[table], f"{origin}:{table}")


def flight(**changes: Any) -> dict[str, Any]:
    """One flight row; `sched_dep_time` changes keep `hour`/`minute` consistent unless given, and
    `time_hour` is the scheduled hour at the origin in UTC unless given (the first, at a DST end)."""
    row = {**FLIGHT, **changes}
    if "sched_dep_time" in changes:
        row["hour"] = changes.get("hour", changes["sched_dep_time"] // 100)
        row["minute"] = changes.get("minute", changes["sched_dep_time"] % 100)
    zone = next((a["tzone"] for a in AIRPORTS if a["faa"] == row["origin"]), None)
    if "time_hour" not in changes and zone is not None:
        try:
            local = datetime(row["year"], row["month"], row["day"], row["hour"], tzinfo=ZoneInfo(zone))
        except (TypeError, ValueError):  # a row built to break a date rule: its time_hour does not matter
            return row
        row["time_hour"] = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return row


def raw_flights(*rows: Row) -> pd.DataFrame:
    """Flights as ingest produces them (one base row if none given)."""
    return _typed(_rows(FLIGHT, rows), "flights")


def raw_weather(*rows: Row) -> pd.DataFrame:
    return _typed(_rows(WEATHER, rows), "weather")


def raw_planes(*rows: Row) -> pd.DataFrame:
    return _typed(_rows(PLANE, rows), "planes")


def raw_airports(*rows: Row) -> pd.DataFrame:
    """The airports above (or the given rows), with placeholder coordinates."""
    chosen = rows or tuple(AIRPORTS)
    return _typed(pd.DataFrame([{**AIRPORT_DEFAULTS, **r} for r in chosen]), "airports")


def raw_airlines(*rows: Row) -> pd.DataFrame:
    return _typed(pd.DataFrame(list(rows or AIRLINES)), "airlines")


def clean_flight_table(*rows: Row, extra_zones: Mapping[str, str] | None = None) -> pd.DataFrame:
    """`clean_flights` of the given raw rows, against the airports above."""
    return clean_flights(raw_flights(*rows), raw_airports(), extra_zones or {})


def clean_weather_table(*rows: Row) -> pd.DataFrame:
    """`clean_weather` of the given raw rows, against the airports above."""
    return clean_weather(raw_weather(*rows), raw_airports(), {})


def read_small(table: str) -> pd.DataFrame:
    """A table of the real 2,795-flight fixture, coerced as ingest does."""
    return _typed(pd.read_csv(FLIGHTS_SMALL / f"{table}.csv", low_memory=False), table, "flights_small")


def model_table(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, Manifest]:
    """A small modelling table whose `late` depends on one number and one category."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    carrier = rng.choice(["AA", "UA", "DL"], size=n)
    logit = 1.5 * x + np.where(carrier == "AA", 1.0, -0.5)
    late = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype("int8")
    table = pd.DataFrame(
        {
            "row_id": np.arange(n, dtype="int64"),
            "carrier": carrier,
            "origin": rng.choice(["EWR", "JFK"], size=n),
            "sched_dep_hour": rng.integers(5, 23, size=n),
            "x": x,
            "noise": rng.normal(size=n),
            "late": late,
        }
    )
    manifest = Manifest(
        groups=["test"],
        numeric=["x", "noise"],
        categorical=["carrier"],
        id_columns=["row_id", "carrier", "origin", "sched_dep_hour"],
    )
    return table, manifest


def run_stages_on_small(
    tmp_path: Path, stages: tuple[str, ...], edit: Callable[[Path], None]
) -> subprocess.CompletedProcess[str]:
    """The real stage scripts, one after another, on a copy of flights_small that `edit` changes first.

    Runs in `tmp_path` (its own params.yaml: the repository's, with the `files` source, and
    the committed drift reference); stops at the first stage that fails and returns its process.
    """
    shutil.copytree(REPO / "data" / "reference", tmp_path / "data" / "reference")
    tables = tmp_path / "tables"
    shutil.copytree(FLIGHTS_SMALL, tables)
    edit(tables)
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    params["data"] = {"source": "files", "path": "tables"}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PIPELAB_DEBUG"}
    for stage in stages:
        script = REPO / "stages" / f"{stage}.py"
        done = subprocess.run(
            [sys.executable, script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            break
    return done
