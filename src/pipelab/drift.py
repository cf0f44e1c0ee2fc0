"""Distribution profiles of the features and the population stability index (PSI) between two runs.

A profile keeps, per numeric feature, decile edges and the share of rows in each bin (plus
the missing share); per categorical feature, the shares of its most frequent values. PSI
compares a table with a reference profile on the reference's own bins:
sum((current - reference) * ln(current / reference)); below 0.1 is usually noise, above
0.25 a real shift.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

BINS = 10
TOP_CATEGORIES = 30
OTHER, MISSING = "(other)", "(missing)"
FLOOR = 1e-4  # a share of 0 would make PSI infinite


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


def psi(reference: dict[str, Any], frame: pd.DataFrame) -> dict[str, float]:
    """PSI of every reference feature that `frame` has, on the reference's bins (absent ones skipped)."""
    found: dict[str, float] = {}
    for column, spec in reference.get("features", {}).items():
        if column not in frame.columns:
            continue
        if spec["kind"] == "numeric":
            current = _numeric_shares(frame[column].to_numpy(dtype="float64", na_value=np.nan), spec["edges"])
        else:
            current = _categorical_shares(frame[column].astype(object), spec["categories"])
        found[column] = _psi(spec["shares"], current)
    return dict(sorted(found.items()))
