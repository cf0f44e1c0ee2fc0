"""Congestion features from the schedule: how busy the origin and destination are planned to be."""

from __future__ import annotations

import pandas as pd

from pipelab.params import ModuleConfig
from pipelab.registry import ContractRef, register
from pipelab.transforms.features.base import FeatureBlock, FeatureInputs


def _counts(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame.groupby(keys, sort=False)[keys[0]].transform("size").astype("float64")


@register(
    "feature_group",
    "congestion",
    reads=(ContractRef("clean_flights"),),
    writes=(ContractRef("features"),),
    failure_modes=("arrivals with an unknown destination time zone are not counted in dest_arrivals_hour",),
)
def congestion_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Scheduled departures from the origin in the same hour and day, arrivals at the destination per hour.

    Counted over every scheduled flight, cancelled ones included: schedules are known
    before departure, so these features leak nothing from the outcome.
    """
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
    slots["origin_hour"] = _counts(slots, ["origin", "dep_hour"])
    slots["origin_day"] = _counts(slots, ["origin", "dep_day"])
    slots["dest_hour"] = _counts(
        slots.assign(arr_hour=slots["arr_hour"].fillna(pd.Timestamp(0, tz="UTC"))), ["dest", "arr_hour"]
    ).where(slots["arr_hour"].notna())
    lookup = slots.set_index("row_id").reindex(inputs.flights["row_id"])
    frame = pd.DataFrame(
        {
            "congestion__origin_departures_hour": lookup["origin_hour"].to_numpy(),
            "congestion__origin_departures_day": lookup["origin_day"].to_numpy(),
            "congestion__dest_arrivals_hour": lookup["dest_hour"].to_numpy(),
        },
        index=inputs.flights.index,
    )
    return FeatureBlock(frame)
