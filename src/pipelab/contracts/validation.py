"""Lazy validation: every failure collected, failing rows quarantined with reasons, counts reconciled.

Order of business: structure (stops the stage), exact duplicate rows (removed, counted),
conflicting duplicate keys (every row of the key quarantined: none can be trusted), row
rules and nullability (pandera), then foreign keys against referenced tables. Rows failing
an `error` rule are quarantined; rows failing only `warn` rules are kept and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipelab.contracts.model import Contract, Severity
from pipelab.contracts.quality import DatasetQuality
from pipelab.contracts.schema import failure_cases
from pipelab.contracts.structure import conform
from pipelab.tables import ROW_ID

QUARANTINE_COLUMNS = ["row_id", "check", "column", "value", "contract", "contract_version", "stage"]
DUPLICATE_KEY = "duplicate_key"
NOT_NULL = "_not_null"  # suffix of the implicit rule of each non-nullable column
EXAMPLES = 5


@dataclass(frozen=True)
class ValidationResult:
    valid: pd.DataFrame
    quarantine: pd.DataFrame  # one row per (quarantined row, failed rule)
    quality: DatasetQuality


def severity_of(contract: Contract, rule: str) -> Severity:
    """Declared severity; missing required values and conflicting keys are always errors."""
    if rule == DUPLICATE_KEY or rule.endswith(NOT_NULL):
        return "error"
    try:
        return contract.rule(rule).severity
    except KeyError:
        return "error"


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == ROW_ID else object) for c in QUARANTINE_COLUMNS})


def _text(value: Any) -> str:
    """A value as people read it: `5`, `'EWR'`, `2013-03-10T02:30:00`, not `np.int64(5)` or a repr of a datetime."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "None"
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        return "None" if pd.isna(value) else pd.Timestamp(value).isoformat()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return repr(value)


def _show(frame: pd.DataFrame, positions: np.ndarray, columns: list[str]) -> list[str]:
    """The offending value of each position: the value itself, or `col=value, ...` for several columns."""
    if len(columns) == 1:
        return [_text(v) for v in frame[columns[0]].to_numpy()[positions]]
    parts = [frame[c].to_numpy()[positions] for c in columns]
    return [", ".join(f"{c}={_text(p[i])}" for c, p in zip(columns, parts, strict=True)) for i in range(len(positions))]


def _records(frame: pd.DataFrame, positions: np.ndarray, rule: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position": positions.astype("int64"),
            "rule": rule,
            "column": ", ".join(columns),
            "value": _show(frame, positions, columns),
        }
    )


def _duplicates(frame: pd.DataFrame, contract: Contract) -> tuple[np.ndarray, pd.DataFrame]:
    """Positions of exact duplicate rows (later copies), and records of conflicting duplicate keys."""
    keys = list(contract.keys)
    if not keys:
        return np.array([], dtype="int64"), pd.DataFrame()
    shared = frame.duplicated(keys, keep=False).to_numpy()
    if not shared.any():
        return np.array([], dtype="int64"), pd.DataFrame()
    candidates = frame.loc[shared]
    data_columns = [c for c in frame.columns if c != ROW_ID]
    exact = candidates.index[candidates.duplicated(data_columns, keep="first")].to_numpy()
    remaining = candidates.loc[~candidates.index.isin(exact)]
    conflicting = remaining.index[remaining.duplicated(keys, keep=False)].to_numpy()
    return exact, _records(frame, conflicting, DUPLICATE_KEY, keys)


def _foreign_keys(
    frame: pd.DataFrame, contract: Contract, references: Mapping[str, pd.DataFrame]
) -> list[pd.DataFrame]:
    found = []
    for fk in contract.foreign_keys:
        if fk.references not in references:
            continue
        values = frame[fk.column]
        orphan = (values.notna() & ~values.isin(references[fk.references][fk.ref_column])).to_numpy()
        found.append(_records(frame, np.flatnonzero(orphan), fk.name, [fk.column]))
    return found


def validate_table(
    frame: pd.DataFrame,
    contract: Contract,
    stage: str,
    source: str | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> ValidationResult:
    """Split `frame` into valid rows and quarantine records, with counts that reconcile.

    `references` maps a referenced contract name to its (valid) rows, for foreign keys.
    Structural breakage raises ContractError naming `source`, the column and the version.
    """
    frame = conform(frame, contract, source or contract.name).reset_index(drop=True)
    rows_in = len(frame)
    exact, conflicts = _duplicates(frame, contract)
    cases = failure_cases(frame, contract)
    cases = cases.assign(
        rule=np.where(cases["rule"] == "not_nullable", cases["column"].astype(str) + NOT_NULL, cases["rule"])
    )
    frame_rules = {r.name: list(r.columns) for r in contract.rules}
    per_rule = [
        _records(frame, group["position"].to_numpy(), str(rule), frame_rules.get(str(rule), [str(column)]))
        for (rule, column), group in cases.groupby(["rule", "column"], sort=True)
    ]
    records = pd.concat([conflicts, *per_rule, *_foreign_keys(frame, contract, references or {})], ignore_index=True)
    if len(records):
        records = records[~records["position"].isin(exact)]
        records["severity"] = records["rule"].map({r: severity_of(contract, r) for r in records["rule"].unique()})
    else:
        records = pd.DataFrame(
            {"position": pd.Series(dtype="int64"), "rule": [], "column": [], "value": [], "severity": []}
        )
    errors, warnings = records[records["severity"] == "error"], records[records["severity"] == "warn"]
    bad = np.unique(errors["position"].to_numpy(dtype="int64"))
    dropped = np.union1d(bad, exact)
    valid = frame.drop(index=frame.index[dropped]).reset_index(drop=True) if len(dropped) else frame
    errors = errors.sort_values(["position", "rule", "column"], kind="stable")
    quarantine = pd.DataFrame(
        {
            ROW_ID: frame[ROW_ID].to_numpy(dtype="int64")[errors["position"].to_numpy(dtype="int64")],
            "check": errors["rule"].to_numpy(dtype=object),
            "column": errors["column"].to_numpy(dtype=object),
            "value": errors["value"].to_numpy(dtype=object),
            "contract": contract.name,
            "contract_version": contract.version,
            "stage": stage,
        }
    )
    row_ids = frame[ROW_ID].to_numpy()
    quality = DatasetQuality(
        dataset=contract.name,
        contract_version=contract.version,
        stage=stage,
        rows_in=rows_in,
        rows_valid=len(valid),
        rows_quarantined=len(bad),
        duplicates_removed=len(exact),
        errors={str(k): int(v) for k, v in errors.groupby("rule")["position"].nunique().items()},
        warnings={str(k): int(v) for k, v in warnings.groupby("rule")["position"].nunique().items()},
        examples={
            str(rule): [
                f"row_id {row_ids[p]}: {v}"
                for p, v in zip(g["position"][:EXAMPLES], g["value"][:EXAMPLES], strict=True)
            ]
            for rule, g in warnings.sort_values("position", kind="stable").groupby("rule")
        },
    )
    return ValidationResult(valid, quarantine if len(quarantine) else empty_quarantine(), quality)
