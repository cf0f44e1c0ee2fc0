"""Check `quarantine_share`: too many bad rows means the input, not a few rows, is broken."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from pipelab.checks.base import Share, finding, known_datasets, tripped, warn_within_error
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class QuarantineShareConfig(ModuleConfig):
    """Share of a dataset's rows that may be quarantined before it warns, and before it fails."""

    max_share: float = Field(0.05, ge=0.0, le=1.0, description="above this share: error")
    warn_share: float = Field(0.0, ge=0.0, le=1.0, description="above this share: warning")
    datasets: dict[str, Share] = Field(default_factory=dict, description="dataset -> its own max_share")

    @field_validator("datasets")
    @classmethod
    def _datasets_exist(cls, value: dict[str, float]) -> dict[str, float]:
        known_datasets(dict(value))
        return value

    @model_validator(mode="after")
    def _ordered(self) -> QuarantineShareConfig:
        warn_within_error(("warn_share", self.warn_share), ("max_share", self.max_share))
        return self


def _top_rules(quality: DatasetQuality, count: int = 3) -> str:
    top = sorted(quality.errors.items(), key=lambda item: (-item[1], item[0]))[:count]
    return ", ".join(f"{rule} {rows:,}" for rule, rows in top)


@register(
    "check",
    "quarantine_share",
    config=QuarantineShareConfig,
    failure_modes=("a small fixture with one bad row can exceed a share meant for millions of rows",),
)
def quarantine_share(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Error above `max_share` of rows quarantined, warning above `warn_share`; names the worst rules."""
    assert isinstance(config, QuarantineShareConfig)
    share, limit = quality.quarantine_share, config.datasets.get(quality.dataset, config.max_share)
    trip = tripped(share, ("max_share", limit), ("warn_share", config.warn_share))
    if trip is None:
        return []
    message = (
        f"{quality.rows_quarantined:,} of {quality.rows_in:,} rows quarantined ({share:.3%}) > "
        f"quality.quarantine_share.{trip.setting} {trip.limit:.3%} ({_top_rules(quality)})"
    )
    return [finding("quarantine_share", quality, trip, message=message, value=share)]
