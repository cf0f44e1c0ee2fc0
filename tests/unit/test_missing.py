"""Missing-value strategies: drop, flag and impute (interpolate short gaps, then medians)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from pipelab.core import registry
from pipelab.core.params import ModuleConfig
from pipelab.transforms.missing.drop import drop_missing
from pipelab.transforms.missing.flag import flag_missing
from pipelab.transforms.missing.impute import ImputeConfig, impute_missing

nan = np.nan


def _series(group: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"origin": group, "hour": range(len(values)), "temp": values})


def test_strategies_are_registered() -> None:
    assert {"drop", "flag", "impute"} <= set(registry.names("missing"))
    assert registry.get("missing", "impute").config is ImputeConfig


def test_drop_counts_dropped_rows() -> None:
    frame = pd.DataFrame({"a": [1.0, nan, 3.0, 4.0], "b": [1.0, 2.0, nan, 4.0], "c": [nan, 1.0, 1.0, 1.0]})
    result = drop_missing(frame, ["a", "b"], ModuleConfig())
    assert result.rows_dropped == 2
    assert result.values_filled == 0
    assert result.frame["a"].tolist() == [1.0, 4.0]
    assert result.frame.index.tolist() == [0, 1]
    assert result.frame["c"].isna().tolist() == [True, False]  # columns not measured are not looked at


def test_flag_adds_an_indicator_per_column_and_keeps_nan() -> None:
    frame = pd.DataFrame({"a": [1.0, nan], "b": [nan, nan], "c": [nan, 1.0]})
    result = flag_missing(frame, ["a", "b"], ModuleConfig())
    assert list(result.frame.columns) == ["a", "b", "c", "a_missing", "b_missing"]
    assert result.frame["a_missing"].tolist() == [False, True]
    assert result.frame["b_missing"].tolist() == [True, True]
    assert result.frame["a"].isna().tolist() == [False, True]
    assert (result.rows_dropped, result.values_filled) == (0, 0)
    assert "a_missing" not in frame.columns  # input untouched


def test_impute_interpolates_short_gaps_in_time_order_within_group() -> None:
    frame = pd.concat([_series("EWR", [10.0, nan, nan, 16.0]), _series("JFK", [100.0, nan, 200.0])])
    result = impute_missing(frame.reset_index(drop=True), ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    assert result.frame["temp"].tolist() == [10.0, 12.0, 14.0, 16.0, 100.0, 150.0, 200.0]
    assert result.values_filled == 3
    assert result.rows_dropped == 0


def test_impute_follows_time_not_row_order_and_keeps_row_order() -> None:
    frame = pd.DataFrame(
        {
            "origin": ["EWR", "EWR", "EWR", "EWR"],
            "hour": [3, 1, 0, 2],
            "temp": [40.0, nan, 10.0, 30.0],
        }
    )
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=1), "origin", "hour")
    assert result.frame["hour"].tolist() == [3, 1, 0, 2]
    assert result.frame["temp"].tolist() == [40.0, 20.0, 10.0, 30.0]


def test_impute_does_not_interpolate_across_groups() -> None:
    # EWR ends missing, JFK starts missing: interpolating the stacked column would bridge them
    frame = pd.concat([_series("EWR", [1.0, 3.0, nan]), _series("JFK", [nan, 11.0, 13.0])]).reset_index(drop=True)
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    assert result.frame["temp"].tolist() == [1.0, 3.0, 2.0, 12.0, 11.0, 13.0]  # edges get the group median


def test_impute_gap_longer_than_max_gap_is_not_interpolated() -> None:
    """max_gap is the longest run to interpolate: a longer run is left to the medians as a whole."""
    frame = _series("EWR", [1.0, nan, nan, nan, nan, 11.0, 5.0])
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    assert result.frame["temp"].tolist() == [1.0, 5.0, 5.0, 5.0, 5.0, 11.0, 5.0]


def test_impute_gap_of_exactly_max_gap_is_interpolated() -> None:
    frame = _series("EWR", [0.0, nan, nan, nan, 8.0])
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    assert result.frame["temp"].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert result.values_filled == 3


def test_impute_max_gap_zero_uses_medians_only() -> None:
    frame = _series("EWR", [1.0, nan, 3.0, 10.0])
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=0), "origin", "hour")
    assert result.frame["temp"].tolist() == [1.0, 3.0, 3.0, 10.0]


def test_impute_edge_gap_falls_back_to_group_median() -> None:
    frame = pd.DataFrame(
        {
            "origin": ["EWR", "EWR", "EWR", "EWR", "JFK", "JFK"],
            "hour": [0, 1, 2, 3, 0, 1],
            "temp": [nan, 2.0, 4.0, 9.0, 100.0, 200.0],
        }
    )
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    # hour 0 is before the first reading: nothing to interpolate between, EWR median of (2, 4, 9) = 4
    assert result.frame["temp"].tolist() == [4.0, 2.0, 4.0, 9.0, 100.0, 200.0]
    assert result.values_filled == 1


def test_impute_group_without_readings_falls_back_to_overall_median() -> None:
    frame = pd.DataFrame(
        {
            "origin": ["EWR", "EWR", "JFK", "JFK", "LGA", "LGA"],
            "hour": [0, 1, 0, 1, 0, 1],
            "temp": [2.0, 4.0, 10.0, 20.0, nan, nan],
        }
    )
    result = impute_missing(frame, ["temp"], ImputeConfig(max_gap=3), "origin", "hour")
    # LGA has no readings: the median of every reading (2, 4, 10, 20) = 7
    assert result.frame["temp"].tolist() == [2.0, 4.0, 10.0, 20.0, 7.0, 7.0]
    assert result.values_filled == 2


def test_impute_without_group_or_order_uses_the_overall_median() -> None:
    planes = pd.DataFrame({"tailnum": ["N1", "N2", "N3", "N4"], "year": [1990.0, nan, 2000.0, 2010.0]})
    result = impute_missing(planes, ["year"], ImputeConfig())
    assert result.frame["year"].tolist() == [1990.0, 2000.0, 2000.0, 2010.0]
    assert result.frame["tailnum"].tolist() == ["N1", "N2", "N3", "N4"]
    assert result.values_filled == 1


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_impute_all_missing_column_stays_nan() -> None:
    frame = pd.DataFrame(
        {"origin": ["EWR", "JFK"], "hour": [0, 0], "precip": [nan, nan], "temp": [nan, 5.0]},
    )
    result = impute_missing(frame, ["precip", "temp"], ImputeConfig(), "origin", "hour")
    assert result.frame["precip"].isna().all()
    assert result.frame["temp"].tolist() == [5.0, 5.0]
    assert result.values_filled == 1


def test_impute_several_columns_count_every_filled_value() -> None:
    frame = pd.DataFrame({"hour": [0, 1, 2], "a": [1.0, nan, 3.0], "b": [nan, nan, 6.0]})
    result = impute_missing(frame, ["a", "b"], ImputeConfig(max_gap=2), order="hour")
    assert result.frame["a"].tolist() == [1.0, 2.0, 3.0]
    assert result.frame["b"].tolist() == [6.0, 6.0, 6.0]  # leading gap: not inside, median
    assert result.values_filled == 3


@pytest.mark.parametrize("max_gap", [-1, 49])
def test_impute_config_bounds(max_gap: int) -> None:
    with pytest.raises(ValidationError):
        ImputeConfig(max_gap=max_gap)
