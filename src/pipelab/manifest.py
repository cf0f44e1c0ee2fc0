"""The features manifest: which columns are ids, numeric or categorical features, and the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TARGET = "late"


@dataclass(frozen=True)
class Manifest:
    """What the features table holds; train and evaluate read it instead of guessing."""

    groups: list[str]
    numeric: list[str]
    categorical: list[str]
    id_columns: list[str]
    target: str = TARGET

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": self.groups,
            "numeric": self.numeric,
            "categorical": self.categorical,
            "id_columns": self.id_columns,
            "target": self.target,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Manifest:
        return cls(
            groups=list(raw["groups"]),
            numeric=list(raw["numeric"]),
            categorical=list(raw["categorical"]),
            id_columns=list(raw["id_columns"]),
            target=str(raw["target"]),
        )
