"""What a quality check receives and returns, and the helpers checks share."""

from __future__ import annotations

from typing import Protocol

from pipelab.contracts import DatasetQuality, Finding, names
from pipelab.contracts.model import Severity
from pipelab.params import ModuleConfig


class QualityCheck(Protocol):
    def __call__(self, quality: DatasetQuality, config: ModuleConfig) -> list[Finding]: ...


def known_datasets(values: dict[str, object]) -> None:
    """Per-dataset settings must name a contract (a typo would silently never apply)."""
    unknown = sorted(set(values) - set(names()))
    if unknown:
        raise ValueError(f"unknown dataset(s) {', '.join(unknown)}; datasets: {', '.join(names())}")


def tripped(value: float, error: float | None, warn: float | None, *, inclusive: bool = False) -> Severity | None:
    """`error` or `warn` for the first limit `value` passes (error first), else None."""
    for severity, limit in (("error", error), ("warn", warn)):
        if limit is not None and (value >= limit if inclusive else value > limit):
            return "error" if severity == "error" else "warn"
    return None


def finding(
    check: str, quality: DatasetQuality, *, severity: Severity, message: str, value: float, limit: float
) -> Finding:
    """A finding about `quality`'s dataset; the message is prefixed with the dataset name."""
    return Finding(
        check=check,
        dataset=quality.dataset,
        severity=severity,
        message=f"{quality.dataset}: {message}",
        value=value,
        threshold=limit,
    )
