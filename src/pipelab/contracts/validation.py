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
from pipelab.core.tables import ROW_ID

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
    parts = [frame[c].iloc[positions].to_numpy(dtype=object) for c in columns]  # Int64 with NA: ints, not floats
    if len(columns) == 1:
        return [_text(v) for v in parts[0]]
    return [", ".join(f"{c}={_text(p[i])}" for c, p in zip(columns, parts, strict=True)) for i in range(len(positions))]


@dataclass(frozen=True)
class _Failure:
    """Rows (by position) failing one rule, and the columns the rule looks at."""

    rule: str
    columns: list[str]
    positions: np.ndarray

    def records(self, frame: pd.DataFrame, positions: np.ndarray | None = None) -> pd.DataFrame:
        chosen = self.positions if positions is None else positions
        return pd.DataFrame(
            {
                "position": chosen.astype("int64"),
                "check": self.rule,
                "column": ", ".join(self.columns),
                "value": _show(frame, chosen, self.columns),
            }
        )


def _duplicates(frame: pd.DataFrame, contract: Contract) -> tuple[np.ndarray, list[_Failure]]:
    """Positions of exact duplicate rows (later copies), and the conflicting duplicate keys."""
    keys = list(contract.keys)
    shared = frame.duplicated(keys, keep=False).to_numpy() if keys else np.zeros(len(frame), dtype=bool)
    if not shared.any():
        return np.array([], dtype="int64"), []
    candidates = frame.loc[shared]
    data_columns = [c for c in frame.columns if c != ROW_ID]
    exact = candidates.index[candidates.duplicated(data_columns, keep="first")].to_numpy()
    remaining = candidates.loc[~candidates.index.isin(exact)]
    conflicting = remaining.index[remaining.duplicated(keys, keep=False)].to_numpy()
    return exact, [_Failure(DUPLICATE_KEY, keys, conflicting)] if len(conflicting) else []


def _rule_failures(frame: pd.DataFrame, contract: Contract) -> list[_Failure]:
    """Nullability and row rules, through pandera; cross-column rules name all their columns."""
    cases = failure_cases(frame, contract)
    not_null = cases["rule"] == "not_nullable"
    cases.loc[not_null, "rule"] = cases.loc[not_null, "column"].astype(str) + NOT_NULL
    frame_rules = {r.name: list(r.columns) for r in contract.rules}
    return [
        _Failure(str(rule), frame_rules.get(str(rule), [str(column)]), group["position"].to_numpy(dtype="int64"))
        for (rule, column), group in cases.groupby(["rule", "column"], sort=True)
    ]


def _foreign_keys(frame: pd.DataFrame, contract: Contract, references: Mapping[str, pd.DataFrame]) -> list[_Failure]:
    found = []
    for fk in contract.foreign_keys:
        if fk.references not in references:
            continue
        values = frame[fk.column]
        orphan = np.flatnonzero((values.notna() & ~values.isin(references[fk.references][fk.ref_column])).to_numpy())
        if len(orphan):
            found.append(_Failure(fk.name, [fk.column], orphan))
    return found


def _rows_per_rule(failures: list[_Failure]) -> dict[str, int]:
    rows: dict[str, set[int]] = {}
    for failure in failures:
        rows.setdefault(failure.rule, set()).update(failure.positions.tolist())
    return {rule: len(found) for rule, found in sorted(rows.items())}


def _examples(frame: pd.DataFrame, failures: list[_Failure]) -> dict[str, list[str]]:
    """A few offending rows of each rule, by row id (rows kept with a warning are not in any file)."""
    examples: dict[str, list[str]] = {}
    row_ids = frame[ROW_ID].to_numpy()
    for failure in failures:
        room = EXAMPLES - len(examples.get(failure.rule, []))
        first = np.sort(failure.positions)[: max(room, 0)]
        shown = failure.records(frame, first)["value"]
        examples.setdefault(failure.rule, []).extend(
            f"row_id {row_ids[p]}: {v}" for p, v in zip(first, shown, strict=True)
        )
    return examples


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
    frame = conform(frame, contract, source or contract.name)
    if not frame.index.equals(pd.RangeIndex(len(frame))):  # positions are what failures report
        frame = frame.reset_index(drop=True)
    exact, failures = _duplicates(frame, contract)
    failures += _rule_failures(frame, contract) + _foreign_keys(frame, contract, references or {})
    failures = [_Failure(f.rule, f.columns, np.setdiff1d(f.positions, exact)) for f in failures]
    failures = [f for f in failures if len(f.positions)]
    errors = [f for f in failures if severity_of(contract, f.rule) == "error"]
    warnings = [f for f in failures if severity_of(contract, f.rule) == "warn"]
    bad = np.unique(np.concatenate([f.positions for f in errors])) if errors else np.array([], dtype="int64")
    dropped = np.union1d(bad, exact)
    valid = frame.drop(index=frame.index[dropped]).reset_index(drop=True) if len(dropped) else frame
    quarantine = empty_quarantine()
    if errors:
        found = pd.concat([f.records(frame) for f in errors]).sort_values(
            ["position", "check", "column"], kind="stable"
        )
        quarantine = pd.DataFrame(
            {
                ROW_ID: frame[ROW_ID].to_numpy(dtype="int64")[found["position"].to_numpy()],
                "check": found["check"].to_numpy(dtype=object),
                "column": found["column"].to_numpy(dtype=object),
                "value": found["value"].to_numpy(dtype=object),
                "contract": contract.name,
                "contract_version": contract.version,
                "stage": stage,
            }
        )
    quality = DatasetQuality(
        dataset=contract.name,
        contract_version=contract.version,
        stage=stage,
        rows_in=len(frame),
        rows_valid=len(valid),
        rows_quarantined=len(bad),
        duplicates_removed=len(exact),
        errors=_rows_per_rule(errors),
        warnings=_rows_per_rule(warnings),
        examples=_examples(frame, warnings),
    )
    return ValidationResult(valid, quarantine, quality)
