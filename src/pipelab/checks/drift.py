"""Check `drift`: feature distributions against the reference profile (population stability index)."""

from __future__ import annotations

from pydantic import Field, model_validator

from pipelab.checks.base import finding, tripped, warn_within_error
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class DriftConfig(ModuleConfig):
    """PSI per feature above which it warns (0.1 small, 0.25 large by common practice) or fails."""

    warn_psi: float = Field(0.2, gt=0.0, le=100.0, description="PSI above this: warning")
    error_psi: float | None = Field(None, gt=0.0, le=100.0, description="PSI above this: error (off by default)")

    @model_validator(mode="after")
    def _ordered(self) -> DriftConfig:
        warn_within_error(("warn_psi", self.warn_psi), ("error_psi", self.error_psi))
        return self


@register(
    "check",
    "drift",
    config=DriftConfig,
    failure_modes=(
        "a different data source (or a fixture slice) drifts by design: promote its profile first",
        "datasets without a reference profile are not checked",
    ),
)
def drift(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Warn (or fail, with `error_psi`) per feature whose PSI against the reference exceeds the limit."""
    assert isinstance(config, DriftConfig)
    found = []
    for feature, psi in sorted(quality.drift.items(), key=lambda item: (-item[1], item[0])):
        trip = tripped(psi, ("error_psi", config.error_psi), ("warn_psi", config.warn_psi))
        if trip is None:
            continue
        reference = quality.drift_reference
        message = f"{feature} drifted: PSI {psi:.3f} > quality.drift.{trip.setting} {trip.limit} (vs {reference})"
        found.append(finding("drift", quality, trip, message=message, value=psi))
    return found
