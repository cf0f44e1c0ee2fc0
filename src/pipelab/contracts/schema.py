"""A contract as a pandera schema: nullability and row rules, run lazily to collect every failure.

Structure (columns, types) is checked before, by `structure.conform`, so every failure
pandera reports here belongs to a row.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipelab.contracts.model import Contract, Rule
from pipelab.contracts.rules import get_rule

if TYPE_CHECKING:
    import pandera.pandas as pa


def _column_check(rule: Rule) -> pa.Check:
    import pandera.pandas as pa

    function = get_rule(rule.rule)
    return pa.Check(lambda series: function(series, **rule.args), name=rule.name, ignore_na=False)


def _frame_check(rule: Rule) -> pa.Check:
    import pandera.pandas as pa

    function = get_rule(rule.rule)
    columns = list(rule.columns)
    return pa.Check(lambda frame: function(frame[columns], **rule.args), name=rule.name, ignore_na=False)


def build_schema(contract: Contract) -> pa.DataFrameSchema:
    """Nullability and rules per column (pattern columns included), cross-column rules on the frame."""
    import pandera.pandas as pa

    columns: dict[str, Any] = {
        column.name: pa.Column(
            None,
            checks=[_column_check(rule) for rule in column.rules],
            nullable=column.nullable,
            required=not column.pattern,
            regex=column.pattern,
        )
        for column in contract.columns
    }
    return pa.DataFrameSchema(columns, checks=[_frame_check(rule) for rule in contract.rules], strict=False)


def failure_cases(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """(position, rule, column) of every failing cell; frame rules once per row, naming their columns."""
    import pandera.pandas as pa

    try:
        with warnings.catch_warnings():  # pandera concatenating missing values' failure cases: noise on stderr
            warnings.filterwarnings("ignore", "The behavior of DataFrame concatenation with empty", FutureWarning)
            build_schema(contract).validate(frame, lazy=True, inplace=True)  # no coercion: nothing is modified
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return pd.DataFrame(
            {"position": pd.Series(dtype="int64"), "rule": pd.Series(dtype=object), "column": pd.Series(dtype=object)}
        )
    broken = cases[cases["index"].isna()]
    if len(broken):  # a rule that raised: a bug in the rule or its arguments, not bad data
        first = broken.iloc[0]
        raise RuntimeError(f"{contract.name}: rule {first['check']!r} failed to run: {first['failure_case']}")
    frame_wide = cases["schema_context"].astype(str) == "DataFrameSchema"
    cases = cases.assign(
        position=cases["index"].astype("int64"),
        rule=cases["check"].astype(str),
        column=cases["column"].astype(str),
    )
    columns_of = {rule.name: ", ".join(rule.columns) for rule in contract.rules}
    cases.loc[frame_wide, "column"] = cases.loc[frame_wide, "rule"].map(columns_of)
    found: pd.DataFrame = cases[["position", "rule", "column"]].drop_duplicates().reset_index(drop=True)
    return found
