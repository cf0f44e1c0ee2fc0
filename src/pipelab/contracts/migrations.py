"""Schema evolution: data written under an older contract version is read through a chain of migrations.

Each migration turns a frame of version N into version N+1 of one contract. Reading finds
the chain from the version the data carries to the current one; within a major version
with no migration registered, columns added since (all nullable, or the change would
have been major) are filled with missing values: so data of an earlier minor or patch
version is read up to the version a migration starts from, then migrated. What was
applied goes into provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
from packaging.version import Version

from pipelab.contracts.model import Contract
from pipelab.contracts.structure import conform, pandas_dtype
from pipelab.core.errors import ContractError

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
        if Version(target) <= Version(source):
            raise ValueError(f"{contract}: a migration from {source} must lead to a later version, not {target}")
        doc = " ".join((function.__doc__ or "").split())
        MIGRATIONS.append(Migration(contract, source, target, function, doc))
        return function

    return add


def route(steps: Iterable[tuple[str, str]], source: str, target: str) -> list[tuple[str, str]]:
    """The migrations, as (from, to), that take data of version `source` towards `target`, in order.

    Next is the migration from the version reached, or else (outside `target`'s major) the
    one from the earliest later version of the same major: a minor or patch version is
    read compatibly up to it. Within `target`'s major no migration is needed, so the route
    may stop short of `target` (the rest is a compatible read); it never passes `target`.
    """
    found: list[tuple[str, str]] = []
    version = Version(source)
    candidates = [(a, b) for a, b in steps if Version(b) > Version(a)]
    while version != Version(target):
        later = [
            (a, b)
            for a, b in candidates
            if Version(a) == version
            or (version.major != Version(target).major and Version(a).major == version.major and Version(a) > version)
        ]
        step = min(later, key=lambda s: Version(s[0]), default=None)
        if step is None or Version(step[1]) > Version(target):
            break
        found.append(step)
        version = Version(step[1])
    return found


def chain(contract: str, source: str, target: str) -> tuple[list[Migration], str]:
    """The registered migrations from `source` towards `target` (see `route`), and the version they reach."""
    registered = {m.source: m for m in MIGRATIONS if m.contract == contract}
    steps = [registered[a] for a, _ in route([(m.source, m.target) for m in registered.values()], source, target)]
    return steps, steps[-1].target if steps else source


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


def _read_up_to(frame: pd.DataFrame, contract: Contract, found: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Data of version `found` as the later `contract` of the same major: the columns added since, missing."""
    frame, added = _fill_added_columns(frame, contract)
    how = f"columns added since, filled with missing values: {', '.join(added) or 'none'}"
    return frame, {"contract": contract.name, "from": found, "to": contract.version, "how": how}


def _migrate(frame: pd.DataFrame, step: Migration, where: str) -> pd.DataFrame:
    """`step` applied to `frame`; a migration that fails, or returns no frame, is one line naming it."""
    name = f"migration {step.source} -> {step.target} ({step.function.__name__})"
    try:
        out = step.function(frame)
    except Exception as err:  # a migration is code run on data: whatever it raises, say which one and on what
        raise ContractError(f"{where}: {name} failed: {type(err).__name__}: {err}") from err
    if not isinstance(out, pd.DataFrame):
        raise ContractError(f"{where}: {name} returned {type(out).__name__}, not a DataFrame")
    return out


def adapt(
    frame: pd.DataFrame, contract: Contract, found: str, source: str, columns: list[str] | None = None
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """`frame`, written under version `found`, as the current `contract` says, and the steps applied.

    `columns`: the frame holds only these (a partial read); the others are not checked.
    """
    from pipelab.contracts.versions import get  # versions imports the contract modules, which import this one

    where = f"{source} ({contract.name} v{found})"
    if Version(found) > Version(contract.version):
        raise ContractError(f"{where}: written by newer code than this (reads v{contract.version}); update pipelab")
    applied: list[dict[str, str]] = []
    steps, reached = chain(contract.name, found, contract.version)
    if Version(reached).major != contract.major:
        raise ContractError(
            f"{where}: no migration to v{contract.version}; re-run the stage that writes it (`dvc repro`)"
        )
    version = found
    for step in steps:
        if step.source != version:
            frame, read = _read_up_to(frame, get(contract.name, step.source), version)
            applied.append(read)
        frame = _migrate(frame, step, where)
        reached_contract = contract if step.target == contract.version else get(contract.name, step.target)
        frame = conform(frame, reached_contract, f"{source} migrated {step.source} -> {step.target}", columns)
        applied.append({"contract": contract.name, "from": step.source, "to": step.target, "how": step.description})
        version = step.target
    if reached != contract.version:
        frame, read = _read_up_to(frame, contract, reached)
        applied.append(read)
    return conform(frame, contract, source, columns), applied
