"""Check `quarantine_share`: too many bad rows means the input, not a few rows, is broken."""

from __future__ import annotations

from pydantic import Field

from pipelab.checks.base import ShareLimits, share_findings
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class QuarantineShareConfig(ShareLimits):
    """Share of a dataset's rows that may be quarantined before it warns, and before it fails."""

    max_share: float = Field(0.05, ge=0.0, le=1.0, description="above this share: error")


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
    counted = f"{quality.rows_quarantined:,} of {quality.rows_in:,} rows quarantined"
    return share_findings(
        "quarantine_share", quality, config, quality.quarantine_share, counted, detail=_top_rules(quality)
    )
