"""Schedule features: when, with whom and from where the flight is planned to leave."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


@register(
    "feature_group",
    "schedule",
    reads=(FLIGHTS,),
    writes=(ContractRef("features"),),
    failure_modes=("a scheduled arrival with an unknown destination time zone gives NaN block minutes",),
)
def schedule_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Local departure hour and minute of day, arrival hour, scheduled block time, carrier, origin."""
    f = inputs.flights
    dep = f["sched_dep_time"].astype("float64")
    arr = f["sched_arr_time"].astype("float64")
    frame = pd.DataFrame(
        {
            "schedule__dep_hour": (dep // 100) % 24,
            "schedule__dep_minute_of_day": ((dep // 100) * 60 + dep % 100) % 1440,
            "schedule__arr_hour": (arr // 100) % 24,
            "schedule__block_minutes": f["sched_block_minutes"].astype("float64"),
            "schedule__carrier": f["carrier"].astype(object),
            "schedule__origin": f["origin"].astype(object),
        },
        index=f.index,
    )
    return FeatureBlock(frame, categorical=["schedule__carrier", "schedule__origin"])
