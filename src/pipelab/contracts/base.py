"""The contract type shared by every dataset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandera.pandas as pa


@dataclass(frozen=True)
class Contract:
    """A dataset's name, semantic version and (lazily built) pandera schema."""

    name: str
    version: str
    build_schema: Callable[[], pa.DataFrameSchema]
    description: str = ""

    @property
    def tag(self) -> tuple[str, str]:
        """(name, version): what Parquet metadata and provenance record."""
        return (self.name, self.version)
