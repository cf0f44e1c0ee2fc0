"""Schema evolution: data written under an older contract version is read through a chain of migrations.

Each migration turns a frame of version N into version N+1 of one contract. Reading finds
the chain from the version the data carries to the current one; within a major version
with no migration registered, columns added since (all nullable, or the change would
have been major) are filled with missing values. What was applied goes into provenance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from packaging.version import Version

from pipelab.contracts.model import Contract
from pipelab.contracts.structure import conform, pandas_dtype
from pipelab.errors import ContractError

Migrate = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class Migration:
    contract: str
    source: str
    target: str
    function: Migrate
    description: str


MIGRATIONS: list[Migration] = []


def migration(contract: str, source: str, target: str) -> Callable[[Migrate], Migrate]:
    """Register a function migrating `contract` data from version `source` to `target`."""

    def add(function: Migrate) -> Migrate:
        if any(m.contract == contract and m.source == source for m in MIGRATIONS):
            raise ValueError(f"{contract}: a migration from {source} is registered twice")
        doc = " ".join((function.__doc__ or "").split())
        MIGRATIONS.append(Migration(contract, source, target, function, doc))
        return function

    return add


def chain(contract: str, source: str, target: str) -> tuple[list[Migration], str]:
    """The registered migrations from `source` towards `target`, and the version they reach.

    Within a major version no migration is needed, so the chain may stop short of `target`
    at a version of the same major (the rest is a compatible read).
    """
    steps: list[Migration] = []
    version = source
    while version != target:
        step = next((m for m in MIGRATIONS if m.contract == contract and m.source == version), None)
        if step is None or Version(step.target) > Version(target):
            break
        steps.append(step)
        version = step.target
    return steps, version


def _fill_added_columns(frame: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, list[str]]:
    added = [c for c in contract.columns if not c.pattern and c.name not in frame.columns]
    required = [c.name for c in added if not c.nullable]
    if required:
        raise ContractError(f"{contract.name} v{contract.version}: required column(s) {', '.join(required)} missing")
    out = frame.copy()
    for column in added:
        dtype = pandas_dtype(str(column.dtype))
        values = [None] * len(out) if dtype == "object" else None
        out[column.name] = pd.Series(values, index=out.index, dtype=dtype)
    return out, [c.name for c in added]


def adapt(
    frame: pd.DataFrame, contract: Contract, found: str, source: str, columns: list[str] | None = None
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """`frame`, written under version `found`, as the current `contract` says, and the steps applied.

    `columns`: the frame holds only these (a partial read); the others are not checked.
    """
    where = f"{source} ({contract.name} v{found})"
    if Version(found) > Version(contract.version):
        raise ContractError(f"{where}: written by newer code than this (reads v{contract.version}); update pipelab")
    applied: list[dict[str, str]] = []
    steps, reached = chain(contract.name, found, contract.version)
    if Version(reached).major != contract.major:
        raise ContractError(
            f"{where}: no migration to v{contract.version}; re-run the stage that writes it (`dvc repro`)"
        )
    for step in steps:
        frame = step.function(frame)
        applied.append({"contract": contract.name, "from": step.source, "to": step.target, "how": step.description})
    if reached != contract.version:
        frame, added = _fill_added_columns(frame, contract)
        how = f"columns added since, filled with missing values: {', '.join(added) or 'none'}"
        applied.append({"contract": contract.name, "from": reached, "to": contract.version, "how": how})
    return conform(frame, contract, source, columns), applied
