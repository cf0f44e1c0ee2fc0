"""What a quality check receives and returns, and the helpers checks share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol

from pydantic import Field, field_validator, model_validator

from pipelab.contracts import DatasetQuality, Finding, names
from pipelab.contracts.model import Severity
from pipelab.core.params import ModuleConfig

Share = Annotated[float, Field(ge=0.0, le=1.0)]  # a share of rows, as limits per dataset or group take it


class QualityCheck(Protocol):
    def __call__(self, quality: DatasetQuality, config: ModuleConfig) -> list[Finding]: ...


def known_datasets(values: dict[str, object]) -> None:
    """Per-dataset settings must name a contract (a typo would silently never apply)."""
    unknown = sorted(set(values) - set(names()))
    if unknown:
        raise ValueError(f"unknown dataset(s) {', '.join(unknown)}; datasets: {', '.join(names())}")


def warn_within_error(warn: tuple[str, float | None], error: tuple[str, float | None]) -> None:
    """A warning limit past its error limit could never fire (the error trips first): say so."""
    (warn_name, warn_value), (error_name, error_value) = warn, error
    if warn_value is not None and error_value is not None and warn_value > error_value:
        raise ValueError(f"{warn_name} {warn_value} must not exceed {error_name} {error_value}")


@dataclass(frozen=True)
class Trip:
    """A limit a value passed: the severity, the setting that holds the limit (for messages), the limit."""

    severity: Severity
    setting: str
    limit: float


Limit = tuple[str, float | None]  # (setting name, limit or None for no limit)


def tripped(value: float, error: Limit, warn: Limit | None = None, *, inclusive: bool = False) -> Trip | None:
    """The first limit `value` passes, `error` before `warn`; None when it passes neither."""
    for severity, limit in (("error", error), ("warn", warn)):
        setting, bound = limit or ("", None)
        if bound is not None and (value >= bound if inclusive else value > bound):
            return Trip("error" if severity == "error" else "warn", setting, bound)
    return None


class ShareLimits(ModuleConfig):
    """Shares of a dataset's rows above which a share check warns, and fails (per dataset too)."""

    max_share: float = Field(1.0, ge=0.0, le=1.0, description="above this share: error (1.0: never)")
    warn_share: float = Field(0.0, ge=0.0, le=1.0, description="above this share: warning")
    datasets: dict[str, Share] = Field(default_factory=dict, description="dataset -> its own max_share")

    @field_validator("datasets")
    @classmethod
    def _datasets_exist(cls, value: dict[str, float]) -> dict[str, float]:
        known_datasets(dict(value))
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ShareLimits:
        warn_within_error(("warn_share", self.warn_share), ("max_share", self.max_share))
        return self


def share_findings(
    check: str, quality: DatasetQuality, limits: ShareLimits, share: float, counted: str, *, detail: str = ""
) -> list[Finding]:
    """`counted (share) > quality.<check>.<setting> <limit> (detail)` for the first limit `share` passes, if any."""
    limit = limits.datasets.get(quality.dataset, limits.max_share)
    trip = tripped(share, ("max_share", limit), ("warn_share", limits.warn_share))
    if trip is None:
        return []
    message = f"{counted} ({share:.3%}) > quality.{check}.{trip.setting} {trip.limit:.3%}"
    return [finding(check, quality, trip, message=message + (f" ({detail})" if detail else ""), value=share)]


def finding(check: str, quality: DatasetQuality, trip: Trip, *, message: str, value: float) -> Finding:
    """A finding about `quality`'s dataset; the message is prefixed with the dataset name."""
    return Finding(
        check=check,
        dataset=quality.dataset,
        severity=trip.severity,
        message=f"{quality.dataset}: {message}",
        value=value,
        threshold=trip.limit,
    )
