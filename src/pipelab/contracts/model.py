"""What a data contract says: columns, keys, row rules with a severity, and the decisions behind them.

A contract is plain data (pydantic), so it can be printed, snapshotted and diffed across
git revisions; `pipelab.contracts.schema` turns it into a pandera schema for validation.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Severity = Literal["warn", "error"]
# Column types, by pandas dtype name; "str" is text held in an object column (None = missing).
DType = Literal[
    "int8",
    "int32",
    "int64",
    "Int32",
    "Int64",
    "float32",
    "float64",
    "bool",
    "str",
    "datetime64[us]",
    "datetime64[us, UTC]",
]
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Frozen):
    """A named row rule: rows failing it are quarantined (`error`) or kept and counted (`warn`).

    `rule` names a function in `pipelab.contracts.rules`; `args` are its keyword arguments.
    On a column, the rule sees that column; on the contract, it sees `columns` of the frame.
    """

    name: str
    rule: str
    args: dict[str, Any] = Field(default_factory=dict)
    columns: tuple[str, ...] = ()
    severity: Severity = "error"
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name_is_an_identifier(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(f"rule name {value!r} must be lower_snake_case")
        return value


class Column(_Frozen):
    """One column: type, whether it may be missing, unit, meaning and its own rules.

    With `pattern`, `name` is a regular expression naming a family of columns (the feature
    columns), and `dtype` may list the types those columns may have.
    """

    name: str
    dtype: DType | tuple[DType, ...]
    nullable: bool = False
    unit: str = ""
    description: str = ""
    rules: tuple[Rule, ...] = ()
    pattern: bool = False

    @property
    def dtypes(self) -> tuple[str, ...]:
        return (self.dtype,) if isinstance(self.dtype, str) else self.dtype

    @model_validator(mode="after")
    def _one_type_unless_pattern(self) -> Column:
        if not self.pattern and not isinstance(self.dtype, str):
            raise ValueError(f"column {self.name!r}: only pattern columns may allow several types")
        return self


class ForeignKey(_Frozen):
    """Values of `column` should exist in `references`' `ref_column` (checked when both are validated)."""

    name: str
    column: str
    references: str
    ref_column: str
    severity: Severity = "warn"
    description: str = ""


class Contract(_Frozen):
    """A dataset's named, semantically versioned schema and row rules."""

    name: str
    version: str
    description: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...] = ()  # unique together; conflicting duplicates are quarantined
    rules: tuple[Rule, ...] = ()  # rules across columns
    foreign_keys: tuple[ForeignKey, ...] = ()
    extra_columns: Literal["error", "drop"] = "error"  # what an unknown column does
    decisions: tuple[str, ...] = ()  # how genuine problems in real data are handled, and why

    @field_validator("version")
    @classmethod
    def _semantic_version(cls, value: str) -> str:
        try:
            parsed = Version(value)
        except InvalidVersion:
            raise ValueError(f"version {value!r} is not MAJOR.MINOR.PATCH") from None
        if len(parsed.release) != 3 or str(parsed) != value:
            raise ValueError(f"version {value!r} is not MAJOR.MINOR.PATCH")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.name}: duplicate column(s) {duplicates}")
        fixed = set(self.fixed_columns)
        for key in self.keys:
            if key not in fixed:
                raise ValueError(f"{self.name}: key column {key!r} is not a column")
        rule_names = [r.name for r in self.all_rules()] + [fk.name for fk in self.foreign_keys]
        clashes = sorted({n for n in rule_names if rule_names.count(n) > 1})
        if clashes:
            raise ValueError(f"{self.name}: rule name(s) used twice: {clashes}")
        for rule in self.rules:
            missing = [c for c in rule.columns if c not in fixed]
            if not rule.columns or missing:
                raise ValueError(f"{self.name}: rule {rule.name!r} must name existing columns (missing: {missing})")
        return self

    @property
    def tag(self) -> tuple[str, str]:
        """(name, version): what Parquet metadata and provenance record."""
        return (self.name, self.version)

    @property
    def major(self) -> int:
        return Version(self.version).major

    @property
    def fixed_columns(self) -> list[str]:
        """Columns named exactly (not by a pattern), in contract order."""
        return [c.name for c in self.columns if not c.pattern]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name and not column.pattern:
                return column
        raise KeyError(name)

    def all_rules(self) -> list[Rule]:
        """Column rules (with their column) then cross-column rules."""
        found = [rule.model_copy(update={"columns": (c.name,)}) for c in self.columns for rule in c.rules]
        return [*found, *self.rules]

    def rule(self, name: str) -> Rule | ForeignKey:
        candidates: list[Rule | ForeignKey] = [*self.all_rules(), *self.foreign_keys]
        for rule in candidates:
            if rule.name == name:
                return rule
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what snapshots store and `contracts diff` compares)."""
        return self.model_dump(mode="json")
