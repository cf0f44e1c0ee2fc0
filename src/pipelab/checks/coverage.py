"""Check `coverage`: a join that found data for too few flights, overall or at one origin.

Feature groups that join another table (weather by origin and hour, planes by tail number)
say per flight whether they found it (`<group>__known`). A source covering only some
airports, or keys spelled differently (`jfk` for `JFK`), leaves those features empty while
every stage succeeds; this check makes that a warning or an error.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from pipelab.checks.base import Share, Trip, finding, warn_within_error
from pipelab.contracts import Coverage, DatasetQuality, Finding
from pipelab.core import registry
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class CoverageConfig(ModuleConfig):
    """Least share of flights each join must find, overall and at every origin with enough flights."""

    min_share: float = Field(0.5, ge=0.0, le=1.0, description="below this share (overall or at an origin): error")
    warn_share: float = Field(0.7, ge=0.0, le=1.0, description="below this share: warning")
    groups: dict[str, Share] = Field(
        default_factory=dict, description="feature group -> its own limit, in place of min_share and warn_share"
    )
    min_origin_rows: int = Field(
        100, ge=1, description="origins with fewer flights are judged only within the overall share"
    )

    @field_validator("groups")
    @classmethod
    def _groups_exist(cls, value: dict[str, float]) -> dict[str, float]:
        known = set(registry.names("feature_group"))
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown feature group(s) {', '.join(unknown)}; groups: {', '.join(sorted(known))}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CoverageConfig:
        warn_within_error(("min_share", self.min_share), ("warn_share", self.warn_share))
        return self


def _below(coverage: Coverage, limit: float, min_rows: int) -> list[tuple[str, float]]:
    """('overall' or 'at ORIGIN', share) for every share under `limit`, worst first."""
    shares = [("overall", coverage.share)] if coverage.rows else []
    shares += [
        (f"at {origin}", share)
        for origin, share in coverage.by_origin.items()
        if coverage.rows_by_origin.get(origin, 0) >= min_rows
    ]
    return sorted(((where, share) for where, share in shares if share < limit), key=lambda item: (item[1], item[0]))


@register(
    "check",
    "coverage",
    config=CoverageConfig,
    failure_modes=(
        "judges only datasets with `<group>__known` columns (the features table)",
        "a source that lacks a table on purpose (no planes) must lower that group's min_share",
    ),
)
def coverage(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Error when a join finds less than `min_share` of flights, overall or at an origin; warning below `warn_share`."""
    assert isinstance(config, CoverageConfig)
    found = []
    for group, cover in sorted(quality.coverage.items()):
        limits = [("min_share", config.min_share, "error"), ("warn_share", config.warn_share, "warn")]
        if group in config.groups:
            limits = [(f"groups.{group}", config.groups[group], "error")]
        for setting, limit, severity in limits:
            below = _below(cover, limit, config.min_origin_rows)
            if not below:
                continue
            shares = ", ".join(f"{where} {share:.1%}" for where, share in below)
            overall = "" if any(where == "overall" for where, _ in below) else f" (overall {cover.share:.1%})"
            message = (
                f"{group} data found for too few flights: {shares} < quality.coverage.{setting} {limit:.1%}{overall}; "
                f"is the {group} table complete, with the same key spelling? (`{group}__known`)"
            )
            trip = Trip("error" if severity == "error" else "warn", setting, limit)
            found.append(finding("coverage", quality, trip, message=message, value=below[0][1]))
            break
    return found
