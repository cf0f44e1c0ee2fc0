"""Check `min_rows`: never hand an empty (or near-empty) valid dataset downstream."""

from __future__ import annotations

from pydantic import Field, field_validator

from pipelab.checks.base import Trip, finding, known_datasets
from pipelab.contracts import DatasetQuality, Finding
from pipelab.core.params import ModuleConfig
from pipelab.core.registry import register


class MinRowsConfig(ModuleConfig):
    """Fewest valid rows a dataset may have, overall and per dataset."""

    min_rows: int = Field(1, ge=0, le=10**9, description="fewer valid rows than this is an error")
    datasets: dict[str, int] = Field(default_factory=dict, description="dataset -> its own minimum")

    @field_validator("datasets")
    @classmethod
    def _datasets_exist(cls, value: dict[str, int]) -> dict[str, int]:
        known_datasets(dict(value))
        if any(v < 0 for v in value.values()):
            raise ValueError("minimums must be >= 0")
        return value


@register("check", "min_rows", config=MinRowsConfig, failure_modes=("a header-only input trips it",))
def min_rows(quality: DatasetQuality, config: ModuleConfig) -> list[Finding]:
    """Error when fewer rows than `min_rows` survive validation (default 1: never an empty output)."""
    assert isinstance(config, MinRowsConfig)
    own = quality.dataset in config.datasets
    setting, needed = (
        (f"datasets.{quality.dataset}", config.datasets[quality.dataset]) if own else ("min_rows", config.min_rows)
    )
    if quality.rows_valid >= needed:
        return []
    message = f"{quality.rows_valid:,} valid row(s) of {quality.rows_in:,} < quality.min_rows.{setting} {needed:,}"
    if quality.rows_valid == 0:
        message += "; nothing usable would reach the next stage"
    return [finding("min_rows", quality, Trip("error", setting, needed), message=message, value=quality.rows_valid)]
