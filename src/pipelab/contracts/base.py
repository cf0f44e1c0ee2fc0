"""The contract type shared by every dataset."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    keys: tuple[str, ...] = ()  # unique together; what a duplicate-key quarantine names
    check_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # frame-wide check -> columns

    def columns_of(self, check: str) -> tuple[str, ...]:
        """The columns a frame-wide check involves (keys for the uniqueness check)."""
        if check == "multiple_fields_uniqueness":
            return self.keys
        return tuple(self.check_columns.get(check, ()))

    @property
    def tag(self) -> tuple[str, str]:
        """(name, version): what Parquet metadata and provenance record."""
        return (self.name, self.version)
