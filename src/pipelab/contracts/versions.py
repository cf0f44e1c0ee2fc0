"""Every contract version, old ones included: data written under them stays readable."""

from __future__ import annotations

from packaging.version import Version

from pipelab.contracts.clean import (
    CLEAN_FLIGHTS,
    CLEAN_FLIGHTS_V1,
    CLEAN_FLIGHTS_V2,
    CLEAN_FLIGHTS_V2_0_1,
    CLEAN_FLIGHTS_V2_0_2,
    CLEAN_FLIGHTS_V2_1,
    CLEAN_PLANES,
    CLEAN_WEATHER,
    CLEAN_WEATHER_V1,
    CLEAN_WEATHER_V1_1,
)
from pipelab.contracts.model import Contract
from pipelab.contracts.modelling import FEATURES, PREDICTIONS
from pipelab.contracts.quarantine import QUARANTINE
from pipelab.contracts.raw import (
    RAW_AIRPORTS_V1,
    RAW_AIRPORTS_V1_0_1,
    RAW_CONTRACTS,
    RAW_FLIGHTS_V1,
    RAW_FLIGHTS_V1_0_1,
)
from pipelab.core.errors import ContractError

# Each contract's current version (its name without a version, what the stages use: pointing the name at a new
# version registers that one), and every version under its own name, so that one stays when the name points on.
CONTRACTS: tuple[Contract, ...] = tuple(
    {
        id(contract): contract
        for contract in (
            *RAW_CONTRACTS.values(),
            RAW_AIRPORTS_V1,
            RAW_AIRPORTS_V1_0_1,
            RAW_FLIGHTS_V1,
            RAW_FLIGHTS_V1_0_1,
            CLEAN_FLIGHTS,
            CLEAN_FLIGHTS_V1,
            CLEAN_FLIGHTS_V2,
            CLEAN_FLIGHTS_V2_0_1,
            CLEAN_FLIGHTS_V2_0_2,
            CLEAN_FLIGHTS_V2_1,
            CLEAN_WEATHER,
            CLEAN_WEATHER_V1,
            CLEAN_WEATHER_V1_1,
            CLEAN_PLANES,
            FEATURES,
            PREDICTIONS,
            QUARANTINE,
        )
    }.values()
)


# Datasets whose rows the pipeline validates, in pipeline order: each has data/quarantine/<name>.parquet.
VALIDATED: tuple[str, ...] = (
    *(RAW_CONTRACTS[t].name for t in ("airlines", "airports", "planes", "weather", "flights")),
    CLEAN_FLIGHTS.name,
    CLEAN_WEATHER.name,
    FEATURES.name,
    PREDICTIONS.name,
)


def names() -> list[str]:
    return sorted({c.name for c in CONTRACTS})


def history(name: str) -> list[Contract]:
    """Every version of contract `name`, oldest first."""
    found = sorted((c for c in CONTRACTS if c.name == name), key=lambda c: Version(c.version))
    if not found:
        raise ContractError(f"unknown contract {name!r}; contracts: {', '.join(names())}")
    return found


def latest(name: str) -> Contract:
    return history(name)[-1]


def get(name: str, version: str) -> Contract:
    for contract in history(name):
        if contract.version == version:
            return contract
    known = ", ".join(c.version for c in history(name))
    raise ContractError(f"contract {name} has no version {version} (versions: {known})")


def _check_unique() -> None:
    tags = [c.tag for c in CONTRACTS]
    twice = sorted({t for t in tags if tags.count(t) > 1})
    if twice:
        raise RuntimeError(f"contract versions defined twice: {twice}")


_check_unique()
