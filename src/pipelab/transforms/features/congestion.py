"""Congestion features from the schedule: how busy the origin and destination are planned to be."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


class CongestionConfig(ModuleConfig):
    """Which congestion counts to compute (feature flags under `features.congestion`)."""

    origin_hour: bool = Field(True, description="departures scheduled from the origin in the same hour")
    origin_day: bool = Field(True, description="departures scheduled from the origin on the same local day")
    dest_hour: bool = Field(True, description="NYC arrivals scheduled at the destination in the same hour")


def _counts(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame.groupby(keys, sort=False, dropna=False)[keys[0]].transform("size").astype("float64")


@register(
    "feature_group",
    "congestion",
    version="1.0.1",  # 1.0.1: counts keyed by row_id (1.0.0 misplaced them once flights were reordered)
    config=CongestionConfig,
    reads=(FLIGHTS,),
    writes=(ContractRef("features"),),
    failure_modes=("arrivals with an unknown destination time zone are not counted in dest_arrivals_hour",),
)
def congestion_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Scheduled departures from the origin per hour and per day, arrivals at the destination per hour.

    Counted over every scheduled flight, cancelled ones included: schedules are known
    before departure, so these features leak nothing from the outcome. Each count is a
    flag in `features.congestion`.
    """
    assert isinstance(config, CongestionConfig)
    every = inputs.all_flights
    slots = pd.DataFrame(
        {
            "row_id": every["row_id"],
            "origin": every["origin"],
            "dest": every["dest"],
            "dep_hour": every["sched_dep_utc"].dt.floor("h"),
            "dep_day": every["sched_dep_local"].dt.normalize(),
            "arr_hour": every["sched_arr_utc"].dt.floor("h"),
        }
    )
    counts = {}
    if config.origin_hour:
        counts["congestion__origin_departures_hour"] = _counts(slots, ["origin", "dep_hour"])
    if config.origin_day:
        counts["congestion__origin_departures_day"] = _counts(slots, ["origin", "dep_day"])
    if config.dest_hour:
        counts["congestion__dest_arrivals_hour"] = _counts(slots, ["dest", "arr_hour"]).where(slots["arr_hour"].notna())
    # Keyed by row_id, not by position: the counts' own index is the row's position in
    # `all_flights`, which matches row_id only while nothing has reordered the flights.
    lookup = pd.DataFrame({name: c.to_numpy() for name, c in counts.items()}, index=slots["row_id"].to_numpy())
    lookup = lookup.reindex(inputs.flights["row_id"].to_numpy())
    return FeatureBlock(pd.DataFrame(lookup.to_numpy(), columns=list(counts), index=inputs.flights.index))
