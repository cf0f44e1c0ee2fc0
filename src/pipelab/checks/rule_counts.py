"""Check `rule_counts`: per-rule limits on how many rows may fail, quarantined or kept."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from pipelab.checks.base import finding, known_datasets, tripped, warn_within_error
from pipelab.contracts import DatasetQuality, Finding, latest
from pipelab.contracts.validation import DUPLICATE_KEY, NOT_NULL
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class Limits(ModuleConfig):
    """Rows failing one rule, as a count (`warn_if`, `error_if`: at least) or a share of the rows in
    (`warn_share`, `error_share`: more than). A share holds for a fixture and for millions of rows alike.
    """

    warn_if: int | None = Field(None, ge=1)
    error_if: int | None = Field(None, ge=1)
    warn_share: float | None = Field(None, ge=0.0, le=1.0)
    error_share: float | None = Field(None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if all(limit is None for limit in (self.warn_if, self.error_if, self.warn_share, self.error_share)):
            raise ValueError("set warn_if, error_if, warn_share or error_share (limits without any never apply)")
        warn_within_error(("warn_if", self.warn_if), ("error_if", self.error_if))
        warn_within_error(("warn_share", self.warn_share), ("error_share", self.error_share))
        return self


def rule_names(dataset: str) -> set[str]:
    """Every rule of a dataset's current contract, implicit ones (not-null, duplicate key) included."""
    contract = latest(dataset)
    implicit = {f"{c.name}{NOT_NULL}" for c in contract.columns if not c.nullable and not c.pattern}
    return (
        {r.name for r in contract.all_rules()} | {fk.name for fk in contract.foreign_keys} | implicit | {DUPLICATE_KEY}
    )


class RuleCountsConfig(ModuleConfig):
    """Limits per dataset and rule: `thresholds.<dataset>.<rule>.{warn_if,error_if}`."""

    thresholds: dict[str, dict[str, Limits]] = Field(default_factory=dict, description="dataset -> rule -> limits")

    @field_validator("thresholds")
    @classmethod
    def _rules_exist(cls, value: dict[str, dict[str, Limits]]) -> dict[str, dict[str, Limits]]:
        known_datasets(dict(value))
        for dataset, rules in value.items():
            unknown = sorted(set(rules) - rule_names(dataset))
            if unknown:
                raise ValueError(
                    f"{dataset}: unknown rule(s) {', '.join(unknown)}; rules: {', '.join(sorted(rule_names(dataset)))}"
                )
        return value


@register(
    "check",
    "rule_counts",
    version="1.1.0",
    config=RuleCountsConfig,
    failure_modes=("limits name rules of the current contract version: renamed rules must be renamed here",),
)
def rule_counts(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Warn or fail when a rule's failing rows reach its count limit or pass its share limit."""
    assert isinstance(config, RuleCountsConfig)
    found = []
    for rule, limits in sorted(config.thresholds.get(quality.dataset, {}).items()):
        failing = quality.failing(rule)
        share = failing / quality.rows_in if quality.rows_in else 0.0
        by_count = tripped(failing, ("error_if", limits.error_if), ("warn_if", limits.warn_if), inclusive=True)
        by_share = tripped(share, ("error_share", limits.error_share), ("warn_share", limits.warn_share))
        trip = by_share if by_count is None or (by_share and by_share.severity == "error") else by_count
        if trip is None:
            continue
        where = f"quality.rule_counts.thresholds.{quality.dataset}.{rule}.{trip.setting}"
        if trip.setting.endswith("_share"):
            message = f"{failing:,} of {quality.rows_in:,} rows ({share:.2%}) fail {rule} > {where} {trip.limit:.2%}"
        else:
            message = f"{failing:,} row(s) fail {rule} >= {where} {trip.limit:,}"
        found.append(finding("rule_counts", quality, trip, message=message, value=failing))
    return found
