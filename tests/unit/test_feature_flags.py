"""Feature flags: switching a group or a flag off changes the features by exactly its columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelab.cleaning import clean_flights, clean_weather
from pipelab.contracts.raw import RAW_CONTRACTS
from pipelab.core.errors import ParamsError
from pipelab.core.params import FeaturesParams, TargetParams
from pipelab.core.tables import TABLES
from pipelab.features import build_features
from pipelab.sources.coerce import coerce_table
from pipelab.sources.files import find_table, read_table_file
from pipelab.transforms.features.congestion import CongestionConfig

SMALL = Path(__file__).parents[1] / "fixtures" / "flights_small"
ALL_GROUPS = ["calendar", "schedule", "weather", "aircraft", "route", "congestion"]


@pytest.fixture(scope="module")
def clean_tables() -> dict[str, pd.DataFrame]:
    raw = {t: coerce_table(read_table_file(find_table(SMALL, t)), RAW_CONTRACTS[t], t) for t in TABLES}
    return {
        "flights": clean_flights(raw["flights"], raw["airports"], {"SJU": "America/Puerto_Rico"}),
        "weather": clean_weather(raw["weather"], raw["airports"], {}),
        "planes": raw["planes"],
        "airports": raw["airports"],
    }


def features(tables: dict[str, pd.DataFrame], groups: list[str], **configs: Any) -> pd.DataFrame:
    params = FeaturesParams(groups=groups).model_copy(update={"configs": configs})
    table, _, _ = build_features(
        tables["flights"],
        weather=tables["weather"],
        planes=tables["planes"],
        airports=tables["airports"],
        features=params,
        target=TargetParams(),
    )
    return table


def test_turning_a_congestion_flag_off_removes_exactly_its_column(clean_tables: dict[str, pd.DataFrame]) -> None:
    full = features(clean_tables, ALL_GROUPS)
    fewer = features(clean_tables, ALL_GROUPS, congestion=CongestionConfig(dest_hour=False))
    assert set(full.columns) - set(fewer.columns) == {"congestion__dest_arrivals_hour"}
    pd.testing.assert_frame_equal(full.drop(columns="congestion__dest_arrivals_hour"), fewer)


@pytest.mark.parametrize("group", ALL_GROUPS)
def test_turning_a_group_off_removes_exactly_its_columns(group: str, clean_tables: dict[str, pd.DataFrame]) -> None:
    full = features(clean_tables, ALL_GROUPS)
    without = features(clean_tables, [g for g in ALL_GROUPS if g != group])
    removed = set(full.columns) - set(without.columns)
    assert removed
    assert all(column.startswith(f"{group}__") for column in removed)
    pd.testing.assert_frame_equal(full.drop(columns=[c for c in full.columns if c in removed]), without)


def test_groups_that_give_no_columns_are_a_params_error(clean_tables: dict[str, pd.DataFrame]) -> None:
    """Every congestion flag off: no feature at all, which train would only reject obscurely."""
    off = CongestionConfig(origin_hour=False, origin_day=False, dest_hour=False)
    with pytest.raises(ParamsError) as info:
        features(clean_tables, ["congestion"], congestion=off)
    assert str(info.value) == (
        "features.groups = ['congestion']: these groups give no feature columns "
        "(are all flags of `features.<group>` off?); switch a group or a flag on"
    )


def test_one_group_with_no_columns_beside_others_is_fine(clean_tables: dict[str, pd.DataFrame]) -> None:
    off = CongestionConfig(origin_hour=False, origin_day=False, dest_hour=False)
    table = features(clean_tables, ["calendar", "congestion"], congestion=off)
    assert [c for c in table.columns if c.startswith("congestion__")] == []
    assert [c for c in table.columns if c.startswith("calendar__")]
