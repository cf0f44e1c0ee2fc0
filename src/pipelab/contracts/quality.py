"""What validating one dataset found: counts that reconcile, rule failures, gate findings, drift.

A `DatasetQuality` travels with the quarantine file of its dataset (Parquet metadata); the
report stage turns them into metrics/quality.json and reports/quality/<dataset>.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipelab.contracts.model import Severity


class Finding(BaseModel):
    """One quality check's verdict on a dataset: a warning is recorded, an error stops the stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    dataset: str
    severity: Severity
    message: str
    value: float
    threshold: float


class Coverage(BaseModel):
    """How many rows a join found data for (a feature group's `<group>__known`), overall and per origin.

    Per origin because a source can cover one airport and not another (weather for EWR only):
    the overall share then hides an airport with none.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: float  # rows known / rows
    rows: int
    by_origin: dict[str, float] = Field(default_factory=dict)  # origin -> share known
    rows_by_origin: dict[str, int] = Field(default_factory=dict)


class DatasetQuality(BaseModel):
    """Row counts and rule failures of one validated dataset; rows in = valid + quarantined + duplicates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    contract_version: str
    stage: str
    rows_in: int
    rows_valid: int
    rows_quarantined: int
    duplicates_removed: int
    errors: dict[str, int] = Field(default_factory=dict)  # rule -> rows quarantined for it
    warnings: dict[str, int] = Field(default_factory=dict)  # rule -> rows kept though failing it
    examples: dict[str, list[str]] = Field(default_factory=dict)  # warn rule -> a few offending rows
    drift: dict[str, float] = Field(default_factory=dict)  # feature -> population stability index
    drift_reference: str | None = None  # the profile drift was measured against
    coverage: dict[str, Coverage] = Field(default_factory=dict)  # feature group -> share its join found
    findings: tuple[Finding, ...] = ()

    @property
    def quarantine_share(self) -> float:
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.rows_valid + self.rows_quarantined + self.duplicates_removed

    def failing(self, rule: str) -> int:
        """Rows that failed `rule`, whether quarantined or kept."""
        return self.errors.get(rule, 0) + self.warnings.get(rule, 0)

    def verdict(self) -> Literal["ok", "warn", "error"]:
        severities = {f.severity for f in self.findings}
        return "error" if "error" in severities else "warn" if "warn" in severities else "ok"
