"""The contract of the quarantine files themselves: one row per (quarantined row, failed rule)."""

from __future__ import annotations

from pipelab.contracts.model import Column, Contract

QUARANTINE = Contract(
    name="quarantine",
    version="1.0.0",
    description="Rows kept out of a dataset: which row, which rule, which column, the offending value.",
    columns=(
        Column(name="row_id", dtype="int64", description="the row's stable identity in its source table"),
        Column(name="check", dtype="str", description="the rule it failed (see the dataset's contract)"),
        Column(name="column", dtype="str", description="the column(s) the rule looks at"),
        Column(name="value", dtype="str", description="the offending value(s), as text"),
        Column(name="contract", dtype="str"),
        Column(name="contract_version", dtype="str"),
        Column(name="stage", dtype="str", description="the stage that quarantined it"),
    ),
    keys=("row_id", "check", "column"),
    decisions=("A row failing several rules has one record per rule; counts of rows count it once.",),
)
