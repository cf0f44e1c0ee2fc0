"""Distribution profiles of the features and the population stability index (PSI) between two runs.

A profile keeps, per numeric feature, decile edges and the share of rows in each bin (plus
the missing share); per categorical feature, the shares of its most frequent values. PSI
compares a table with a reference profile on the reference's own bins:
sum((current - reference) * ln(current / reference)); below 0.1 is usually noise, above
0.25 a real shift.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelab.core.errors import DataError, file_errors
from pipelab.core.params import describe_errors

BINS = 10
TOP_CATEGORIES = 30
OTHER, MISSING = "(other)", "(missing)"
FLOOR = 1e-4  # a share of 0 would make PSI infinite
PROFILE = Path("data/features/profile.json")  # written by the features stage
REFERENCE = Path("data/reference/features.profile.json")  # git-tracked; written only by `quality set-reference`
SHOWN_PROBLEMS = 3

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Binned(BaseModel):
    """The shares of one feature: one per bin, then `(other)` or not, then the missing share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shares: list[Share]

    def _expect_shares(self, count: int, of: str) -> None:
        if len(self.shares) != count + 2:
            raise ValueError(f"{len(self.shares)} shares for {count} {of}; expected {count + 2}")


class NumericProfile(_Binned):
    kind: Literal["numeric"]
    edges: list[float]

    @model_validator(mode="after")
    def _consistent(self) -> NumericProfile:
        if self.edges != sorted(self.edges):
            raise ValueError("edges are not in ascending order")
        self._expect_shares(len(self.edges), "edges")
        return self


class CategoricalProfile(_Binned):
    kind: Literal["categorical"]
    categories: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> CategoricalProfile:
        self._expect_shares(len(self.categories), "categories")
        return self


class Profile(BaseModel):
    """A features profile as `profile` writes it; validated so a broken reference stops drift loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(ge=0)
    bins: int = Field(ge=1)
    features: dict[str, Annotated[NumericProfile | CategoricalProfile, Field(discriminator="kind")]] = Field(
        min_length=1
    )


def check_profile(raw: Any, where: str | Path) -> Profile:
    """`raw` as a Profile, or a DataError naming `where` and the first problems."""
    if isinstance(raw, Profile):
        return raw
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a features profile (a JSON object: rows, bins, features), got {raw!r:.40}")
    try:
        return Profile.model_validate(raw)
    except ValidationError as err:
        problems = describe_errors(Profile, err)
        more = f" (and {len(problems) - SHOWN_PROBLEMS} more)" if len(problems) > SHOWN_PROBLEMS else ""
        raise DataError(f"{where}: not a features profile: {'; '.join(problems[:SHOWN_PROBLEMS])}{more}") from None


def read_profile(path: Path) -> Profile:
    """A profile file, validated (see `check_profile`)."""
    with file_errors(path):
        raw = json.loads(path.read_text(encoding="utf-8"))
    return check_profile(raw, path)


def _round(values: Any) -> list[float]:
    return [float(f"{v:.6g}") for v in values]


def _numeric_shares(values: np.ndarray, edges: list[float]) -> list[float]:
    present = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(np.asarray(edges), present, side="right"), minlength=len(edges) + 1)
    return [
        *(counts / len(values) if len(values) else counts.astype(float)),
        float(np.isnan(values).mean()) if len(values) else 0.0,
    ]


def _categorical_shares(values: pd.Series, categories: list[str]) -> list[float]:
    total = len(values)
    if not total:
        return [0.0] * (len(categories) + 2)
    counts = values.value_counts(dropna=True)
    known = [float(counts.get(c, 0)) / total for c in categories]
    missing = float(values.isna().mean())
    return [*known, max(0.0, 1.0 - sum(known) - missing), missing]


def profile(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    """Per feature: bins (numeric decile edges, or top categories) and the share of rows in each."""
    features: dict[str, Any] = {}
    for column in numeric:
        values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        present = values[~np.isnan(values)]
        levels = np.linspace(0, 1, BINS + 1)[1:-1]
        quantiles = np.quantile(present, levels, method="inverted_cdf") if len(present) else []  # observed values
        edges = _round(sorted(set(_round(quantiles))))
        features[column] = {"kind": "numeric", "edges": edges, "shares": _round(_numeric_shares(values, edges))}
    for column in categorical:
        counts = frame[column].value_counts(dropna=True)
        top = sorted(counts.index, key=lambda c: (-counts[c], str(c)))[:TOP_CATEGORIES]
        categories = [str(c) for c in top]
        shares = _categorical_shares(frame[column].astype(object), categories)
        features[column] = {"kind": "categorical", "categories": categories, "shares": _round(shares)}
    return {"rows": len(frame), "bins": BINS, "features": dict(sorted(features.items()))}


def _psi(reference: list[float], current: list[float]) -> float:
    pairs = [(max(r, FLOOR), max(c, FLOOR)) for r, c in zip(reference, current, strict=True)]
    return round(float(sum((c - r) * math.log(c / r) for r, c in pairs)), 6)


def psi(reference: Profile | Any, frame: pd.DataFrame, source: str | Path = REFERENCE) -> dict[str, float]:
    """PSI of every reference feature that `frame` has, on the reference's bins (absent ones skipped).

    A reference still as parsed JSON is validated first (an error names `source`): a broken
    one must stop the stage, not silently measure no drift.
    """
    profile = check_profile(reference, source)
    found: dict[str, float] = {}
    for column, spec in profile.features.items():
        if column not in frame.columns:
            continue
        if isinstance(spec, NumericProfile):
            current = _numeric_shares(frame[column].to_numpy(dtype="float64", na_value=np.nan), spec.edges)
        else:
            current = _categorical_shares(frame[column].astype(object), spec.categories)
        found[column] = _psi(spec.shares, current)
    return dict(sorted(found.items()))
