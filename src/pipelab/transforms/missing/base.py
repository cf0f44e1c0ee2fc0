"""What a missing-value strategy receives and returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef

READS = (ContractRef("clean_weather"), ContractRef("raw_planes"))
WRITES = (ContractRef("clean_weather"), ContractRef("clean_planes"))


@dataclass(frozen=True)
class MissingResult:
    frame: pd.DataFrame
    rows_dropped: int
    values_filled: int


class MissingStrategy(Protocol):
    def __call__(
        self,
        frame: pd.DataFrame,
        columns: list[str],
        config: ModuleConfig,
        group: str | None = None,
        order: str | None = None,
    ) -> MissingResult: ...
