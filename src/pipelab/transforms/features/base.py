"""What a feature group receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef

FLIGHTS = ContractRef("clean_flights", ">=2,<3")  # what every group reads: the current clean flights


@dataclass(frozen=True)
class FeatureInputs:
    """The clean tables a group may use; `flights` is the modelling population, in row order."""

    flights: pd.DataFrame
    weather: pd.DataFrame
    planes: pd.DataFrame
    airports: pd.DataFrame
    all_flights: pd.DataFrame  # every scheduled flight (incl. cancelled): schedules are known ahead


@dataclass(frozen=True)
class FeatureBlock:
    """New columns aligned with `FeatureInputs.flights`, split by kind."""

    frame: pd.DataFrame
    categorical: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # flights a rule of the group treated specially

    @property
    def numeric(self) -> list[str]:
        return [c for c in self.frame.columns if c not in self.categorical]


class FeatureGroup(Protocol):
    def __call__(self, inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock: ...
