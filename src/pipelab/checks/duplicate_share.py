"""Check `duplicate_share`: exact duplicate rows are removed without loss, but many of them mean a broken input."""

from __future__ import annotations

from pipelab.checks.base import ShareLimits, share_findings
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class DuplicateShareConfig(ShareLimits):
    """Share of a dataset's rows that may be exact duplicates before it warns, and before it fails."""


@register(
    "check",
    "duplicate_share",
    config=DuplicateShareConfig,
    failure_modes=("a source that repeats rows on purpose (one row per passenger, say) warns on every run",),
)
def duplicate_share(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Warning above `warn_share` of rows removed as exact duplicates (a file given twice), error above `max_share`."""
    assert isinstance(config, DuplicateShareConfig)
    share = quality.duplicates_removed / quality.rows_in if quality.rows_in else 0.0
    counted = f"{quality.duplicates_removed:,} of {quality.rows_in:,} rows were exact duplicates, removed"
    return share_findings("duplicate_share", quality, config, share, counted)
