"""Lazy validation: collect every failure, quarantine failing rows with reasons, keep the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelab.contracts.base import Contract
from pipelab.errors import ContractError
from pipelab.tables import ROW_ID

QUARANTINE_COLUMNS = ["row_id", "check", "column", "value", "contract", "contract_version", "stage"]


@dataclass(frozen=True)
class ValidationResult:
    valid: pd.DataFrame
    quarantine: pd.DataFrame  # one row per (row, failed check)
    check_counts: dict[str, int]  # failed rows per "column:check"

    @property
    def rows_quarantined(self) -> int:
        return int(self.quarantine[ROW_ID].nunique())


def empty_quarantine() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == ROW_ID else object) for c in QUARANTINE_COLUMNS})


def _plain(value: Any) -> Any:
    """numpy scalars as plain Python values, so quarantine shows `5`, not `np.int64(5)`."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _one_record_per_failure(cases: pd.DataFrame, frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """(position, check, column, value) per failure; frame-wide checks name the columns they involve.

    pandera reports a frame-wide check once per column of the frame; those collapse to one
    record whose column lists the involved columns and whose value shows each of them.
    """
    rows = cases.assign(
        position=cases["index"].astype("int64"),
        check=cases["check"].astype(str),
        column=cases["column"].astype(str),
        value=cases["failure_case"].map(lambda v: repr(_plain(v))),
    )
    frame_wide = rows["schema_context"].astype(str) == "DataFrameSchema"
    for check in rows.loc[frame_wide, "check"].unique():
        columns = contract.columns_of(check)
        if not columns:
            continue
        which = frame_wide & (rows["check"] == check)
        rows.loc[which, "column"] = ", ".join(columns)
        rows.loc[which, "value"] = [
            ", ".join(f"{c}={_plain(frame.at[p, c])!r}" for c in columns) for p in rows.loc[which, "position"]
        ]
    rows = rows.drop_duplicates(["position", "check", "column"])
    return rows.sort_values(["position", "check", "column"], kind="stable")[["position", "check", "column", "value"]]


def validate_table(frame: pd.DataFrame, contract: Contract, stage: str) -> ValidationResult:
    """Split `frame` into valid rows and quarantine records; structural failures raise.

    Structural means the table as a whole is unusable (missing column, wrong dtype):
    it stops the stage with one line naming the contract, version and column.
    """
    import pandera.pandas as pa

    frame = frame.reset_index(drop=True)  # pandera reports index labels: make them positions
    schema = contract.build_schema()
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return ValidationResult(frame, empty_quarantine(), {})
    structural = cases[cases["index"].isna()]
    if len(structural):
        first = structural.iloc[0]
        if first["check"] == "column_in_dataframe":
            missing = ", ".join(
                sorted(map(repr, structural.loc[structural["check"] == "column_in_dataframe", "failure_case"]))
            )
            raise ContractError(f"{contract.name} v{contract.version}: missing required column(s): {missing}")
        raise ContractError(
            f"{contract.name} v{contract.version}: column {first['column']!r} fails {first['check']} "
            f"({first['failure_case']!r}); {len(structural)} structural failure(s) in all"
        )
    rows = _one_record_per_failure(cases, frame, contract)
    failed = frame.iloc[rows["position"].to_numpy()]
    quarantine = pd.DataFrame(
        {
            ROW_ID: failed[ROW_ID].to_numpy(dtype="int64"),
            "check": rows["check"].to_numpy(),
            "column": rows["column"].to_numpy(),
            "value": rows["value"].to_numpy(),
            "contract": contract.name,
            "contract_version": contract.version,
            "stage": stage,
        }
    )
    labels = quarantine["column"] + ":" + quarantine["check"]
    counts = quarantine.groupby(labels)[ROW_ID].nunique().sort_index()
    bad = frame.index.isin(rows["position"].unique())
    return ValidationResult(
        frame.loc[~bad].reset_index(drop=True),
        quarantine.reset_index(drop=True),
        {str(k): int(v) for k, v in counts.items()},
    )
