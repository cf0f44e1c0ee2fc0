"""Structural conformance: the columns a contract names, with its types, and nothing unexpected.

Checked wherever data is written or read. Breakage here is never row by row: it stops
the stage with one line naming the source, the column and the contract version.
"""

from __future__ import annotations

import re

import pandas as pd

from pipelab.contracts.model import Contract
from pipelab.core.errors import ContractError

PANDAS_DTYPES = {"str": "object"}  # contract type name -> pandas dtype name, where they differ


def pandas_dtype(dtype: str) -> str:
    return PANDAS_DTYPES.get(dtype, dtype)


def _pattern_columns(contract: Contract, columns: list[str]) -> dict[str, tuple[str, ...]]:
    """Columns matched by the contract's pattern columns -> the types the pattern allows."""
    matched: dict[str, tuple[str, ...]] = {}
    for spec in (c for c in contract.columns if c.pattern):
        regex = re.compile(spec.name)
        matched.update({name: spec.dtypes for name in columns if regex.fullmatch(name) and name not in matched})
    return matched


def expected_dtypes(contract: Contract, columns: list[str]) -> dict[str, tuple[str, ...]]:
    """Allowed types of each of `columns` that the contract knows (exact names, then patterns)."""
    exact = {c.name: c.dtypes for c in contract.columns if not c.pattern}
    patterns = _pattern_columns(contract, [c for c in columns if c not in exact])
    return {name: exact.get(name) or patterns[name] for name in columns if name in exact or name in patterns}


def conform(frame: pd.DataFrame, contract: Contract, source: str, columns: list[str] | None = None) -> pd.DataFrame:
    """`frame` checked against `contract`'s structure (only `columns` when a subset was read).

    Missing required columns, duplicate names, wrong types and, for contracts that do not
    drop them, unknown columns are errors. Returns the frame with unknown columns dropped
    where the contract allows it, contract columns first in contract order.
    """
    where = f"{source} ({contract.name} v{contract.version})"
    names = [str(c) for c in frame.columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ContractError(f"{where}: duplicate column name(s): {', '.join(duplicated)}")
    wanted = contract.fixed_columns if columns is None else [c for c in contract.fixed_columns if c in columns]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise ContractError(f"{where}: missing required column(s): {', '.join(missing)}")
    known = expected_dtypes(contract, names)
    unknown = [n for n in names if n not in known]
    if unknown and contract.extra_columns == "error":
        raise ContractError(f"{where}: unexpected column(s) not in the contract: {', '.join(unknown)}")
    for name, dtypes in known.items():
        actual = str(frame[name].dtype)
        if actual not in {pandas_dtype(d) for d in dtypes}:
            raise ContractError(f"{where}: column {name!r} has type {actual}, the contract says {' or '.join(dtypes)}")
    fixed = set(contract.fixed_columns)
    order = [c for c in contract.fixed_columns if c in names] + [n for n in names if n in known and n not in fixed]
    return frame[order] if order != names else frame
