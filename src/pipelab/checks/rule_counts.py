"""Check `rule_counts`: per-rule limits on how many rows may fail, quarantined or kept."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from pipelab.checks.base import finding, known_datasets, tripped, warn_within_error
from pipelab.contracts import DatasetQuality, Finding, latest
from pipelab.contracts.validation import DUPLICATE_KEY, NOT_NULL
from pipelab.params import ModuleConfig
from pipelab.registry import register


class Limits(ModuleConfig):
    """Rows failing one rule: at least `warn_if` warns, at least `error_if` fails the stage."""

    warn_if: int | None = Field(None, ge=1)
    error_if: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Limits:
        if self.warn_if is None and self.error_if is None:
            raise ValueError("set warn_if, error_if or both (limits without either never apply)")
        warn_within_error(("warn_if", self.warn_if), ("error_if", self.error_if))
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
    config=RuleCountsConfig,
    failure_modes=("limits name rules of the current contract version: renamed rules must be renamed here",),
)
def rule_counts(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Warn or fail when a rule's failing rows reach its `warn_if` / `error_if` limit."""
    assert isinstance(config, RuleCountsConfig)
    found = []
    for rule, limits in sorted(config.thresholds.get(quality.dataset, {}).items()):
        failing = quality.failing(rule)
        trip = tripped(failing, ("error_if", limits.error_if), ("warn_if", limits.warn_if), inclusive=True)
        if trip is None:
            continue
        where = f"quality.rule_counts.thresholds.{quality.dataset}.{rule}.{trip.setting}"
        message = f"{failing:,} row(s) fail {rule} >= {where} {trip.limit:,}"
        found.append(finding("rule_counts", quality, trip, message=message, value=failing))
    return found
